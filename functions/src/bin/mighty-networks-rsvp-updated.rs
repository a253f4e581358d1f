//! Lambda function for `POST /webhooks/mighty-networks/rsvp-updated`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run(rollcall::Kind::MightyNetworksRsvpUpdated).await
}
