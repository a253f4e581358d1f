//! Lambda function for `POST /webhooks/calendly/invitee-no-show-deleted`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::CalendlyInviteeNoShowDeleted).await
}
