//! Lambda function for `POST /webhooks/wix/event-updated`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::WixEventUpdated).await
}
