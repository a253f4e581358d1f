//! Lambda function for `POST /webhooks/wix/guest-created`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::WixGuestCreated).await
}
