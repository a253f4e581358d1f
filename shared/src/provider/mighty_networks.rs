//! Mighty Networks Admin API webhooks: `EventCreated`, `EventUpdated`, `RsvpCreated`, `RsvpUpdated`,
//! `RsvpDeleted`. Delivered as JSON `{"event_id", "event_timestamp", "payload"}` with `Authorization: Bearer
//! <key>`. The schema drifts between versions of the docs (ids as strings or numbers, renamed fields): only the
//! ids are required, everything else is optional and kept in `original`.

use super::common::body::original;
use super::common::{AuthError, Unparsable, delivery, not_sent, single_header};
use crate::config::ApiKeys;
use crate::kind::{Action, Entity, Kind};
use crate::message::{Change, EventView, ParticipationView, PersonView, Status, full_name};
use http::HeaderMap;
use serde_json::value::RawValue;

pub use rollcall_contract::provider::mighty_networks::*;

/// Checks `Authorization: Bearer <key>` against the configured keys.
pub(super) fn authenticate(keys: &ApiKeys, headers: &HeaderMap) -> Result<(), AuthError> {
    let token = single_header(headers, "authorization").and_then(|value| {
        let (scheme, token) = value.split_at_checked(7)?;
        scheme
            .eq_ignore_ascii_case(b"bearer ")
            .then(|| token.trim_ascii())
    });
    match token {
        Some(token) if keys.accepts(token) => Ok(()),
        _ => Err(AuthError::Unauthorized),
    }
}

/// Reads a body as a change of the Mighty Networks `kind`.
pub(super) fn read(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    map(kind, original(body)?)
}

/// Maps the compacted body `original` by the entity of `kind`.
fn map(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    match kind.entity() {
        Entity::Event => event(kind, original),
        Entity::Rsvp => rsvp(kind, original),
        Entity::Invitation
        | Entity::Participant
        | Entity::Participation
        | Entity::Guest
        | Entity::Invitee
        | Entity::InviteeNoShow => Err(not_sent(kind)),
    }
}

/// An `EventCreated` or `EventUpdated` delivery.
fn event(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery: Delivery<Event> = delivery(kind, original.get(), misrouted)?;
    let event = &delivery.payload;
    if event.is_rsvp() {
        return Err(wrong_route(kind, Entity::Rsvp));
    }
    Ok(Change {
        id: delivery.event_id.0.clone(),
        source: source(event)?,
        subject: format!("event/{}", event.id),
        time: delivery
            .event_timestamp
            .clone()
            .or_else(|| event.updated_at.clone()),
        event: Some(event_view(event, None)),
        person: None,
        participation: None,
        sequence: None,
        revision: None,
        changed_at: event
            .updated_at
            .clone()
            .or_else(|| event.created_at.clone()),
        anonymize_request: None,
        original,
    })
}

/// An `RsvpCreated`, `RsvpUpdated` or `RsvpDeleted` delivery.
fn rsvp(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery: Delivery<Rsvp> = delivery(kind, original.get(), misrouted)?;
    let rsvp = &delivery.payload;
    let status = match kind.action() {
        Action::Removed | Action::Deleted | Action::Canceled => Some(Status::Cancelled),
        Action::Created | Action::Updated => match rsvp
            .status
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("yes") => Some(Status::Going),
            Some("maybe") => Some(Status::Maybe),
            Some("no") => Some(Status::NotGoing),
            _ => None,
        },
    };
    Ok(Change {
        id: delivery.event_id.0.clone(),
        source: source(&rsvp.event)?,
        subject: format!("rsvp/{}", rsvp.id),
        time: delivery
            .event_timestamp
            .clone()
            .or_else(|| rsvp.updated.clone()),
        event: Some(event_view(&rsvp.event, rsvp.event_instance.as_ref())),
        person: rsvp.member.as_ref().map(|m| PersonView {
            id: m.id.as_ref().map(|i| i.0.clone()),
            name: full_name([m.first_name.as_deref(), m.last_name.as_deref()]),
            email: m.email.clone(),
            phone: None,
        }),
        participation: Some(ParticipationView {
            id: Some(rsvp.id.0.clone()),
            status,
            party_size: None,
            waitlisted: None,
            attended: None,
        }),
        sequence: None,
        revision: None,
        changed_at: rsvp.updated.clone(),
        anonymize_request: None,
        original,
    })
}

