//! Lambda function for `POST /webhooks/calendly/invitee-canceled`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::CalendlyInviteeCanceled).await
}
