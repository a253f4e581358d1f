//! What Wix Calendar participations v3 send: participation created, updated, deleted (entity
//! `wix.calendar.v3.participation`).

use super::Delivery;
use crate::provider::lenient::{self, Id};
use serde::Deserialize;
use serde::de::IgnoredAny;

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
