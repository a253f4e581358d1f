//! The `rollcall` command's process-level tests, one binary (one link) with a module per concern. Tests that need
//! the loopback SQS server are `#[ignore]`d with that reason; `scripts/test` starts the server and runs them with
//! `--include-ignored`.

mod aws_chain;
mod calendly;
mod common;
mod drain_and_replay;
mod e2e;
mod extreme;
mod leaks;
#[cfg(feature = "fault-injection")]
mod panics;
mod personal_data;
mod queue_file;
mod queue_tools;
mod reliability;
mod serve_limits;
mod settings;
mod sqs_rules;
mod subscriptions;
mod wix_token_age;
