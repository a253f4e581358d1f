//! Wix Events webhooks: guest created, updated, deleted (entity `wix.events.guests.v1.guest`) and event created,
//! updated, canceled, deleted (entity `wix.events.v3.event`). They come in the same signed JWT as the Wix
//! Calendar participations, verified and decoded by [`wix`](super) with the same key: this module only reads
//! the decoded delivery as the contract's types (re-exported here) and maps it. Field names are the REST names of Wix's own SDK types
//! (`@wix/auto_sdk_events_guests`, `@wix/auto_sdk_events_wix-events-v-2`).

use super::{check_kind, counter};
use crate::kind::{Action, Kind};
use crate::message::{
    Change, EventStatus, EventView, ParticipationView, PersonView, Status, full_name, rfc3339_utc,
};
use crate::provider::common::{Unparsable, typed};
use serde_json::value::RawValue;

pub use rollcall_contract::provider::wix::events::*;

/// The entity of the guest kinds.
const GUEST_FQDN: &str = "wix.events.guests.v1.guest";
/// The entity of the event kinds, as the documentation's text spells it and as one of its samples does.
const EVENT_FQDNS: [&str; 2] = ["wix.events.v3.event", "wix.events.events.v3.event"];

/// Reads a decoded Wix delivery (`original`) as a change of the Wix Events guest `kind`.
pub(super) fn guest(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery: GuestDelivery = typed("not a Wix Events guest delivery", original.get())?;
    check_kind(kind, &delivery, &[GUEST_FQDN])?;
    Ok(guest_change(kind, &delivery, original))
}

/// Reads a decoded Wix delivery (`original`) as a change of the Wix Events event `kind`.
pub(super) fn event(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery: EventDelivery = typed("not a Wix Events event delivery", original.get())?;
    check_kind(kind, &delivery, &EVENT_FQDNS)?;
    Ok(event_change(kind, &delivery, original))
}

fn guest_change(kind: Kind, delivery: &GuestDelivery, original: Box<RawValue>) -> Change {
    let event = &delivery.data;
    let guest = event.entity();
    let attendance = guest.and_then(|g| g.attendance_status.as_deref());
    let (status, waitlisted) = match kind.action() {
        Action::Removed | Action::Deleted | Action::Canceled => (Some(Status::Cancelled), None),
        Action::Created | Action::Updated => match attendance {
            Some("ATTENDING") => (Some(Status::Going), Some(false)),
            Some("NOT_ATTENDING") => (Some(Status::NotGoing), Some(false)),
            Some("IN_WAITLIST") => (Some(Status::Pending), Some(true)),
            _ => (None, None),
        },
    };
    let person = guest
        .filter(|g| g.guest_details.is_some() || g.contact_id.is_some())
        .map(|g| {
            let details = g.guest_details.as_ref();
            PersonView {
                id: g.contact_id.as_ref().map(|id| id.0.clone()),
                name: full_name([
                    details.and_then(|d| d.first_name.as_deref()),
                    details.and_then(|d| d.last_name.as_deref()),
                ]),
                email: details.and_then(|d| d.email.clone()),
                phone: details.and_then(|d| d.phone.clone()),
            }
        });
    Change {
        id: event.id.0.clone(),
        source: format!("/wix/instances/{}", delivery.instance_id),
        subject: format!("guest/{}", event.entity_id),
        time: event.event_time.clone(),
        event: guest.and_then(|g| g.event_id.as_ref()).map(|id| EventView {
            id: Some(id.0.clone()),
            ..EventView::default()
        }),
        person,
        participation: Some(ParticipationView {
            id: Some(
                guest
                    .and_then(|g| g.id.as_ref())
                    .unwrap_or(&event.entity_id)
                    .0
                    .clone(),
            ),
            status,
            party_size: guest
                .and_then(|g| g.total_guests.as_ref())
                .and_then(|n| n.as_str().parse().ok()),
            waitlisted,
            // Checked in is attended; not (yet) checked in says nothing, so never `Some(false)`.
            attended: guest
                .and_then(|g| g.guest_details.as_ref())
                .and_then(|d| d.checked_in)
                .filter(|&checked_in| checked_in),
        }),
        sequence: counter(event.entity_event_sequence.as_ref()),
        revision: counter(guest.and_then(|g| g.revision.as_ref())),
        changed_at: guest
            .and_then(|g| g.updated_date.clone())
            .or_else(|| event.event_time.clone()),
        anonymize_request: event.triggered_by_anonymize_request,
        original,
    }
}

fn event_change(kind: Kind, delivery: &EventDelivery, original: Box<RawValue>) -> Change {
    let event = &delivery.data;
    let entity = event.entity();
    let canceled = event.action();
    let status = match kind.action() {
        Action::Canceled => Some(EventStatus::Cancelled),
        Action::Removed | Action::Deleted => Some(EventStatus::Deleted),
        Action::Created | Action::Updated => match entity.and_then(|e| e.status.as_deref()) {
            Some("UPCOMING") => Some(EventStatus::Scheduled),
            Some("STARTED") => Some(EventStatus::Started),
            Some("ENDED") => Some(EventStatus::Ended),
            Some("CANCELED") => Some(EventStatus::Cancelled),
            Some("DRAFT") => Some(EventStatus::Draft),
            _ => None,
        },
    };
    let when = entity.and_then(|e| e.date_and_time_settings.as_ref());
    let view = EventView {
        id: Some(
            entity
                .and_then(|e| e.id.as_ref())
                .or_else(|| canceled.and_then(|c| c.event_id.as_ref()))
                .unwrap_or(&event.entity_id)
                .0
                .clone(),
        ),
        title: entity
            .and_then(|e| e.title.clone())
            .or_else(|| canceled.and_then(|c| c.title.clone())),
        starts_at: when
            .and_then(|w| w.start_date.as_deref())
            .and_then(rfc3339_utc),
        ends_at: when
            .and_then(|w| w.end_date.as_deref())
            .and_then(rfc3339_utc),
        time_zone: when.and_then(|w| w.time_zone_id.clone()),
        location: entity.and_then(|e| e.location.as_ref()).and_then(location),
        status,
    };
    Change {
        id: event.id.0.clone(),
        source: format!("/wix/instances/{}", delivery.instance_id),
        subject: format!("event/{}", event.entity_id),
        time: event.event_time.clone(),
        event: Some(view),
        person: None,
        participation: None,
        sequence: counter(event.entity_event_sequence.as_ref()),
        revision: counter(entity.and_then(|e| e.revision.as_ref())),
        changed_at: entity
            .and_then(|e| e.updated_date.clone())
            .or_else(|| canceled.and_then(|c| c.timestamp.clone()))
            .or_else(|| event.event_time.clone()),
        anonymize_request: event.triggered_by_anonymize_request,
        original,
    }
}

/// A location as one line: the place's name, then its address.
fn location(location: &Location) -> Option<String> {
    let address = location.address.as_ref();
    let street = address.and_then(|a| {
        a.address_line1
            .clone()
            .or_else(|| a.address_line.clone())
            .or_else(|| {
                a.street_address
                    .as_ref()
                    .and_then(|s| full_name([s.number.as_deref(), s.name.as_deref()]))
            })
    });
    let parts: Vec<String> = [
        location.name.clone(),
        street,
        address.and_then(|a| a.address_line2.clone()),
        address.and_then(|a| a.city.clone()),
        address.and_then(|a| a.subdivision.clone()),
        address.and_then(|a| a.postal_code.clone()),
        address.and_then(|a| a.country.clone()),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.trim().to_owned())
    .filter(|p| !p.is_empty())
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
