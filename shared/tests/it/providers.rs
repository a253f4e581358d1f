//! Every kind's fixture parses, normalizes and round-trips through the message contract; the seed samples give
//! the expected normalized values.

use crate::common::*;
use rollcall::Payload;
use rollcall::message::UtcTime;
use rollcall::message::{Message, Status};
use rollcall::provider::parse;
use rollcall::{Kind, Provider};

fn message(kind: Kind) -> Message {
    let change = parse(kind, &body(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"));
    Message::build(kind, change, UtcTime::now())
}

#[test]
fn every_kind_parses_normalizes_and_round_trips() {
    for kind in Kind::ALL {
        let message = message(kind);
        assert_eq!(message.kind, kind);
        let prefix = format!("/{}/", kind.provider().slug());
        assert!(
            message.source.starts_with(&prefix),
            "{kind}: source {}",
            message.source
        );
        assert!(
            message.subject.contains('/'),
            "{kind}: subject {}",
            message.subject
        );
        assert!(!message.id.is_empty());
        let body = message.to_body();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        for key in [
            "event",
            "person",
            "participation",
            "sequence",
            "changed_at",
            "original",
        ] {
            assert!(
                value["data"].get(key).is_some(),
                "{kind}: data.{key} missing"
            );
        }
        assert_eq!(value["specversion"], "1.0");
        assert_eq!(value["type"], kind.message_type());
        assert_eq!(value["dataschema"], "urn:rollcall:message:v1");
        let back = Message::from_body(&body).unwrap();
        assert_eq!(back.to_body(), body, "{kind}: round trip");
        back.payload()
            .unwrap_or_else(|e| panic!("{kind}: typed view: {e}"));
    }
}

#[test]
fn original_is_the_body_as_received_on_one_line() {
    for kind in Kind::ALL
        .into_iter()
        .filter(|k| k.provider() != Provider::Wix)
    {
        let body = body(kind);
        let original = parse(kind, &body).unwrap().original;
        let text = original.get();
        assert!(!text.contains('\n'), "{kind}");
        let as_sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(text).unwrap(),
            as_sent,
            "{kind}"
        );
        let tokens = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let sent = std::str::from_utf8(&body).unwrap();
        assert_eq!(
            tokens(text),
            tokens(sent),
            "{kind}: key order and numbers as sent"
        );
    }
}

#[test]
fn omerlo_participant_created_seed() {
    let m = message(Kind::OmerloParticipantCreated);
    assert!(matches!(
        m.payload().unwrap(),
        Payload::OmerloParticipantCreated(_)
    ));
    assert_eq!(
        m.source,
        "/omerlo/workspaces/f303371b-5e1b-437e-9a1c-88d8d7e119a6"
    );
    assert_eq!(
        m.subject,
        "participant/7a24c4de-75d2-422e-bd2a-ef62c999129e"
    );
    assert_eq!(m.time, "2026-05-29T15:31:38Z");
    let person = m.data.person.unwrap();
    assert_eq!(person.name.as_deref(), Some("Amanda Wolf"));
    assert_eq!(
        person.id.as_deref(),
        Some("acc9e0b7-af36-4ca5-a6c0-cd9dd3198bcd")
    );
    let event = m.data.event.unwrap();
    assert_eq!(event.title.as_deref(), Some("Event with participants"));
    assert_eq!(event.starts_at.as_deref(), Some("2026-05-29T12:29:03"));
    assert_eq!(event.time_zone.as_deref(), Some("America/Montreal"));
    assert_eq!(
        event.location.as_deref(),
        Some("8696 Ike Oval, Kub, Puerto Rico")
    );
    assert_eq!(m.data.participation.unwrap().status, Some(Status::Going));
}

#[test]
fn omerlo_invitation_seed() {
    let m = message(Kind::OmerloEventInvitationCreated);
    assert_eq!(m.subject, "invitation/a2de79c9-0f46-49b9-9c5b-b94b4acaa6c1");
    assert_eq!(
        m.data.person.unwrap().email.as_deref(),
        Some("qbuirette@omerlo.com")
    );
    assert_eq!(m.data.participation.unwrap().status, Some(Status::Invited));
    assert_eq!(
        m.data.event.unwrap().title.as_deref(),
        Some("Oaked Arrogant Bastard Ale")
    );
}

#[test]
fn omerlo_removed_is_cancelled() {
    let m = message(Kind::OmerloParticipantRemoved);
    assert_eq!(
        m.data.participation.unwrap().status,
        Some(Status::Cancelled)
    );
}

#[test]
fn omerlo_ids_survive_reserialization_and_change_with_content() {
    let kind = Kind::OmerloParticipantCreated;
    let original = parse(kind, &body(kind)).unwrap().id;
    let value = fixture("omerlo-participant-created.json");
    let compact = serde_json::to_vec(&value).unwrap();
    assert_eq!(parse(kind, &compact).unwrap().id, original);
    let mut changed = value.clone();
    changed["data"]["participant"]["updated_at"] = "2026-05-30T00:00:00Z".into();
    assert_ne!(
        parse(kind, &serde_json::to_vec(&changed).unwrap())
            .unwrap()
            .id,
        original
    );
    // The same body on another route is another kind, hence another id.
    let mut removed = value;
    removed["event_name"] = "participant_removed".into();
    let as_removed = parse(
        Kind::OmerloParticipantRemoved,
        &serde_json::to_vec(&removed).unwrap(),
    )
    .unwrap();
    assert_ne!(as_removed.id, original);
}

#[test]
fn mighty_networks_event_and_rsvps() {
    let m = message(Kind::MightyNetworksEventCreated);
    assert_eq!(m.source, "/mighty-networks/spaces/123");
    assert_eq!(m.subject, "event/1234");
    assert!(m.data.person.is_none() && m.data.participation.is_none());
    let ids: std::collections::HashSet<String> = Provider::MightyNetworks
        .kinds()
        .map(|k| message(k).id)
        .collect();
    assert_eq!(ids.len(), 5, "fixtures carry distinct event ids");
    let created = message(Kind::MightyNetworksRsvpCreated);
    assert!(created.subject.starts_with("rsvp/"));
    assert_eq!(
        created.data.participation.unwrap().status,
        Some(Status::Going)
    );
    assert_eq!(
        message(Kind::MightyNetworksRsvpUpdated)
            .data
            .participation
            .unwrap()
            .status,
        Some(Status::Maybe)
    );
    assert_eq!(
        message(Kind::MightyNetworksRsvpDeleted)
            .data
            .participation
            .unwrap()
            .status,
        Some(Status::Cancelled)
    );
}

#[test]
fn mighty_networks_ids_may_be_numbers() {
    let mut value = fixture("mighty-networks-rsvp-created.json");
    value["payload"]["id"] = serde_json::json!(98765);
    value["payload"]["event"]["space_id"] = serde_json::json!("77");
    let change = parse(
        Kind::MightyNetworksRsvpCreated,
        &serde_json::to_vec(&value).unwrap(),
    )
    .unwrap();
    assert_eq!(change.subject, "rsvp/98765");
    assert_eq!(change.source, "/mighty-networks/spaces/77");
}

#[test]
fn wix_participation_seed() {
    let m = message(Kind::WixParticipationCreated);
    assert_eq!(m.id, "9c8e5653-6d37-4bc2-9b28-2ad8ee5efa82");
    assert_eq!(
        m.subject,
        "participation/b9d81e37-3883-4318-b746-dcf2e6c0fc01"
    );
    assert_eq!(m.time, "2024-10-15T11:29:39.041491431Z");
    assert_eq!(m.data.sequence, Some(1));
    assert_eq!(m.data.anonymize_request, Some(false));
    let person = m.data.person.clone().unwrap();
    assert_eq!(person.name.as_deref(), Some("Jane Doe"));
    assert_eq!(person.email.as_deref(), Some("jane.doe@example.com"));
    let participation = m.data.participation.clone().unwrap();
    assert_eq!(
        (participation.status, participation.party_size),
        (Some(Status::Going), Some(1))
    );
    let original: serde_json::Value = serde_json::from_str(m.data.original.get()).unwrap();
    assert_eq!(
        original["data"]["id"], m.id,
        "nested JSON strings are parsed into objects"
    );
    assert!(original["identity"].is_object());
}

#[test]
fn wix_updated_and_deleted() {
    let updated = message(Kind::WixParticipationUpdated);
    assert_eq!(updated.data.sequence, Some(2));
    assert_eq!(
        updated.data.participation.unwrap().status,
        Some(Status::Pending)
    );
    let deleted = message(Kind::WixParticipationDeleted);
    assert_eq!(
        deleted.data.participation.unwrap().status,
        Some(Status::Cancelled)
    );
}

#[test]
fn wix_entity_as_json_strings_are_accepted() {
    let mut delivery = fixture("wix-participation-created.json");
    let entity = delivery["data"]["createdEvent"]["entity"].take();
    delivery["data"]["createdEvent"] = serde_json::json!({"entityAsJson": entity.to_string()});
    let token = sign(&wix_claims(&delivery), "wix-test-key.pem");
    let change = parse(Kind::WixParticipationCreated, token.as_bytes()).unwrap();
    assert_eq!(change.person.unwrap().name.as_deref(), Some("Jane Doe"));
}

/// `original` is the delivery as Wix sent it (member order, value tokens), with only `data` and `identity`
/// turned from JSON strings into JSON in place and the whitespace between tokens removed.
#[test]
fn wix_original_keeps_the_delivery_as_sent() {
    let data = r#"{"id":"e1","slug":"created","entityFqdn":"wix.calendar.v3.participation","entityId":"p1","createdEvent":{"entityAsJson":"{\"id\":\"p1\",\"status\":\"CONFIRMED\",\"partySize\":2.0}"}}"#;
    let identity = r#"{ "identityType": "MEMBER", "memberId": "m1" }"#;
    let delivery = format!(
        r#"{{"instanceId":"i1","data":{},"eventType":"wix.calendar.v3.participation_created","identity":{}, "accountInfo":{{"siteId":"s1","n":1.50}}}}"#,
        serde_json::to_string(data).unwrap(),
        serde_json::to_string(identity).unwrap(),
    );
    let token = sign(
        &serde_json::json!({"data": delivery, "iat": 1_767_225_600}),
        "wix-test-key.pem",
    );
    let change = parse(Kind::WixParticipationCreated, token.as_bytes()).unwrap();
    assert_eq!(
        change.original.get(),
        format!(
            r#"{{"instanceId":"i1","data":{data},"eventType":"wix.calendar.v3.participation_created","identity":{{"identityType":"MEMBER","memberId":"m1"}},"accountInfo":{{"siteId":"s1","n":1.50}}}}"#
        )
    );
    assert_eq!(change.source, "/wix/instances/i1");
    assert_eq!(change.participation.unwrap().status, Some(Status::Going));
    let bad = serde_json::json!({"data": r#"{"instanceId":"i1","data":"{not json"}"#});
    let reason = parse(
        Kind::WixParticipationCreated,
        sign(&bad, "wix-test-key.pem").as_bytes(),
    )
    .unwrap_err();
    assert!(reason.0.starts_with("`data` is not JSON"), "{reason}");
}

#[test]
fn wrong_kind_and_malformed_bodies_are_unparsable() {
    let cases: [(Kind, Vec<u8>); 6] = [
        (
            Kind::OmerloParticipantRemoved,
            body(Kind::OmerloParticipantCreated),
        ),
        (
            Kind::OmerloParticipantCreated,
            b"{\"event_name\": \"participant_created\", \"data\": {".to_vec(),
        ),
        (
            Kind::OmerloParticipantCreated,
            br#"{"event_name":"participant_created","data":{}}"#.to_vec(),
        ),
        (
            Kind::MightyNetworksEventCreated,
            body(Kind::MightyNetworksRsvpCreated),
        ),
        (
            Kind::MightyNetworksRsvpCreated,
            br#"{"payload":{"id":"1"}}"#.to_vec(),
        ),
        (
            Kind::WixParticipationCreated,
            body(Kind::WixParticipationUpdated),
        ),
    ];
    for (kind, body) in cases {
        let reason = parse(kind, &body).expect_err(&format!("{kind} should not parse"));
        assert!(!reason.0.is_empty());
    }
    for bad in [&b""[..], b"   ", b"\xff\xfe", b"not json", b"[[[[[[[[[[[["] {
        assert!(parse(Kind::OmerloParticipantCreated, bad).is_err());
        assert!(parse(Kind::MightyNetworksEventCreated, bad).is_err());
        assert!(parse(Kind::WixParticipationCreated, bad).is_err());
    }
}
