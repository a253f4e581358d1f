//! The functions' tests, one binary (one link) with a module per concern: the release build graph, the SAM
//! template against the registry, and the real binaries over the Lambda Runtime API (publishing to SQS, or to an
//! SNS topic fanning out to SQS). Tests that need the loopback
//! SQS/DynamoDB server are `#[ignore]`d with that reason; `scripts/test` starts the server and runs them with
//! `--include-ignored`.

mod build_graph;
mod calendly;
mod common;
mod consumer;
mod docs;
mod events;
mod extreme;
mod fan_out;
#[cfg(feature = "fault-injection")]
mod panics;
mod personal_data;
mod release_build;
mod settings;
mod sqs_rules;
mod template;
mod template_per_kind;
