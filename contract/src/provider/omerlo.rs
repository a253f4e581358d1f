//! What Omerlo's Backoffice API sends: `event_invitation_created`, `participant_created`, `participant_removed`,
//! as JSON `{"event_name": …, "data": {…}}`. How Rollcall authenticates and maps them is `rollcall::provider::omerlo`.

use super::lenient::{self, Id};
use serde::Deserialize;

/// An Omerlo delivery: the kind's name and its data.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery<D> {
    /// `event_invitation_created`, `participant_created` or `participant_removed`.
    pub event_name: String,
    /// The kind's data.
    pub data: D,
}

/// `data` of `participant_created` and `participant_removed`.
#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantData {
    /// The event.
    #[serde(default)]
    pub event: Option<Event>,
    /// The participant (required: it identifies the change).
    pub participant: Participant,
    /// The person behind the participant.
    #[serde(default)]
    pub person: Option<Person>,
}

/// `data` of `event_invitation_created`.
#[derive(Debug, Clone, Deserialize)]
pub struct InvitationData {
    /// The event.
    #[serde(default)]
    pub event: Option<Event>,
    /// The invitation (required: it identifies the change).
    pub invitation: Invitation,
}

/// An Omerlo event (community profile).
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// Event id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// Names per locale.
    #[serde(default, deserialize_with = "lenient::vec")]
    pub locales: Vec<Locale>,
    /// When it happens.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// Where it happens.
    #[serde(default, deserialize_with = "lenient::vec")]
    pub address: Vec<Address>,
    /// The profile, which names the workspace.
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_at: Option<String>,
}

/// An event's name in one locale.
#[derive(Debug, Clone, Deserialize)]
pub struct Locale {
    /// Locale code, e.g. `en`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub locale: Option<String>,
    /// The event's name in that locale.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
}

/// An event's schedule: local dates and times in `timezone`.
#[derive(Debug, Clone, Deserialize)]
pub struct Schedule {
    /// Start date, `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub starts_at_date: Option<String>,
    /// Start time, `hh:mm:ss`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub starts_at_time: Option<String>,
    /// End date.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub ends_at_date: Option<String>,
    /// End time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub ends_at_time: Option<String>,
    /// IANA time zone.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub timezone: Option<String>,
    /// All-day event (Omerlo spells the key `all_day?`).
    #[serde(default, rename = "all_day?")]
    pub all_day: Option<bool>,
}

/// A postal address.
#[derive(Debug, Clone, Deserialize)]
pub struct Address {
    /// Street line.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub street: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub city: Option<String>,
    /// Country.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub country: Option<String>,
}

/// A community profile; it names the workspace (the tenant).
#[derive(Debug, Clone, Deserialize)]
pub struct Profile {
    /// The Omerlo workspace.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub workspace_id: Option<Id>,
}

/// A participant of an event.
#[derive(Debug, Clone, Deserialize)]
pub struct Participant {
    /// Participant id.
    pub id: Id,
    /// The event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub event_id: Option<Id>,
    /// The person.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub person_id: Option<Id>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub inserted_at: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_at: Option<String>,
}

/// A person (community profile).
#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    /// Person id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// First name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub last_name: Option<String>,
    /// Contacts (e-mail, phone).
    #[serde(default, deserialize_with = "lenient::vec")]
    pub contact: Vec<Contact>,
    /// The profile, which names the workspace.
    #[serde(default)]
    pub profile: Option<Profile>,
}

/// A contact entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Contact {
    /// E-mail address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub phone: Option<String>,
}

/// An invitation to an event.
#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    /// Invitation id.
    pub id: Id,
    /// The invited address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// The event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub event_id: Option<Id>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub inserted_at: Option<String>,
}
