//! Rollcall receives event-participation webhooks from Omerlo, Mighty Networks and Wix, authenticates them
//! against the raw request, normalizes each into one provider-independent CloudEvents message and stores it on
//! a queue (Amazon SQS, or an embedded SQLite file) for downstream consumers. Deliveries that are authentic but
//! unreadable are quarantined for replay, never dropped.
//!
//! - [`kind`]: the registry of the eleven webhook kinds.
//! - [`provider`]: each provider's payloads, authentication and mapping.
//! - [`message`]: the message contract consumers read.
//! - [`ingest`]: the pipeline; [`answer`]: its HTTP contract.
//! - [`queue`]: the queue port and its adapters; [`quarantine`]: the quarantine record.
//! - `lambda` (feature `lambda`): the AWS Lambda adapter.

pub mod answer;
#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
#[cfg(feature = "consumer")]
pub mod consumer;
pub mod ingest;
pub mod kind;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lenient;
pub mod message;
pub mod provider;
pub mod quarantine;
pub mod queue;

pub use answer::{Accepted, Answer, Rejected};
pub use ingest::{Pipeline, Request, Route};
pub use kind::{Kind, Provider};
pub use message::Message;
