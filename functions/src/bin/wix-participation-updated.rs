//! Lambda function for `POST /webhooks/wix/participation-updated`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::WixParticipationUpdated).await
}
