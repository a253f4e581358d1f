//! Wix Calendar participations v3: participation created, updated, deleted (entity
//! `wix.calendar.v3.participation`), read from the delivery [`super`] verified and decoded.

use super::{Delivery, check_kind, counter};
use crate::kind::{Action, Kind};
use crate::message::{Change, EventView, ParticipationView, PersonView, Status};
use crate::provider::lenient::{self, Id};
use crate::provider::{Unparsable, misfit};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// The entity of the Calendar kinds.
const PARTICIPATION_FQDN: &str = "wix.calendar.v3.participation";

/// A Wix Calendar participation delivery (participation created, updated, deleted).
pub type ParticipationDelivery = Delivery<Participation, IgnoredAny>;

/// A participation in a Wix calendar event or schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participation {
    /// Participation id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// External id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub external_id: Option<Id>,
    /// Who takes part.
    #[serde(default)]
    pub participant: Option<Participant>,
    /// How many people (1–1000).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub party_size: Option<Id>,
    /// `CONFIRMED` or `PENDING_CONFIRMATION`.
    #[serde(default)]
    pub status: Option<String>,
    /// The event, when the participation is in one event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub event_id: Option<Id>,
    /// The schedule, when the participation is in every event of a schedule.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub schedule_id: Option<Id>,
    /// Revision, incremented on each update.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub revision: Option<Id>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_date: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_date: Option<String>,
}

/// A participant.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// Name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
    /// Phone number (a number is read as its digits).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// The Wix contact.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub contact_id: Option<Id>,
}

/// Reads a decoded delivery ([`claimed_delivery`](super::claimed_delivery)) as a change of the Wix Calendar
/// `kind`.
pub(in crate::provider) fn parse(
    kind: Kind,
    original: Box<RawValue>,
) -> Result<Change, Unparsable> {
    let typed: ParticipationDelivery = serde_json::from_str(original.get())
        .map_err(|e| misfit("not a Wix participation delivery", original.get(), &e))?;
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
