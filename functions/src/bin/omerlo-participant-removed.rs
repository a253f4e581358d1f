//! Lambda function for `POST /webhooks/omerlo/participant-removed`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::OmerloParticipantRemoved).await
}
