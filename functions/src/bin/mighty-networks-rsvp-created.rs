//! Lambda function for `POST /webhooks/mighty-networks/rsvp-created`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::MightyNetworksRsvpCreated).await
}
