//! What Wix Events sends: guest created, updated, deleted (entity `wix.events.guests.v1.guest`) and event
//! created, updated, canceled, deleted (entity `wix.events.v3.event`). Field names are the REST names of Wix's
//! own SDK types (`@wix/auto_sdk_events_guests`, `@wix/auto_sdk_events_wix-events-v-2`).

use super::Delivery;
use crate::provider::lenient::{self, Id};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// A Wix Events guest delivery (guest created, updated, deleted).
pub type GuestDelivery = Delivery<Guest, IgnoredAny>;
/// A Wix Events event delivery (event created, updated, canceled, deleted); a cancellation's `actionEvent.body`
/// is [`EventCanceled`].
pub type EventDelivery = Delivery<Event, EventCanceled>;

/// A guest of a Wix Events event: one RSVP, ticket buyer or ticket holder.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guest {
    /// Guest id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// The Wix Events event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub event_id: Option<Id>,
    /// The RSVP (guest type `RSVP`).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub rsvp_id: Option<Id>,
    /// The order (guest types `BUYER` and `TICKET_HOLDER`).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub order_number: Option<Id>,
    /// The ticket (guest type `TICKET_HOLDER`).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub ticket_number: Option<Id>,
    /// The guest's tickets.
    #[serde(default, deserialize_with = "lenient::vec")]
    pub tickets: Vec<Ticket>,
    /// The Wix contact.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub contact_id: Option<Id>,
    /// The site member.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub member_id: Option<Id>,
    /// Name, e-mail and more; Wix returns them only on request, so a webhook may lack them.
    #[serde(default)]
    pub guest_details: Option<GuestDetails>,
    /// `ATTENDING`, `NOT_ATTENDING` or `IN_WAITLIST`.
    #[serde(default)]
    pub attendance_status: Option<String>,
    /// `RSVP`, `BUYER` or `TICKET_HOLDER`.
    #[serde(default)]
    pub guest_type: Option<String>,
    /// Registered guests and the ones they bring.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub total_guests: Option<Id>,
    /// Revision, incremented on each update (an int64 sent as a string).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub revision: Option<Id>,
    /// Locale (IETF BCP 47) for the ticket's dates.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub locale: Option<String>,
    /// Secondary language (ISO 639-1) of the ticket.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub secondary_language_code: Option<String>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_date: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_date: Option<String>,
    /// Last change of `attendanceStatus`.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub attendance_status_updated_date: Option<String>,
}

/// A guest's ticket.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    /// Ticket number.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub number: Option<Id>,
    /// Ticket definition.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub definition_id: Option<Id>,
    /// Ticket name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
}

/// A guest's details (the rest, such as `formResponse` and `checkInDetails`, stays in `original`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestDetails {
    /// E-mail address.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub email: Option<String>,
    /// First name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub last_name: Option<String>,
    /// Phone, from the registration form.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub phone: Option<String>,
    /// Address, from the registration form.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub address: Option<String>,
    /// Whether the guest has checked in (a value that is not a boolean reads as `None`).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub checked_in: Option<bool>,
}

/// A Wix Events event (the fields Rollcall reads; the rest stays in `original`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Event id.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub id: Option<Id>,
    /// Title.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub title: Option<String>,
    /// Short description.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub short_description: Option<String>,
    /// The event page's slug.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub slug: Option<String>,
    /// `UPCOMING`, `STARTED`, `ENDED`, `CANCELED` or `DRAFT`.
    #[serde(default)]
    pub status: Option<String>,
    /// Where.
    #[serde(default)]
    pub location: Option<Location>,
    /// When.
    #[serde(default)]
    pub date_and_time_settings: Option<DateAndTimeSettings>,
    /// How guests register.
    #[serde(default)]
    pub registration: Option<Registration>,
    /// The site's app instance.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub instance_id: Option<Id>,
    /// The user who created the event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub user_id: Option<Id>,
    /// Revision, when sent (the SDK's type does not list it; the REST pages do).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub revision: Option<Id>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub created_date: Option<String>,
    /// Last update.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub updated_date: Option<String>,
    /// Publication time.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub published_date: Option<String>,
}

/// An event's location.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Name of the place (shown instead of the address while `locationTbd`).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
    /// `VENUE` or `ONLINE`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The address.
    #[serde(default)]
    pub address: Option<Address>,
    /// Whether the location is to be decided.
    #[serde(default)]
    pub location_tbd: Option<bool>,
}

/// A postal address.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number as one line.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub address_line: Option<String>,
    /// Street and number, as parts.
    #[serde(default)]
    pub street_address: Option<StreetAddress>,
    /// Street and number.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub address_line1: Option<String>,
    /// Suite, apartment, room.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub city: Option<String>,
    /// Subdivision code (ISO 3166-2).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub subdivision: Option<String>,
    /// Postal code.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub postal_code: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub country: Option<String>,
}

/// Street number and name.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreetAddress {
    /// Number.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub number: Option<String>,
    /// Street name.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub name: Option<String>,
}

/// An event's date and time.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateAndTimeSettings {
    /// Whether date and time are to be decided.
    #[serde(default)]
    pub date_and_time_tbd: Option<bool>,
    /// Start (ISO 8601).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub start_date: Option<String>,
    /// End (ISO 8601).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub end_date: Option<String>,
    /// IANA time zone.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub time_zone_id: Option<String>,
    /// `ONE_TIME`, `RECURRING`, `RECURRING_UPCOMING`, `RECURRING_RECENTLY_ENDED` or
    /// `RECURRING_RECENTLY_CANCELED`.
    #[serde(default)]
    pub recurrence_status: Option<String>,
}

/// How guests register for an event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// `RSVP`, `TICKETING`, `EXTERNAL` or `NONE`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `RSVP` or `TICKETING`, as the event was created.
    #[serde(default)]
    pub initial_type: Option<String>,
    /// Whether registration is open or closed, and why.
    #[serde(default)]
    pub status: Option<String>,
}

/// The body of an event-canceled action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCanceled {
    /// When it was canceled.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub timestamp: Option<String>,
    /// The event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub event_id: Option<Id>,
    /// Its title.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub title: Option<String>,
    /// The user who created the event.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub user_id: Option<Id>,
    /// Whether at least one guest had registered.
    #[serde(default)]
    pub has_guests: Option<bool>,
}
