//! What Calendly (API v2) sends for an invitee: `invitee.created`, `invitee.canceled`, `invitee_no_show.created`,
//! `invitee_no_show.deleted`, each as the JSON envelope `{"event", "created_at", "created_by", "payload"}` whose
//! payload is the invitee (one person's booking) with the scheduled meeting embedded. Calendly sends no event or
//! delivery id. Only what names the change is required; everything else is optional and read leniently.
//! How Rollcall authenticates and maps them is `rollcall::provider::calendly`.

use super::lenient::{self, Id};
use serde::Deserialize;

/// A Calendly webhook delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    /// The event name, e.g. `invitee.created`.
    pub event: String,
    /// When the change happened (Calendly: "the moment when the event was created").
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
    /// The URI of the user who created the webhook subscription, e.g. `https://api.calendly.com/users/{uuid}`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_by: Option<String>,
    /// The invitee.
    pub payload: Invitee,
}

/// An invitee: one person's booking of a scheduled meeting.
#[derive(Debug, Clone, Deserialize)]
pub struct Invitee {
    /// The invitee's URI, `https://api.calendly.com/scheduled_events/{event}/invitees/{uuid}`.
    pub uri: Id,
    /// The scheduled event's URI.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub event: Option<String>,
    /// E-mail address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// Full name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
    /// First name (`null` when the event type asks for one name field).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub last_name: Option<String>,
    /// The invitee's display time zone (not the meeting's).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub timezone: Option<String>,
    /// The phone number for SMS reminders.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub text_reminder_number: Option<String>,
    /// `active` or `canceled`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub status: Option<String>,
    /// Whether the invitee rescheduled: on a cancel, [`Invitee::new_invitee`] names the new booking.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub rescheduled: Option<bool>,
    /// The URI of the invitee this one replaces (a reschedule's new half).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub old_invitee: Option<String>,
    /// The URI of the invitee that replaces this one (a reschedule's old half).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub new_invitee: Option<String>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_at: Option<String>,
    /// The cancellation, when canceled.
    #[serde(default, deserialize_with = "lenient::object")]
    pub cancellation: Option<Cancellation>,
    /// The no-show marking, when the host marked one.
    #[serde(default, deserialize_with = "lenient::object")]
    pub no_show: Option<NoShow>,
    /// The answers to the booking questions.
    #[serde(default, deserialize_with = "lenient::vec")]
    pub questions_and_answers: Vec<QuestionAndAnswer>,
    /// The scheduled meeting.
    #[serde(default, deserialize_with = "lenient::object")]
    pub scheduled_event: Option<ScheduledEvent>,
}

/// Why and by whom an invitee was canceled.
#[derive(Debug, Clone, Deserialize)]
pub struct Cancellation {
    /// The canceler's name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub canceled_by: Option<String>,
    /// The reason given.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub reason: Option<String>,
    /// `host` or `invitee`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub canceler_type: Option<String>,
    /// When.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
}

/// A host's no-show marking.
#[derive(Debug, Clone, Deserialize)]
pub struct NoShow {
    /// The marking's URI, `https://api.calendly.com/invitee_no_shows/{uuid}`.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub uri: Option<Id>,
    /// When the host marked it.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_at: Option<String>,
}

/// One booking question and the invitee's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct QuestionAndAnswer {
    /// The question.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub question: Option<String>,
    /// The answer.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub answer: Option<String>,
}

/// The scheduled meeting an invitee booked.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduledEvent {
    /// The meeting's URI, `https://api.calendly.com/scheduled_events/{uuid}`.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub uri: Option<Id>,
    /// The meeting's name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
    /// `active` or `canceled`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub status: Option<String>,
    /// Start (UTC).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub start_time: Option<String>,
    /// End (UTC).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub end_time: Option<String>,
    /// The event type's URI.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub event_type: Option<String>,
    /// Where it takes place.
    #[serde(default, deserialize_with = "lenient::object")]
    pub location: Option<Location>,
    /// How many invitees it has and takes.
    #[serde(default, deserialize_with = "lenient::object")]
    pub invitees_counter: Option<InviteesCounter>,
    /// The hosts.
    #[serde(default, deserialize_with = "lenient::vec")]
    pub event_memberships: Vec<Membership>,
    /// People an invitee added (e-mail only, not linked to an invitee).
    #[serde(default, deserialize_with = "lenient::vec")]
    pub event_guests: Vec<Guest>,
}

/// A meeting's location: a place, a phone call or a conference, by `type`.
#[derive(Debug, Clone, Deserialize)]
pub struct Location {
    /// `physical`, `outbound_call`, `zoom_conference`, `google_conference`, `custom`, …
    #[serde(default, rename = "type", deserialize_with = "lenient::opt_text")]
    pub kind: Option<String>,
    /// The place or phone number, for the types that have one.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub location: Option<String>,
    /// The conference link, for conferences.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub join_url: Option<String>,
}

/// How many invitees a meeting has (`total`, `active`) and takes (`limit`: 1 for a one-on-one meeting).
#[derive(Debug, Clone, Deserialize)]
pub struct InviteesCounter {
    /// Invitees ever booked.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub total: Option<Id>,
    /// Invitees still booked.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub active: Option<Id>,
    /// The most invitees the meeting takes.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub limit: Option<Id>,
}

/// A host of the meeting.
#[derive(Debug, Clone, Deserialize)]
pub struct Membership {
    /// The host's user URI.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub user: Option<String>,
    /// The host's e-mail.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub user_email: Option<String>,
    /// The host's name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub user_name: Option<String>,
}

/// A guest an invitee added to the meeting.
#[derive(Debug, Clone, Deserialize)]
pub struct Guest {
    /// The guest's e-mail.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
}