/// Why a delivery does not belong on `kind`'s route: an RSVP (its payload has an `event` object) on an event
/// route, or an event on an RSVP route; `None` when its payload is of `kind`'s entity.
fn misrouted(kind: Kind, body: &str) -> Option<Unparsable> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let payload = value.get("payload").filter(|p| p.is_object())?;
    let found = if payload.get("event").is_some_and(|e| e.is_object()) {
        Entity::Rsvp
    } else {
        Entity::Event
    };
    (found != kind.entity()).then(|| wrong_route(kind, found))
}

/// The reason for a payload of the entity `found` (an event or an RSVP) delivered to the route of `kind`, of
/// the other.
fn wrong_route(kind: Kind, found: Entity) -> Unparsable {
    let found = if found == Entity::Rsvp {
        "an RSVP"
    } else {
        "an event, not an RSVP,"
    };
    Unparsable::new(format!(
        "the payload is {found} delivered to the route of `{}`",
        kind.wire_name()
    ))
}

fn source(event: &Event) -> Result<String, Unparsable> {
    let space = event
        .space_id
        .as_ref()
        .or_else(|| event.space.as_ref().and_then(|s| s.id.as_ref()))
        .ok_or_else(|| Unparsable::new("no space_id (nor space.id) on the event"))?;
    Ok(format!("/mighty-networks/spaces/{space}"))
}

fn event_view(event: &Event, instance: Option<&EventInstance>) -> EventView {
    EventView {
        id: Some(event.id.0.clone()),
        title: event.title.clone(),
        starts_at: instance
            .and_then(|i| i.starts_at.clone())
            .or_else(|| event.starts_at.clone()),
        ends_at: instance
            .and_then(|i| i.ends_at.clone())
            .or_else(|| event.ends_at.clone()),
        time_zone: event.time_zone.clone(),
        location: event.location.clone(),
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = include_str!("../../tests/fixtures/mighty-networks-event-created.json");
    const RSVP: &str = include_str!("../../tests/fixtures/mighty-networks-rsvp-created.json");

    #[test]
    fn a_kind_of_another_provider_is_not_read_as_ours() {
        let error = read(Kind::WixGuestCreated, RSVP.as_bytes()).unwrap_err();
        assert!(error.0.contains("no reader for"), "{error}");
    }

    #[test]
    fn each_sort_of_payload_parses_on_its_own_routes() {
        assert!(read(Kind::MightyNetworksEventUpdated, EVENT.as_bytes()).is_ok());
        assert!(read(Kind::MightyNetworksRsvpDeleted, RSVP.as_bytes()).is_ok());
    }

    #[test]
    fn an_event_with_a_non_object_event_field_is_still_an_event() {
        let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        event["payload"]["event"] = "a note".into();
        let body = event.to_string();
        assert!(read(Kind::MightyNetworksEventCreated, body.as_bytes()).is_ok());
    }

    #[test]
    fn ids_sent_as_large_numbers_keep_their_digits() {
        let mut rsvp: serde_json::Value = serde_json::from_str(RSVP).unwrap();
        rsvp["payload"]["id"] = serde_json::json!("PLACEHOLDER");
        rsvp["event_id"] = serde_json::json!("EVENT");
        let body = rsvp
            .to_string()
            .replace(r#""PLACEHOLDER""#, "123456789012345678901234567890")
            .replace(r#""EVENT""#, "98765432109876543210987654321");
        let change = read(Kind::MightyNetworksRsvpCreated, body.as_bytes()).unwrap();
        assert_eq!(change.subject, "rsvp/123456789012345678901234567890");
        assert_eq!(change.id, "98765432109876543210987654321");
    }

    #[test]
    fn a_misrouted_delivery_says_what_it_is() {
        let rsvp_on_event_route = read(Kind::MightyNetworksEventCreated, RSVP.as_bytes());
        assert_eq!(
            rsvp_on_event_route.unwrap_err().0,
            "the payload is an RSVP delivered to the route of `EventCreated`"
        );
        let event_on_rsvp_route = read(Kind::MightyNetworksRsvpCreated, EVENT.as_bytes());
        assert_eq!(
            event_on_rsvp_route.unwrap_err().0,
            "the payload is an event, not an RSVP, delivered to the route of `RsvpCreated`"
        );
    }
}
