//! The message contract of [Rollcall](https://github.com/rollcall/rollcall): the types of what it puts on the
//! queue, for consumers, without Rollcall's authentication, queues or runtime (this crate depends on serde,
//! serde_json, time and schemars only).
//!
//! Rollcall receives event-participation webhooks from Omerlo, Mighty Networks and Wix and turns each into one
//! CloudEvents 1.0 JSON message: a provider-independent view (`event`, `person`, `participation`) and the
//! provider's payload as received (`original`).
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
//! structure in one more:
//!
//! ```
//! # fn main() -> Result<(), serde_json::Error> {
//! # let body = r#"{"specversion":"1.0","id":"e1","source":"/mighty-networks/spaces/1","type":"com.mightynetworks.event.created","subject":"event/2","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","dataschema":"urn:rollcall:message:v1","data":{"event":null,"person":null,"participation":null,"sequence":null,"changed_at":null,"original":{"event_id":"e1","payload":{"id":2,"title":"Meetup"}}}}"#;
//! use rollcall_contract::message::Received;
//! use rollcall_contract::{Message, Payload};
//!
//! let message = Message::from_body(body)?;
//! if let Payload::MightyNetworksEventCreated(delivery) = message.payload()? {
//!     assert_eq!(delivery.payload.title.as_deref(), Some("Meetup"));
//! }
//! // A kind added to the contract after this version is passed over, not an error:
//! let newer = body.replace("com.mightynetworks.event.created", "com.mightynetworks.post.created");
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

pub mod kind;
pub mod message;
pub mod payload;
pub mod provider;
pub mod reason;
pub mod sqs_text;

pub use kind::{Kind, Provider};
pub use message::Message;
pub use payload::Payload;
