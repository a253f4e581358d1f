//! The Wix Events kinds (guests and events): the fixtures, built from Wix's SDK types and documentation samples,
//! give the normalized values the issue asks for; every body shape Wix may send for a cancellation or a
//! deletion is accepted; a failure names the field, never its value; a consumer passes over a type it does not
//! know.

use crate::common::*;
use rollcall::Payload;
use rollcall::message::{EventStatus, Message, Received, Status, UtcTime};
use rollcall::provider::parse;
use rollcall::{Kind, Provider};
use serde_json::{Value, json};

const GUEST: &str = "501554db-e150-404b-95ae-94ef636f4a7f";
const EVENT: &str = "c4025083-05c3-4ec7-b517-5af1079856e3";

fn message(kind: Kind) -> Message {
    build(kind, &body(kind))
}

fn build(kind: Kind, body: &[u8]) -> Message {
    let change = parse(kind, body).unwrap_or_else(|e| panic!("{kind}: {e}"));
    Message::build(kind, change, UtcTime::now())
}

/// The kind's fixture changed by `edit`, signed.
fn edited(kind: Kind, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut delivery = fixture(&format!("{}.json", kind.binary()));
    edit(&mut delivery);
    sign(&wix_claims(&delivery), "wix-test-key.pem").into_bytes()
}

#[test]
fn both_wix_families_share_the_provider_and_its_key() {
    for kind in [
        Kind::WixGuestCreated,
        Kind::WixGuestUpdated,
        Kind::WixGuestDeleted,
        Kind::WixEventCreated,
        Kind::WixEventUpdated,
        Kind::WixEventCanceled,
        Kind::WixEventDeleted,
    ] {
        assert_eq!(kind.provider(), Provider::Wix);
        assert!(kind.route().starts_with("/webhooks/wix/"));
        assert!(message(kind).source == "/wix/instances/6f2c9e1a-4b7d-4c3e-9a8f-2d1e0b5c7a90");
    }
}

