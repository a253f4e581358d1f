//! The record of what the unchanged fixtures map to (`shared/tests/fixtures/messages.json`): each kind's message
//! received at the epoch. `cargo xtask regenerate` writes it; the property test of the pipeline
//! (`shared/tests/it/extreme.rs`) checks the pipeline against it, so a change of mapping shows in its diff.

use crate::deliveries::{WixSigner, body};
use rollcall::Kind;
use rollcall::message::{Message, UtcTime};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The message of `kind` for `body`, received at the epoch: `original` left out (other tests hold it), and the
/// Omerlo id, a hash of the body, kept. Panics, naming the kind, if `body` does not read as `kind`.
pub fn at_epoch(kind: Kind, body: &[u8]) -> Value {
    let change = rollcall::provider::parse(kind, body).unwrap_or_else(|e| panic!("{kind}: {e}"));
    let epoch = UtcTime::new(OffsetDateTime::UNIX_EPOCH).expect("the epoch is writable");
    let message = Message::build(kind, change, epoch);
    let mut value: Value =
        serde_json::from_str(message.to_body().expect("a body").as_str()).expect("JSON");
    if let Some(data) = value["data"].as_object_mut() {
        data.remove("original");
    }
    value
}

/// Every kind's fixture as [`at_epoch`] maps it, by binary name: the record's content.
pub fn record() -> Map<String, Value> {
    let signer = WixSigner::new();
    Kind::ALL
        .into_iter()
        .map(|kind| (kind.binary(), at_epoch(kind, &body(kind, &signer))))
        .collect()
}

/// [`record`] as the committed file's text: pretty JSON, keys sorted, a final newline.
pub fn record_text() -> String {
    serde_json::to_string_pretty(&record()).expect("JSON values serialize") + "\n"
}
