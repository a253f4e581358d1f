//! Calendly deliveries as the end-to-end tests of `rollcall serve` and the function binaries send them (a retry
//! re-rendered, a signature made with another key or at another time), and the message each kind's fixture must
//! become, checked field by field against the fixture by the rules of the issue that added Calendly (not by the
//! mapping code under test), and against the record `shared/tests/fixtures/messages.json`.

use crate::deliveries::{calendly_signature, fixture, fixture_text, kind_fixture, now};
use rollcall::provider::calendly;
use rollcall::{Kind, Provider};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `body` (JSON) rendered as Calendly might render a retry: every object's keys in reverse order, other
/// whitespace. The same delivery, byte for byte another body.
pub fn rerendered(body: &[u8]) -> Vec<u8> {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                out.push_str("{\n  ");
                for (i, (key, item)) in map.iter().rev().enumerate() {
                    if i > 0 {
                        out.push_str(" ,\n  ");
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(" :  ");
                    write(item, out);
                }
                out.push_str("\n}");
            }
            Value::Array(items) => {
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" , ");
                    }
                    write(item, out);
                }
                out.push_str(" ]");
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let value: Value = serde_json::from_slice(body).expect("a JSON body");
    let mut out = String::new();
    write(&value, &mut out);
    assert_ne!(out.as_bytes(), body, "the re-rendering differs");
    out.into_bytes()
}

/// A `Calendly-Webhook-Signature` of `body` at `t` with `key` (a key Rollcall is not configured with, for one).
pub fn signature_with(key: &str, t: u64, body: &[u8]) -> String {
    calendly::signature_header(key.as_bytes(), t, body)
}

