//! The message contract of [Rollcall](https://github.com/rollcall/rollcall): the types of what it puts on the
//! queue, for consumers, without Rollcall's authentication, queues or runtime (this crate depends on serde,
//! serde_json, time and schemars only).
//!
//! Rollcall receives event-participation webhooks from Omerlo, Mighty Networks, Wix and Calendly and turns each
//! into one CloudEvents 1.0 JSON message: a provider-independent view (`event`, `person`, `participation`) and
//! the provider's payload as received (`original`).
//!
//! - [`message`]: the envelope ([`Message`]), its normalized view, [`message::Received`] for kinds added
//!   since, and the JSON Schema ([`message::json_schema`]).
//! - [`payload`]: `original` typed by kind ([`Payload`]); [`provider`]: each provider's payload types.
//! - [`kind`]: the registry of the webhook kinds ([`Kind`]); [`sqs_text`]: the text and sizes of a queue body.
//! - [`reason`]: a parse error said without any value of the text it read (for logs).
//!
//! The crate's major version is the contract's: `1.x` reads every message whose `dataschema` is
//! `urn:rollcall:message:v1` ([`message::DATASCHEMA`]). New kinds and optional fields are growth within v1.
//!
//! A consumer turns an SQS body into the typed message in one call, and its original into the provider's own
//! structure in one more (the example of the README's "Consuming"):
//!
//! ```
//! # fn main() -> Result<(), serde_json::Error> {
//! # let sqs_body = r#"{"specversion":"1.0","id":"e1","source":"/wix/instances/i1","type":"com.wix.calendar.participation.created","subject":"participation/p1","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","dataschema":"urn:rollcall:message:v1","data":{"event":null,"person":null,"participation":null,"sequence":null,"changed_at":null,"original":{"instanceId":"i1","data":{"id":"e1","entityId":"p1","createdEvent":{"entity":{"id":"p1","status":"CONFIRMED"}}}}}}"#;
//! use rollcall_contract::Payload;
//! use rollcall_contract::message::Received;
//! match Received::from_body(&sqs_body)? {
//!     Received::Known(message) => match message.payload()? {
//!         Payload::WixParticipationCreated(delivery) => { /* delivery.data.entity() … */ }
//!         _ => {}
//!     },
//!     Received::Unknown(_) => { /* a type added after this version: pass over it */ }
//! }
//! # let message = rollcall_contract::Message::from_body(sqs_body)?;
//! # let Payload::WixParticipationCreated(delivery) = message.payload()? else { panic!("{message:?}") };
//! # assert_eq!(delivery.data.entity().and_then(|p| p.status.as_deref()), Some("CONFIRMED"));
//! // A kind added to the contract after this version is passed over, not an error:
//! # let newer = sqs_body.replace("com.wix.calendar.participation.created", "com.wix.calendar.booking.created");
//! assert!(matches!(Received::from_body(&newer)?, Received::Unknown(_)));
//! # Ok(())
//! # }
//! ```
//!
//! In `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! rollcall-contract = { git = "https://github.com/rollcall/rollcall" }
//! ```

#![warn(missing_docs)]

pub mod kind;
pub mod message;
pub mod payload;
pub mod provider;
pub mod reason;
pub mod sqs_text;

pub use kind::{Kind, Provider};
pub use message::Message;
pub use payload::Payload;
