//! What Mighty Networks' Admin API sends: `EventCreated`, `EventUpdated`, `RsvpCreated`, `RsvpUpdated`,
//! `RsvpDeleted`, as JSON `{"event_id", "event_timestamp", "payload"}`. The schema drifts between versions of the
//! docs (ids as strings or numbers, renamed fields): only the ids are required, everything else is optional.
//! How Rollcall authenticates and maps them is `rollcall::provider::mighty_networks`.

use super::lenient::{self, Id};
use serde::Deserialize;

/// A Mighty Networks delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery<P> {
    /// The delivery's unique id, the de-duplication key.
    pub event_id: Id,
    /// When the change happened.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub event_timestamp: Option<String>,
    /// The event or RSVP.
    pub payload: P,
}

/// An event (a post of type `event`), the payload of `EventCreated` / `EventUpdated`.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// Event (post) id.
    pub id: Id,
    /// Whether this payload has an `event` object of its own: it is an RSVP's, sent to an event route.
    #[serde(default, rename = "event", deserialize_with = "is_object")]
    is_rsvp: bool,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_at: Option<String>,
    /// The space (the tenant).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub space_id: Option<Id>,
    /// The space, in later versions of the payload.
    #[serde(default)]
    pub space: Option<Space>,
    /// Title.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub title: Option<String>,
    /// `local`, `online_meeting`, `zoom_meeting`, …
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub event_type: Option<String>,
    /// Start.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub starts_at: Option<String>,
    /// End.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub ends_at: Option<String>,
    /// IANA time zone.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub time_zone: Option<String>,
    /// Location text.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub location: Option<String>,
    /// Link to the event.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub permalink: Option<String>,
}

impl Event {
    /// Whether this payload has an `event` object of its own: it is an RSVP's (sent to an event route), not an
    /// event's.
    pub fn is_rsvp(&self) -> bool {
        self.is_rsvp
    }
}

/// A space of a network.
#[derive(Debug, Clone, Deserialize)]
pub struct Space {
    /// Space id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// Space name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
}

/// An RSVP, the payload of `RsvpCreated` / `RsvpUpdated` / `RsvpDeleted`.
#[derive(Debug, Clone, Deserialize)]
pub struct Rsvp {
    /// RSVP id.
    pub id: Id,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated: Option<String>,
    /// `yes`, `maybe` or `no`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub status: Option<String>,
    /// The event (required: an RSVP is always for an event, and it names the space).
    pub event: Event,
    /// The member who answered.
    #[serde(default)]
    pub member: Option<Member>,
    /// The occurrence, for recurring events.
    #[serde(default)]
    pub event_instance: Option<EventInstance>,
}

/// A member of the network.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// Member id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// E-mail address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// First name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub last_name: Option<String>,
}

/// One occurrence of a recurring event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventInstance {
    /// The event (post) id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub post_id: Option<Id>,
    /// Start of this occurrence.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub starts_at: Option<String>,
    /// End of this occurrence.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub ends_at: Option<String>,
}

fn is_object<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.is_object())
}
