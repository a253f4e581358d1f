//! Lambda function for `POST /webhooks/calendly/invitee-created`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::CalendlyInviteeCreated).await
}
