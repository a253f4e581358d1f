//! Calendly message ids follow the change, not the rendering (issue 29): one id per kind and natural key (the
//! invitee, the no-show marking, an unmarking's invitee and time), whatever the key order, whitespace or the
//! precision a time is written with; another change, or the same invitee under another kind, another id.

use rollcall::Kind;
use rollcall::provider::parse;
use rollcall_testkit::calendly::rerendered;
use rollcall_testkit::deliveries::kind_fixture;
use serde_json::Value;

fn id(kind: Kind, delivery: &Value) -> String {
    id_of_text(kind, delivery.to_string().as_bytes())
}

fn id_of_text(kind: Kind, body: &[u8]) -> String {
    parse(kind, body)
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
        .id
}

#[test]
fn a_rerendered_delivery_keeps_its_id_and_another_change_gets_another() {
    for kind in rollcall::Provider::Calendly.kinds() {
        let delivery = kind_fixture(kind);
        let first = id(kind, &delivery);
        let text = delivery.to_string().into_bytes();
        assert_eq!(
            id_of_text(kind, &rerendered(&text)),
            first,
            "{kind}: re-rendered"
        );

        // What the id is not over: the invitee's other fields, the envelope's time (but for an unmarking).
        let mut other = delivery.clone();
        other["payload"]["email"] = "someone.else@example.com".into();
        other["payload"]["updated_at"] = "2026-04-01T00:00:00.000000Z".into();
        if !kind.is_deletion() {
            other["created_at"] = "2026-04-01T00:00:01.000000Z".into();
        }
        assert_eq!(
            id(kind, &other),
            first,
            "{kind}: the same change, other details"
        );

        // Another invitee: another change (a no-show marking is named by its own URI, below).
        if kind != Kind::CalendlyInviteeNoShowCreated {
            let mut other = delivery.clone();
            other["payload"]["uri"] =
                "https://api.calendly.com/scheduled_events/x/invitees/00000000-0000-4000-8000-000000000001"
                    .into();
            assert_ne!(id(kind, &other), first, "{kind}: another invitee");
        }
    }
}

#[test]
fn a_created_and_a_canceled_of_one_invitee_are_two_messages() {
    let created = id(
        Kind::CalendlyInviteeCreated,
        &kind_fixture(Kind::CalendlyInviteeCreated),
    );
    let mut canceled = kind_fixture(Kind::CalendlyInviteeCreated);
    canceled["event"] = "invitee.canceled".into();
    assert_ne!(id(Kind::CalendlyInviteeCanceled, &canceled), created);
}

#[test]
fn a_no_show_is_named_by_its_marking_and_an_unmarking_by_its_invitee_and_time() {
    let kind = Kind::CalendlyInviteeNoShowCreated;
    let marking = kind_fixture(kind);
    let mut again = marking.clone();
    again["created_at"] = "2026-03-14T19:05:00.000000Z".into();
    assert_eq!(id(kind, &again), id(kind, &marking), "the same marking");
    let mut other = marking.clone();
    other["payload"]["no_show"]["uri"] =
        "https://api.calendly.com/invitee_no_shows/00000000-0000-4000-8000-000000000002".into();
    assert_ne!(id(kind, &other), id(kind, &marking), "another marking");

    let kind = Kind::CalendlyInviteeNoShowDeleted;
    let unmarking = kind_fixture(kind);
    let at = unmarking["created_at"].as_str().unwrap().to_owned();
    assert!(at.ends_with(".000000Z"), "{at}");
    let mut coarser = unmarking.clone();
    coarser["created_at"] = at.replace(".000000Z", "Z").into();
    assert_eq!(
        id(kind, &coarser),
        id(kind, &unmarking),
        "the same instant written with another precision"
    );
    let mut later = unmarking.clone();
    later["created_at"] = "2026-03-15T08:00:00.000000Z".into();
    assert_ne!(id(kind, &later), id(kind, &unmarking), "another unmarking");
}