/// The signatures Rollcall must refuse (`401`) on `body`, each named: made with a key it is not configured with,
/// at a `t` an hour old (the tests bound the age to a minute), at a `t` two minutes ahead, and none.
pub fn refusals(body: &[u8]) -> [(&'static str, Option<String>); 4] {
    [
        (
            "a wrong key",
            Some(signature_with("not-the-key", now(), body)),
        ),
        ("a stale t", Some(calendly_signature(now() - 3600, body))),
        (
            "a t 2 minutes ahead",
            Some(calendly_signature(now() + 120, body)),
        ),
        ("no signature", None),
    ]
}

/// The Calendly kinds.
pub fn kinds() -> Vec<Kind> {
    let kinds: Vec<Kind> = Provider::Calendly.kinds().collect();
    assert_eq!(kinds.len(), 4, "the four Calendly kinds");
    kinds
}

/// Another Calendly kind than `kind`, and its fixture, which posted to `kind`'s route must be quarantined.
pub fn misrouted(kind: Kind) -> (Kind, Vec<u8>) {
    let kinds = kinds();
    let at = kinds
        .iter()
        .position(|k| *k == kind)
        .expect("a Calendly kind");
    let other = kinds[(at + 1) % kinds.len()];
    (
        other,
        fixture_text(&format!("{}.json", other.binary())).into_bytes(),
    )
}

/// Panics unless (`status`, `answer`) is the answer to `other`'s body posted to `kind`'s route ([`misrouted`]):
/// authentic, so quarantined, with a reason naming both events.
pub fn assert_misrouted(kind: Kind, other: Kind, status: u64, answer: &Value) {
    assert_eq!(
        (status, &answer["status"]),
        (200, &"quarantined".into()),
        "{kind}: {answer}"
    );
    let reason = answer["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&format!("`{}`", other.wire_name()))
            && reason.contains(&format!("`{}`", kind.wire_name())),
        "{kind}: the reason names both events: {reason}"
    );
}

/// Panics unless `messages` (the queue, drained) are one message per kind ([`kinds`]), each its fixture's
/// ([`assert_message`]) with the id answered for it in `ids`, and `records` (the quarantine, drained) are one
/// per kind, none keeping the signature, a credential.
pub fn assert_drained(messages: &[String], ids: &[Value], records: &[String]) {
    assert_eq!(messages.len(), 4, "one message per kind: {messages:#?}");
    for (kind, id) in kinds().into_iter().zip(ids) {
        let body = messages
            .iter()
            .find(|m| serde_json::from_str::<Value>(m).unwrap()["type"] == kind.message_type())
            .unwrap_or_else(|| panic!("{kind} queued"));
        assert_message(kind, body);
        let message: Value = serde_json::from_str(body).unwrap();
        assert_eq!(message["id"], *id, "{kind}: the answered id");
    }
    assert_eq!(records.len(), 4, "one quarantined per kind: {records:#?}");
    for record in records {
        let record: Value = serde_json::from_str(record).expect("a JSON record");
        assert!(
            record["headers"].get(calendly::SIGNATURE_HEADER).is_none(),
            "{record}"
        );
    }
}

/// Panics, saying which field, unless `body` (a message as queued) is the message of `kind`'s unchanged fixture.
pub fn assert_message(kind: Kind, body: &str) {
    let message: Value = serde_json::from_str(body).expect("a JSON message");
    let delivery = kind_fixture(kind);
    let data = &message["data"];
    assert_eq!(
        data["original"], delivery,
        "{kind}: the original, token for token"
    );
    assert_fields(kind, &delivery, &message);
    let mut recorded = fixture("messages.json")[kind.binary()].clone();
    assert!(recorded.is_object(), "{kind} in messages.json");
    recorded["data"]["original"] = delivery;
    assert_eq!(message, recorded, "{kind}: as recorded in messages.json");
}

/// The fields the issue lists, read from the fixture `delivery` by its rules.
fn assert_fields(kind: Kind, delivery: &Value, message: &Value) {
    let invitee = &delivery["payload"];
    let meeting = &invitee["scheduled_event"];
    let data = &message["data"];
    let at = |name: &str| format!("{kind}: {name}");
    let invitee_id = last_segment(&invitee["uri"]);
    let no_show = kind.wire_name().starts_with("invitee_no_show.");
    let created = kind.wire_name().ends_with(".created");

    assert_eq!(message["type"], kind.message_type(), "{}", at("type"));
    let id = uuid::Uuid::parse_str(message["id"].as_str().unwrap_or_default());
    assert_eq!(
        id.map(|id| id.get_version_num()).ok(),
        Some(5),
        "{}",
        at("id")
    );
    assert_eq!(
        message["source"],
        format!("/calendly/users/{}", last_segment(&delivery["created_by"])),
        "{}",
        at("source")
    );
    let subject = if no_show {
        "invitee_no_show"
    } else {
        "invitee"
    };
    assert_eq!(
        message["subject"],
        format!("{subject}/{invitee_id}"),
        "{}",
        at("subject")
    );
    assert_same_instant(&message["time"], &delivery["created_at"], &at("time"));
    let changed_at = match (no_show, created) {
        (false, _) => &invitee["updated_at"],
        (true, true) => &invitee["no_show"]["created_at"],
        (true, false) => &delivery["created_at"],
    };
    assert_same_instant(&data["changed_at"], changed_at, &at("changed_at"));
    assert_eq!(data["sequence"], Value::Null, "{}", at("sequence"));

    let participation = &data["participation"];
    assert_eq!(
        participation["id"],
        invitee_id,
        "{}",
        at("participation.id")
    );
    let status = if kind.wire_name() == "invitee.canceled" {
        "cancelled"
    } else {
        "going"
    };
    assert_eq!(
        participation["status"],
        status,
        "{}",
        at("participation.status")
    );
    let attended = if no_show && created {
        Value::Bool(false)
    } else {
        Value::Null
    };
    assert_eq!(participation["attended"], attended, "{}", at("attended"));
    let guests = meeting["event_guests"].as_array().map_or(0, Vec::len);
    let one_on_one = meeting["invitees_counter"]["limit"] == 1;
    let party_size = if one_on_one { 1 + guests } else { 1 };
    assert_eq!(
        participation["party_size"],
        party_size,
        "{}",
        at("party_size")
    );

    let person = &data["person"];
    assert_eq!(person["name"], invitee["name"], "{}", at("person.name"));
    assert_eq!(person["email"], invitee["email"], "{}", at("person.email"));
    let phone = &invitee["text_reminder_number"];
    assert_eq!(person["phone"], *phone, "{}", at("person.phone"));
    assert_eq!(person["id"], Value::Null, "{}", at("person.id"));

    let event = &data["event"];
    assert_eq!(
        event["id"],
        last_segment(&meeting["uri"]),
        "{}",
        at("event.id")
    );
    assert_eq!(event["title"], meeting["name"], "{}", at("event.title"));
    assert_same_instant(
        &event["starts_at"],
        &meeting["start_time"],
        &at("starts_at"),
    );
    assert_same_instant(&event["ends_at"], &meeting["end_time"], &at("ends_at"));
    let location = &meeting["location"]["location"];
    assert_eq!(event["location"], *location, "{}", at("event.location"));
    let event_status = match meeting["status"].as_str() {
        Some("active") => "scheduled",
        Some("canceled") => "cancelled",
        other => panic!("{kind}: a fixture's meeting status {other:?}"),
    };
    assert_eq!(event["status"], event_status, "{}", at("event.status"));
    assert_eq!(event["time_zone"], Value::Null, "{}", at("event.time_zone"));
}

/// The last segment of the URI `uri`.
fn last_segment(uri: &Value) -> &str {
    let uri = uri.as_str().expect("a URI");
    uri.rsplit_once('/').map_or(uri, |(_, last)| last)
}

fn assert_same_instant(found: &Value, expected: &Value, at: &str) {
    let parse = |v: &Value| {
        let text = v.as_str().unwrap_or_else(|| panic!("{at}: {v} is no time"));
        OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{at}: {text}: {e}"))
    };
    assert_eq!(parse(found), parse(expected), "{at}");
}
