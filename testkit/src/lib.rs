//! Rollcall's test and benchmark kit (not published):
//!
//! - [`aws`]: the loopback AWS-speaking server (moto): clients, queues and tables for the tests.
//! - [`topic`]: an SNS FIFO topic fanning out to subscribed SQS FIFO queues on the loopback server.
//! - [`sqs_rules`]: a loopback proxy that applies SQS's character and size rules, which moto does not.
//! - [`runtime_api`]: an in-repo AWS Lambda Runtime API that runs the real function binaries as Lambda does.
//! - [`calendly`]: Calendly deliveries re-rendered or signed otherwise, and the message each kind's fixture must
//!   become, checked by the rules, for the end-to-end tests.
//! - [`deliveries`]: valid, authenticated sample deliveries of every kind (Wix ones signed with the test key).
//! - [`events`]: the sample API Gateway events of `events/`, built from the registry and the fixtures.
//! - [`template`]: the per-kind blocks of `template.yaml`, built from the registry.
//! - [`extreme`]: extreme but legal values in every field of every kind's fixture, for the property test of the
//!   pipeline, its runs through the binaries and `rollcall serve`, and the fuzz target.
//! - [`memory`]: a queue in memory that keeps what a pipeline stored.
//! - [`messages`]: the record of the messages the unchanged fixtures map to.
//! - [`personal`]: deliveries with personal data in every field, for the tests that no log line shows it.
//! - [`load`]: a closed-loop HTTP/1.1 load generator for loopback.
//! - [`per_delivery`]: the per-delivery work the benchmarks measure (the pipeline with a no-op queue, and its
//!   references).
//!
//! Binaries: `hello` (the minimal `lambda_runtime` reference), `floor` (a bare axum server answering 200, the
//! HTTP floor), `measure` (cold start, memory, package size and `rollcall serve` throughput, as ratios against
//! those references; see `scripts/bench` and `BENCHMARKS.md`). `cargo xtask regenerate` (`xtask/`) writes what
//! [`events`], [`template`] and [`messages`] make.

pub mod aws;
pub mod calendly;
pub mod deliveries;
pub mod events;
pub mod extreme;
pub mod load;
pub mod memory;
pub mod messages;
pub mod per_delivery;
pub mod personal;
pub mod runtime_api;
pub mod sqs_rules;
pub mod template;
pub mod topic;
