//! Wix Calendar participations v3: participation created, updated, deleted (entity
//! `wix.calendar.v3.participation`), read from the delivery [`super`] verified and decoded.

use super::{check_kind, counter};
use crate::kind::{Action, Kind};
use crate::message::{Change, EventView, ParticipationView, PersonView, Status};
use crate::provider::common::{Unparsable, typed};
use serde_json::value::RawValue;

pub use rollcall_contract::provider::wix::calendar::*;

/// The entity of the Calendar kinds.
const PARTICIPATION_FQDN: &str = "wix.calendar.v3.participation";

/// Reads a decoded delivery (`original`) as a change of the Wix Calendar participation `kind`.
pub(super) fn participation(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let typed: ParticipationDelivery = typed("not a Wix participation delivery", original.get())?;
    check_kind(kind, &typed, &[PARTICIPATION_FQDN])?;
    let event = &typed.data;
    let entity = event.entity();
    let status = match kind.action() {
        Action::Removed | Action::Deleted | Action::Canceled => Some(Status::Cancelled),
        Action::Created | Action::Updated => match entity.and_then(|e| e.status.as_deref()) {
            Some("CONFIRMED") | None => Some(Status::Going),
            Some("PENDING_CONFIRMATION") => Some(Status::Pending),
            Some(_) => None,
        },
    };
    Ok(Change {
        id: event.id.0.clone(),
        source: format!("/wix/instances/{}", typed.instance_id),
        subject: format!("participation/{}", event.entity_id),
        time: event.event_time.clone(),
        event: entity
            .and_then(|e| e.event_id.as_ref().or(e.schedule_id.as_ref()))
            .map(|id| EventView {
                id: Some(id.0.clone()),
                ..EventView::default()
            }),
        person: entity
            .and_then(|e| e.participant.as_ref())
            .map(|p| PersonView {
                id: p.contact_id.as_ref().map(|id| id.0.clone()),
                name: p.name.clone(),
                email: p.email.clone(),
                phone: p.phone.clone(),
            }),
        participation: Some(ParticipationView {
            id: Some(
                entity
                    .and_then(|e| e.id.as_ref())
                    .unwrap_or(&event.entity_id)
                    .0
                    .clone(),
            ),
            status,
            party_size: entity
                .and_then(|e| e.party_size.as_ref())
                .and_then(|n| n.as_str().parse().ok()),
            waitlisted: None,
            attended: None,
        }),
        sequence: counter(event.entity_event_sequence.as_ref()),
        revision: counter(entity.and_then(|e| e.revision.as_ref())),
        changed_at: entity
            .and_then(|e| e.updated_date.clone())
            .or_else(|| event.event_time.clone()),
        anonymize_request: event.triggered_by_anonymize_request,
        original,
    })
}
