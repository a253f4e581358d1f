//! The reference consumer: an SQS event source over Rollcall's queue, idempotent over a DynamoDB ledger. It reads
//! each body as the contract crate's `rollcall_contract::message::Received` (`rollcall::consumer`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rollcall::lambda::Error> {
    rollcall::lambda::run_consumer().await
}
