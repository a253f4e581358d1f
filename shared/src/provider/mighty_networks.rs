//! Mighty Networks Admin API webhooks: `EventCreated`, `EventUpdated`, `RsvpCreated`, `RsvpUpdated`,
//! `RsvpDeleted`. Delivered as JSON `{"event_id", "event_timestamp", "payload"}` with `Authorization: Bearer
//! <key>`. The schema drifts between versions of the docs (ids as strings or numbers, renamed fields): only the
//! ids are required, everything else is optional and kept in `original`.

use super::common::body::original;
use super::common::{AuthError, Unparsable, not_sent, single_header, typed};
use crate::config::ApiKeys;
use crate::kind::{Action, Entity, Kind};
use crate::message::{Change, EventView, ParticipationView, PersonView, Status, full_name};
use http::HeaderMap;

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
pub(super) fn parse(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    let original = original(body)?;
    // One typed parse of the compacted body; the reasons of a failure are worked out on that path only.
    let sort = match kind.entity() {
        Entity::Event => Sort::Event,
        Entity::Rsvp => Sort::Rsvp,
        Entity::Invitation | Entity::Participant | Entity::Participation | Entity::Guest => {
            return Err(not_sent(kind));
        }
    };
    let explain = |misfit: Unparsable| misrouted(kind, sort, original.get()).unwrap_or(misfit);
    let what = format!("not a {} delivery", kind.wire_name());
    if sort == Sort::Event {
        let delivery: Delivery<Event> = typed(&what, original.get()).map_err(explain)?;
        let event = &delivery.payload;
        if event.is_rsvp() {
            return Err(wrong_route(kind, Sort::Rsvp));
        }
        return Ok(Change {
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
        });
    }

    let delivery: Delivery<Rsvp> = typed(&what, original.get()).map_err(explain)?;
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
        }),
        sequence: None,
        revision: None,
        changed_at: rsvp.updated.clone(),
        anonymize_request: None,
        original,
    })
}

/// The two sorts of Mighty Networks payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Event,
    Rsvp,
}

/// Why a delivery does not belong on `kind`'s route (of the `expected` sort): an RSVP (its payload has an
/// `event` object) on an event route, or an event on an RSVP route; `None` when it is of the right sort.
fn misrouted(kind: Kind, expected: Sort, body: &str) -> Option<Unparsable> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let payload = value.get("payload").filter(|p| p.is_object())?;
    let found = if payload.get("event").is_some_and(|e| e.is_object()) {
        Sort::Rsvp
    } else {
        Sort::Event
    };
    (found != expected).then(|| wrong_route(kind, found))
}

/// The reason for a payload of the sort `found` delivered to the route of `kind`, of the other sort.
fn wrong_route(kind: Kind, found: Sort) -> Unparsable {
    Unparsable::new(format!(
        "the payload is {} delivered to the route of `{}`",
        match found {
            Sort::Rsvp => "an RSVP",
            Sort::Event => "an event, not an RSVP,",
        },
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
        let error = parse(Kind::WixGuestCreated, RSVP.as_bytes()).unwrap_err();
        assert!(error.0.contains("no reader for"), "{error}");
    }

    #[test]
    fn each_sort_of_payload_parses_on_its_own_routes() {
        assert!(parse(Kind::MightyNetworksEventUpdated, EVENT.as_bytes()).is_ok());
        assert!(parse(Kind::MightyNetworksRsvpDeleted, RSVP.as_bytes()).is_ok());
    }

    #[test]
    fn an_event_with_a_non_object_event_field_is_still_an_event() {
        let mut event: serde_json::Value = serde_json::from_str(EVENT).unwrap();
        event["payload"]["event"] = "a note".into();
        let body = event.to_string();
        assert!(parse(Kind::MightyNetworksEventCreated, body.as_bytes()).is_ok());
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
        let change = parse(Kind::MightyNetworksRsvpCreated, body.as_bytes()).unwrap();
        assert_eq!(change.subject, "rsvp/123456789012345678901234567890");
        assert_eq!(change.id, "98765432109876543210987654321");
    }

    #[test]
    fn a_misrouted_delivery_says_what_it_is() {
        let rsvp_on_event_route = parse(Kind::MightyNetworksEventCreated, RSVP.as_bytes());
        assert_eq!(
            rsvp_on_event_route.unwrap_err().0,
            "the payload is an RSVP delivered to the route of `EventCreated`"
        );
        let event_on_rsvp_route = parse(Kind::MightyNetworksRsvpCreated, EVENT.as_bytes());
        assert_eq!(
            event_on_rsvp_route.unwrap_err().0,
            "the payload is an event, not an RSVP, delivered to the route of `RsvpCreated`"
        );
    }
}
