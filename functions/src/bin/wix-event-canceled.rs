//! Lambda function for `POST /webhooks/wix/event-canceled`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::WixEventCanceled).await
}
