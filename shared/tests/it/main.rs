//! The `rollcall` crate's integration tests, one binary (one link) with a module per concern. Tests that need the
//! loopback SQS/DynamoDB server are `#[ignore]`d with that reason; `scripts/test` starts the server and runs them
//! with `--include-ignored`.

mod calendly;
mod common;
#[cfg(feature = "consumer")]
mod consumer;
mod contract;
mod dedup_scope;
mod extreme;
mod filter;
mod fuzz;
#[cfg(feature = "consumer")]
mod ledger;
mod modules;
mod nesting;
#[cfg(feature = "fault-injection")]
mod panics;
mod pipeline;
mod providers;
mod replay;
mod schema;
#[cfg(feature = "sns")]
mod sns;
mod sqs;
mod wix_events;
mod wix_tokens;
