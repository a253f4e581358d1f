//! What each provider sends: the serde types of a delivery, which a message's `original` holds
//! ([`crate::payload::Payload`] picks the one of its kind). Every field but the ids is optional, and
//! [`lenient`] reads the fields whose type drifts between provider versions.

pub mod calendly;
pub mod lenient;
pub mod mighty_networks;
pub mod omerlo;
pub mod wix;
