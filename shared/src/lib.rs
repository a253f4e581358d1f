//! Rollcall receives event-participation webhooks from Omerlo, Mighty Networks, Wix and Calendly, authenticates
//! them against the raw request, normalizes each into one provider-independent CloudEvents message and stores it
//! on a queue (Amazon SQS, or an embedded SQLite file) for downstream consumers. Deliveries that are authentic but
//! unreadable are quarantined for replay, never dropped.
//!
//! The message contract (the registry of kinds, the message, its typed `original`, the providers' payload types)
//! is the crate `rollcall_contract`, which consumers use alone; this crate re-exports it at the same paths.
//!
//! - [`kind`]: the registry of the webhook kinds (the contract's).
//! - [`provider`]: each provider's authentication and mapping, and its payload types (the contract's).
//! - [`message`]: the message contract consumers read; [`payload`]: its `original` typed by kind (the contract's).
//! - [`ingest`]: the pipeline; [`answer`]: its HTTP contract.
//! - [`queue`]: the queue port and its adapters; [`quarantine`]: the quarantine record; [`sqs_text`]: the text
//!   and sizes SQS accepts, which every queue body obeys (the contract's).
//! - `lambda` (feature `lambda`): the AWS Lambda adapter.
//! - [`filter`]: subscription filter policies, matched as SNS matches them.
//! - [`panics`]: a panic while working on one delivery is contained, any other ends the process.
//! - [`smoke`]: the smoke deliveries `rollcall smoke` sends, one per provider.
//!
//! A consumer turns an SQS body into the typed message in one call, and its original into the provider's own
//! structure in one more:
//!
//! ```
//! # fn main() -> Result<(), serde_json::Error> {
//! # let body = r#"{"specversion":"1.0","id":"e1","source":"/mighty-networks/spaces/1","type":"com.mightynetworks.event.created","subject":"event/2","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","dataschema":"urn:rollcall:message:v1","data":{"event":null,"person":null,"participation":null,"sequence":null,"changed_at":null,"original":{"event_id":"e1","payload":{"id":2,"title":"Meetup"}}}}"#;
//! use rollcall::{Message, Payload};
//!
//! let message = Message::from_body(body)?;
//! if let Payload::MightyNetworksEventCreated(delivery) = message.payload()? {
//!     assert_eq!(delivery.payload.title.as_deref(), Some("Meetup"));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! New kinds are growth within v1: [`message::Received::from_body`] reads a message of a kind this version does
//! not know as [`message::Received::Unknown`] (to pass over), where [`Message::from_body`] fails.

pub mod answer;
#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
#[cfg(feature = "consumer")]
pub mod consumer;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod filter;
pub mod ingest;
pub use rollcall_contract::kind;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod message;
pub mod panics;
pub use rollcall_contract::payload;
pub mod provider;
pub mod quarantine;
pub mod queue;
pub mod settings;
pub mod smoke;
pub use rollcall_contract::sqs_text;

pub use answer::{Accepted, Answer, Rejected};
pub use ingest::{Pipeline, Request, Route};
pub use kind::{Kind, Provider};
pub use message::Message;
pub use payload::Payload;
