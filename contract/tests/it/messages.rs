//! Messages as consumers receive them: `tests/fixtures/v1-messages.jsonl` holds one queue body per kind as
//! Rollcall writes v1 (the normalized view Rollcall's own tests record, and its fixture as `original`). Each
//! reads as its kind, its `original` as the provider's structure, and writes back the same JSON; a kind this
//! version does not know and a message without the fields added within v1 still read.

use rollcall_contract::message::{Received, UnknownMessage};
use rollcall_contract::{Kind, Message, Payload};
use serde_json::Value;

/// Every body of the corpus.
fn bodies() -> Vec<&'static str> {
    include_str!("../fixtures/v1-messages.jsonl")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect()
}

#[test]
fn every_kind_reads_with_its_original_typed_as_its_provider_sends_it() {
    let mut kinds = Vec::new();
    for body in bodies() {
        let message = Message::from_body(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        let payload: Payload = message
            .payload()
            .unwrap_or_else(|e| panic!("{}: {e}", message.kind));
        // `Payload`'s variants are named as `Kind`'s.
        let variant = format!("{:?}(", message.kind);
        assert!(
            format!("{payload:?}").starts_with(&variant),
            "{}",
            message.kind
        );
        kinds.push(message.kind);
    }
    kinds.sort();
    assert_eq!(kinds, Kind::ALL.to_vec(), "one body per kind");
}

#[test]
fn a_message_writes_back_the_json_it_was_read_from() {
    for body in bodies() {
        let message = Message::from_body(body).unwrap();
        let written = message.to_body().unwrap();
        let (read, back): (Value, Value) = (
            serde_json::from_str(body).unwrap(),
            serde_json::from_str(written.as_str()).unwrap(),
        );
        assert_eq!(read, back, "{}", message.kind);
        // `original` is kept as sent, token for token (key order included).
        let original = format!("\"original\":{}", message.data.original.get());
        assert!(body.contains(&original), "{}", message.kind);
        assert!(written.as_str().contains(&original), "{}", message.kind);
    }
}

#[test]
fn received_passes_over_a_kind_this_version_does_not_know() {
    let body = bodies()[0];
    assert!(matches!(
        Received::from_body(body).unwrap(),
        Received::Known(_)
    ));
    let mut newer: Value = serde_json::from_str(body).unwrap();
    newer["type"] = "com.example.kind.added_later".into();
    let newer = newer.to_string();
    assert!(Message::from_body(&newer).is_err());
    match Received::from_body(&newer).unwrap() {
        Received::Unknown(UnknownMessage { kind, .. }) => {
            assert_eq!(kind, "com.example.kind.added_later")
        }
        Received::Known(m) => panic!("read as {}", m.kind),
    }
}

#[test]
fn a_message_without_the_fields_added_within_v1_still_reads() {
    for body in bodies() {
        let mut older: Value = serde_json::from_str(body).unwrap();
        let data = older["data"].as_object_mut().unwrap();
        data.remove("revision");
        data.remove("anonymize_request");
        for (view, field) in [
            ("event", "status"),
            ("participation", "waitlisted"),
            ("participation", "attended"),
        ] {
            if let Some(view) = data.get_mut(view).and_then(Value::as_object_mut) {
                view.remove(field);
            }
        }
        let message = Message::from_body(&older.to_string()).unwrap();
        assert_eq!(
            (message.data.revision, message.data.anonymize_request),
            (None, None)
        );
    }
}