#[test]
fn guest_created_on_the_waiting_list() {
    let m = message(Kind::WixGuestCreated);
    assert!(matches!(m.payload().unwrap(), Payload::WixGuestCreated(_)));
    assert_eq!(m.id, "3f6b1c2e-8d4a-4b7e-9c1f-5a2d6e8b0c13");
    assert_eq!(m.subject, format!("guest/{GUEST}"));
    assert_eq!(m.time, "2026-03-02T09:15:42.306518277Z");
    let person = m.data.person.clone().unwrap();
    assert_eq!(
        person.id.as_deref(),
        Some("53a6179d-5ab2-4de4-a6a2-1fa10ebc3dff")
    );
    assert_eq!(person.name.as_deref(), Some("John Doe"));
    assert_eq!(person.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(person.phone.as_deref(), Some("(555) 555-1234"));
    let participation = m.data.participation.clone().unwrap();
    assert_eq!(participation.id.as_deref(), Some(GUEST));
    assert_eq!(participation.status, Some(Status::Pending));
    assert_eq!(participation.waitlisted, Some(true));
    assert_eq!(participation.party_size, Some(2));
    assert_eq!(m.data.event.as_ref().unwrap().id.as_deref(), Some(EVENT));
    assert_eq!(m.data.sequence, Some(1));
    assert_eq!(
        m.data.changed_at.as_deref(),
        Some("2026-03-02T09:15:42.118Z")
    );
    assert_eq!(m.data.anonymize_request, Some(false));
    let Payload::WixGuestCreated(delivery) = m.payload().unwrap() else {
        unreachable!()
    };
    let guest = delivery.data.entity().unwrap();
    assert_eq!(guest.guest_type.as_deref(), Some("RSVP"));
    assert_eq!(guest.revision.as_ref().unwrap().as_str(), "1");
}

#[test]
fn guest_updated_without_details_or_sequence() {
    let m = message(Kind::WixGuestUpdated);
    let person = m.data.person.unwrap();
    assert_eq!(
        person.id.as_deref(),
        Some("53a6179d-5ab2-4de4-a6a2-1fa10ebc3dff")
    );
    assert_eq!((person.name, person.email), (None, None));
    let participation = m.data.participation.unwrap();
    assert_eq!(participation.status, Some(Status::Going));
    assert_eq!(participation.waitlisted, Some(false));
    assert_eq!(m.data.sequence, None, "no sequence was sent");
    assert_eq!(m.data.revision, Some(2), "the guest's revision, apart");

    let declined = build(
        Kind::WixGuestUpdated,
        &edited(Kind::WixGuestUpdated, |d| {
            d["data"]["updatedEvent"]["currentEntity"]["attendanceStatus"] = "NOT_ATTENDING".into();
            d["data"]["entityEventSequence"] = "7".into();
        }),
    );
    let participation = declined.data.participation.unwrap();
    assert_eq!(participation.status, Some(Status::NotGoing));
    assert_eq!(
        (declined.data.sequence, declined.data.revision),
        (Some(7), Some(2)),
        "the sequence and the revision, each in its own field"
    );

    let unknown = build(
        Kind::WixGuestUpdated,
        &edited(Kind::WixGuestUpdated, |d| {
            d["data"]["updatedEvent"]["currentEntity"]["attendanceStatus"] = "MAYBE_LATER".into();
        }),
    );
    assert_eq!(unknown.data.participation.unwrap().status, None);
}

#[test]
fn guest_deleted_with_and_without_the_entity() {
    let m = message(Kind::WixGuestDeleted);
    let participation = m.data.participation.unwrap();
    assert_eq!(participation.status, Some(Status::Cancelled));
    assert_eq!(m.data.sequence, Some(3));

    let bare = build(
        Kind::WixGuestDeleted,
        &edited(Kind::WixGuestDeleted, |d| {
            d["data"]["deletedEvent"] = json!({});
        }),
    );
    assert_eq!(bare.subject, format!("guest/{GUEST}"));
    let participation = bare.data.participation.unwrap();
    assert_eq!(participation.id.as_deref(), Some(GUEST));
    assert_eq!(participation.status, Some(Status::Cancelled));
    assert!(bare.data.person.is_none() && bare.data.event.is_none());
}

#[test]
fn a_checked_in_guest_attended_and_one_not_checked_in_is_not_said_to_have_missed_it() {
    let attended = |kind: Kind, checked_in: Option<Value>| {
        let body = edited(kind, |d| {
            let entity = match kind {
                Kind::WixGuestCreated => &mut d["data"]["createdEvent"]["entity"],
                Kind::WixGuestUpdated => &mut d["data"]["updatedEvent"]["currentEntity"],
                _ => &mut d["data"]["deletedEvent"]["deletedEntity"],
            };
            let details = entity["guestDetails"].as_object_mut();
            match (details, checked_in) {
                (Some(details), None) => {
                    details.remove("checkedIn");
                }
                (Some(details), Some(value)) => {
                    details.insert("checkedIn".into(), value);
                }
                (None, value) => {
                    entity["guestDetails"] = value.map_or(json!({}), |v| json!({"checkedIn": v}));
                }
            }
        });
        build(kind, &body).data.participation.unwrap().attended
    };
    for kind in [
        Kind::WixGuestCreated,
        Kind::WixGuestUpdated,
        Kind::WixGuestDeleted,
    ] {
        assert_eq!(attended(kind, Some(json!(true))), Some(true), "{kind}");
        assert_eq!(
            attended(kind, Some(json!(false))),
            None,
            "{kind}: not checked in is not a no-show"
        );
        assert_eq!(attended(kind, None), None, "{kind}: absent");
        for drifted in [json!("true"), json!(1), json!({"at": "now"}), Value::Null] {
            assert_eq!(
                attended(kind, Some(drifted.clone())),
                None,
                "{kind}: {drifted} still reads, as no answer"
            );
        }
    }
    assert_eq!(
        message(Kind::WixGuestCreated)
            .data
            .participation
            .unwrap()
            .attended,
        None,
        "the fixture's guest has not checked in"
    );
    assert_eq!(
        message(Kind::WixGuestUpdated)
            .data
            .participation
            .unwrap()
            .attended,
        None,
        "no guest details at all"
    );
}

#[test]
fn event_created_as_the_documentation_sample_spells_it() {
    let m = message(Kind::WixEventCreated);
    assert!(matches!(m.payload().unwrap(), Payload::WixEventCreated(_)));
    assert_eq!(m.subject, format!("event/{EVENT}"));
    assert!(m.data.person.is_none() && m.data.participation.is_none());
    let event = m.data.event.unwrap();
    assert_eq!(event.id.as_deref(), Some(EVENT));
    assert_eq!(event.title.as_deref(), Some("Spring Community Concert"));
    assert_eq!(event.starts_at.as_deref(), Some("2026-04-18T23:00:00Z"));
    assert_eq!(event.ends_at.as_deref(), Some("2026-04-19T02:00:00Z"));
    assert_eq!(event.time_zone.as_deref(), Some("America/Toronto"));
    assert_eq!(
        event.location.as_deref(),
        Some("Harbourfront Hall, 235 Queens Quay W, Toronto, CA-ON, M5J 2G8, CA")
    );
    assert_eq!(event.status, Some(EventStatus::Draft));
    assert_eq!(m.data.sequence, Some(1));
}

#[test]
fn event_times_that_cannot_be_written_in_utc_are_null_never_a_panic() {
    for (start, end, starts_at, ends_at) in [
        (
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+14:00",
            None,
            None,
        ),
        (
            "2016-12-31T23:59:60Z",
            "9999-12-31T23:59:59+14:00",
            Some("2016-12-31T23:59:59.999999999Z"),
            Some("9999-12-31T09:59:59Z"),
        ),
    ] {
        let m = build(
            Kind::WixEventUpdated,
            &edited(Kind::WixEventUpdated, |d| {
                let when = &mut d["data"]["updatedEvent"]["currentEntity"]["dateAndTimeSettings"];
                when["startDate"] = start.into();
                when["endDate"] = end.into();
                d["data"]["eventTime"] = start.into();
            }),
        );
        let event = m.data.event.clone().unwrap();
        assert_eq!(event.starts_at.as_deref(), starts_at, "{start}");
        assert_eq!(event.ends_at.as_deref(), ends_at, "{end}");
        // `eventTime` is the same time: written in UTC, else the time of receipt.
        assert!(UtcTime::parse(&m.time).is_some(), "{}", m.time);
        assert!(starts_at.is_none_or(|s| m.time == s), "{}", m.time);
        // Passed through as sent.
        assert!(m.data.original.get().contains(start) && m.data.original.get().contains(end));
    }
}

#[test]
fn event_statuses_map_to_the_contracts_words() {
    for (wix, status) in [
        ("UPCOMING", Some(EventStatus::Scheduled)),
        ("STARTED", Some(EventStatus::Started)),
        ("ENDED", Some(EventStatus::Ended)),
        ("CANCELED", Some(EventStatus::Cancelled)),
        ("DRAFT", Some(EventStatus::Draft)),
        ("POSTPONED", None),
    ] {
        let m = build(
            Kind::WixEventUpdated,
            &edited(Kind::WixEventUpdated, |d| {
                d["data"]["updatedEvent"]["currentEntity"]["status"] = wix.into();
            }),
        );
        assert_eq!(m.data.event.unwrap().status, status, "{wix}");
    }
    let m = message(Kind::WixEventUpdated);
    assert_eq!(m.data.event.unwrap().status, Some(EventStatus::Scheduled));
    assert_eq!(m.data.sequence, Some(2));
}

#[test]
fn canceled_and_deleted_events_are_accepted_with_any_body() {
    let entity = fixture("wix-event-updated.json")["data"]["updatedEvent"]["currentEntity"].clone();
    let bodies: Vec<(&str, Value)> = vec![
        (
            "actionEvent",
            json!({"body": {"eventId": EVENT, "title": "Spring Community Concert"}}),
        ),
        ("updatedEvent", json!({"currentEntity": entity.clone()})),
        ("deletedEvent", json!({"deletedEntity": entity})),
        ("deletedEvent", json!({})),
        ("none", Value::Null),
    ];
    for (kind, status) in [
        (Kind::WixEventCanceled, EventStatus::Cancelled),
        (Kind::WixEventDeleted, EventStatus::Deleted),
    ] {
        for (key, value) in &bodies {
            let m = build(
                kind,
                &edited(kind, |d| {
                    let data = d["data"].as_object_mut().unwrap();
                    for body in [
                        "createdEvent",
                        "updatedEvent",
                        "deletedEvent",
                        "actionEvent",
                    ] {
                        data.remove(body);
                    }
                    if !value.is_null() {
                        data.insert((*key).to_owned(), value.clone());
                    }
                }),
            );
            assert_eq!(m.subject, format!("event/{EVENT}"), "{kind} {key}");
            let event = m.data.event.unwrap();
            assert_eq!(event.id.as_deref(), Some(EVENT), "{kind} {key}");
            assert_eq!(event.status, Some(status), "{kind} {key}");
            assert!(m.data.person.is_none() && m.data.participation.is_none());
        }
    }
    let canceled = message(Kind::WixEventCanceled).data;
    assert_eq!(
        canceled.event.unwrap().title.as_deref(),
        Some("Spring Community Concert")
    );
    assert_eq!(
        canceled.changed_at.as_deref(),
        Some("2026-04-10T12:30:00.215Z")
    );
}

#[test]
fn nested_json_strings_and_drifted_values_are_read() {
    let m = build(
        Kind::WixGuestUpdated,
        &edited(Kind::WixGuestUpdated, |d| {
            let mut entity = d["data"]["updatedEvent"]["currentEntity"].take();
            entity["totalGuests"] = "3".into();
            entity["tickets"] = Value::Null;
            entity["somethingNew"] = json!({"nested": [1, 2]});
            d["data"]["updatedEvent"] = json!({"currentEntityAsJson": entity.to_string()});
        }),
    );
    assert_eq!(m.data.participation.unwrap().party_size, Some(3));
    let m = build(
        Kind::WixEventCreated,
        &edited(Kind::WixEventCreated, |d| {
            let entity = d["data"]["createdEvent"]["entityAsJson"].take();
            d["data"]["createdEvent"] = json!({"entityAsJson": entity.to_string()});
            d["data"]["entityFqdn"] = "wix.events.v3.event".into();
            d.as_object_mut().unwrap().remove("eventType");
        }),
    );
    assert_eq!(
        m.data.event.unwrap().title.as_deref(),
        Some("Spring Community Concert")
    );
}

#[test]
fn a_wrong_kind_or_shape_names_the_field_but_no_value() {
    let secret = "do-not-log-this-value";
    for (kind, body) in [
        (Kind::WixGuestCreated, body(Kind::WixParticipationCreated)),
        (Kind::WixGuestCreated, body(Kind::WixGuestUpdated)),
        (Kind::WixEventCanceled, body(Kind::WixGuestDeleted)),
        (Kind::WixParticipationCreated, body(Kind::WixGuestCreated)),
    ] {
        assert!(parse(kind, &body).is_err(), "{kind}");
    }
    let bad = edited(Kind::WixGuestCreated, |d| {
        d["data"]["createdEvent"]["entity"]["guestDetails"] = secret.into();
    });
    let reason = parse(Kind::WixGuestCreated, &bad).unwrap_err().0;
    assert!(reason.contains("guestDetails"), "{reason}");
    assert!(!reason.contains(secret), "{reason}");
    let bad = edited(Kind::WixEventCreated, |d| {
        d["data"]["triggeredByAnonymizeRequest"] = secret.into();
    });
    let reason = parse(Kind::WixEventCreated, &bad).unwrap_err().0;
    assert!(
        reason.contains("data.triggeredByAnonymizeRequest") && reason.contains("a boolean"),
        "{reason}"
    );
    assert!(!reason.contains(secret), "{reason}");
    let bad = edited(Kind::WixEventCreated, |d| {
        d["data"].as_object_mut().unwrap().remove("entityId");
    });
    let reason = parse(Kind::WixEventCreated, &bad).unwrap_err().0;
    assert!(reason.contains("entityId"), "{reason}");
}

#[test]
fn a_consumer_passes_over_a_type_it_does_not_know() {
    let known = message(Kind::WixGuestCreated)
        .to_body()
        .unwrap()
        .into_string();
    assert!(matches!(
        Received::from_body(&known).unwrap(),
        Received::Known(m) if m.kind == Kind::WixGuestCreated
    ));
    let mut future: Value = serde_json::from_str(&known).unwrap();
    future["type"] = "com.wix.events.guest.checked_in".into();
    let future = future.to_string();
    assert!(Message::from_body(&future).is_err());
    let Received::Unknown(unknown) = Received::from_body(&future).unwrap() else {
        panic!("an unknown type is not an error");
    };
    assert_eq!(unknown.kind, "com.wix.events.guest.checked_in");
    assert_eq!(unknown.subject, format!("guest/{GUEST}"));
    assert!(Received::from_body("{\"type\": 1}").is_err());
}
