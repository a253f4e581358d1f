//! Lambda function for `POST /webhooks/omerlo/event-invitation-created`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::OmerloEventInvitationCreated).await
}
