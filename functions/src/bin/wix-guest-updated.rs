//! Lambda function for `POST /webhooks/wix/guest-updated`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::WixGuestUpdated).await
}
