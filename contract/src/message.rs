//! The message contract: the CloudEvents 1.0 envelope Rollcall puts on the queue, its provider-independent
//! view (`event`, `person`, `participation`, `sequence`, `changed_at`) and the typed views of `original`.
//! The functions serialize with these types and consumers deserialize with them: one definition.

use crate::kind::Kind;
use crate::sqs_text::{Body, Refusal};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The contract's name and major version, the messages' `dataschema` and the JSON Schema's `$id`.
/// Within v1 the contract only grows by optional fields.
pub const DATASCHEMA: &str = "urn:rollcall:message:v1";

/// One change, as Rollcall puts it on the queue (the SQS message body).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Rollcall message",
    description = "A CloudEvents 1.0 JSON event: one change to an event participation, from Omerlo, Mighty Networks, Wix or Calendly."
)]
pub struct Message {
    /// Always `1.0`.
    pub specversion: SpecVersion,
    /// The provider's event id (Mighty Networks `event_id`, Wix event `id`); for Omerlo a UUIDv5 over the kind
    /// and the canonical JSON of the body; for Calendly a UUIDv5 over the kind and the change's natural key (the
    /// invitee, the no-show marking). The same change always has the same id.
    pub id: String,
    /// Provider and tenant: `/omerlo/workspaces/{id}`, `/mighty-networks/spaces/{id}`, `/wix/instances/{id}`,
    /// `/calendly/users/{id}` (the user who created the Calendly subscription).
    pub source: String,
    /// The kind of change, e.g. `com.wix.calendar.participation.created`.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// `{entity}/{id}` of the changed entity: `participant/…`, `invitation/…`, `event/…`, `rsvp/…`,
    /// `participation/…`, `guest/…`.
    pub subject: String,
    /// The provider's time of the change (RFC 3339, UTC); the time of receipt where the provider gave none.
    #[schemars(extend("format" = "date-time"))]
    pub time: String,
    /// Always `application/json`.
    pub datacontenttype: ContentType,
    /// The contract and its major version: `urn:rollcall:message:v1`.
    pub dataschema: String,
    /// The normalized view and the provider's original payload.
    pub data: MessageData,
}

/// The CloudEvents spec version, `1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SpecVersion {
    /// CloudEvents 1.0.
    #[serde(rename = "1.0")]
    V1,
}

/// The content type of `data`, `application/json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ContentType {
    /// JSON.
    #[serde(rename = "application/json")]
    Json,
}

/// The message's `data`: the same keys for every provider; each view is `null` where the kind has none.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MessageData {
    /// The event (meeting, session) the change is about.
    pub event: Option<EventView>,
    /// The person who takes part or is invited.
    pub person: Option<PersonView>,
    /// The participation (RSVP, registration, invitation) that changed.
    pub participation: Option<ParticipationView>,
    /// The provider's per-entity event sequence (Wix `entityEventSequence`), and nothing else; `null` where
    /// there is none or it is not a whole number. Consumers order a subject's changes by an axis both changes
    /// have: `sequence`, else `revision`, else `changed_at`.
    pub sequence: Option<u64>,
    /// The changed entity's revision (Wix `revision`, which Wix raises on each update of the entity): a counter
    /// of its own, never compared with `sequence`; `null` where there is none or it is not a whole number.
    /// Added in v1: absent from older messages.
    #[serde(default)]
    pub revision: Option<u64>,
    /// The provider's update time of the changed entity (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub changed_at: Option<String>,
    /// True when the provider says the change comes from a privacy (erasure) request: Wix
    /// `triggeredByAnonymizeRequest`. `null` where the provider does not say.
    #[serde(default)]
    pub anonymize_request: Option<bool>,
    /// The provider's payload exactly as received (Omerlo, Mighty Networks, Calendly: the whole body; Wix: the decoded
    /// delivery `{eventType, instanceId, identity, accountInfo?, data}` with its nested JSON strings parsed).
    #[schemars(with = "serde_json::Value")]
    pub original: Box<RawValue>,
}

/// The normalized event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventView {
    /// The provider's event id.
    pub id: Option<String>,
    /// The event's title.
    pub title: Option<String>,
    /// Start, as the provider gives it (RFC 3339, or a local date-time in `time_zone`).
    pub starts_at: Option<String>,
    /// End, as the provider gives it.
    pub ends_at: Option<String>,
    /// IANA time zone name, e.g. `America/Montreal`.
    pub time_zone: Option<String>,
    /// Where it happens, as one line of text.
    pub location: Option<String>,
    /// Where the event stands (Wix Events); `null` where the provider does not say or sent a status Rollcall
    /// does not know. Added in v1: absent from older messages.
    #[serde(default)]
    pub status: Option<EventStatus>,
}

/// An event's status, the same words for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Published and yet to start (Wix `UPCOMING`, Calendly `active`).
    Scheduled,
    /// Under way (Wix `STARTED`).
    Started,
    /// Over (Wix `ENDED`).
    Ended,
    /// Called off (Wix `CANCELED`, and every Wix event-canceled delivery; Calendly `canceled`).
    Cancelled,
    /// Not public yet (Wix `DRAFT`).
    Draft,
    /// Deleted (every Wix event-deleted delivery).
    Deleted,
}

/// The normalized person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonView {
    /// The provider's id of the person (Omerlo person, Mighty Networks member, Wix contact).
    pub id: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// The normalized participation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParticipationView {
    /// The provider's id of the participation (participant, invitation, RSVP, Wix participation, Calendly
    /// invitee).
    pub id: Option<String>,
    /// Where the person stands; `null` when the provider sent a status Rollcall does not know.
    pub status: Option<Status>,
    /// How many people come (Wix `partySize`, Wix Events `totalGuests`; Calendly: 1 plus the guests of a meeting
    /// that takes one invitee, else 1).
    pub party_size: Option<u32>,
    /// True when the person is on the waiting list (Wix Events `IN_WAITLIST`, with status `pending`); `null`
    /// where the provider does not say. Added in v1: absent from older messages.
    #[serde(default)]
    pub waitlisted: Option<bool>,
    /// Whether the person attended: `false` when the host marked a no-show (Calendly), `true` when checked in
    /// (Wix Events `checkedIn`); `null` where the provider does not say. Added in v1: absent from older messages.
    #[serde(default)]
    pub attended: Option<bool>,
}

/// A participation status, the same words for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Coming (Omerlo participant, Mighty `yes`, Wix `CONFIRMED`, Wix Events `ATTENDING`, a Calendly invitee
    /// created, marked a no-show or not).
    Going,
    /// Maybe coming (Mighty `maybe`).
    Maybe,
    /// Not coming (Mighty `no`, Wix Events `NOT_ATTENDING`).
    NotGoing,
    /// Awaiting confirmation (Wix `PENDING_CONFIRMATION`), or on the waiting list (Wix Events `IN_WAITLIST`).
    Pending,
    /// Invited (Omerlo invitation).
    Invited,
    /// Removed or deleted; a Calendly invitee canceled (also the old half of a reschedule).
    Cancelled,
}

/// What a provider's parser extracts from one delivery; [`Message::build`] turns it into a message.
#[derive(Debug)]
pub struct Change {
    /// The message id (see [`Message::id`]).
    pub id: String,
    /// The message source (see [`Message::source`]).
    pub source: String,
    /// The message subject (see [`Message::subject`]).
    pub subject: String,
    /// The provider's time of the change, as sent (parsed leniently).
    pub time: Option<String>,
    /// The normalized event.
    pub event: Option<EventView>,
    /// The normalized person.
    pub person: Option<PersonView>,
    /// The normalized participation.
    pub participation: Option<ParticipationView>,
    /// The provider's event sequence.
    pub sequence: Option<u64>,
    /// The entity's revision.
    pub revision: Option<u64>,
    /// The provider's update time, as sent.
    pub changed_at: Option<String>,
    /// Wix `triggeredByAnonymizeRequest`.
    pub anonymize_request: Option<bool>,
    /// The original payload.
    pub original: Box<RawValue>,
}

impl Message {
    /// Wraps a parsed change of `kind` received at `received_at` in the envelope. A `time` or `changed_at` that
    /// cannot be written as a [`UtcTime`] is unreadable: `time` becomes the time of receipt, `changed_at` `null`.
    pub fn build(kind: Kind, change: Change, received_at: UtcTime) -> Message {
        let time = change
            .time
            .as_deref()
            .and_then(rfc3339_utc)
            .unwrap_or_else(|| received_at.to_string());
        Message {
            specversion: SpecVersion::V1,
            id: change.id,
            source: change.source,
            kind,
            subject: change.subject,
            time,
            datacontenttype: ContentType::Json,
            dataschema: DATASCHEMA.to_owned(),
            data: MessageData {
                event: change.event,
                person: change.person,
                participation: change.participation,
                sequence: change.sequence,
                revision: change.revision,
                changed_at: change.changed_at.as_deref().and_then(rfc3339_utc),
                anonymize_request: change.anonymize_request,
                original: change.original,
            },
        }
    }

    /// The message attributes every queue and topic carries beside the body, `(name, value)`: `type`, `source`
    /// and `subject`. Subscription filter policies of attribute scope match on these (`rollcall::filter`).
    pub fn attributes(&self) -> [(&'static str, &str); 3] {
        [
            ("type", self.kind.message_type()),
            ("source", self.source.as_str()),
            ("subject", self.subject.as_str()),
        ]
    }

    /// Reads a queue message body (what an SQS consumer receives).
    pub fn from_body(body: &str) -> Result<Message, serde_json::Error> {
        serde_json::from_str(body)
    }

    /// The message as a queue body: compact JSON that SQS accepts (see [`Body`]); refused when `original` and
    /// the normalized views together are over [`crate::sqs_text::MAX_BODY_BYTES`].
    pub fn to_body(&self) -> Result<Body, Refusal> {
        Body::json(self)
    }
}

/// A queue body as a consumer reads it: a message of a kind this library knows, or one of a kind added to the
/// contract since (new `type` values are growth within v1), which a consumer passes over.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Received {
    /// A message of a kind this library knows.
    Known(Message),
    /// A message of a kind this library does not know: its envelope, and its `data` untyped.
    Unknown(UnknownMessage),
}

/// A message whose `type` this library does not know.
#[derive(Debug, Clone, Deserialize)]
pub struct UnknownMessage {
    /// See [`Message::id`].
    pub id: String,
    /// See [`Message::source`].
    pub source: String,
    /// The message `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// See [`Message::subject`].
    pub subject: String,
    /// See [`Message::time`].
    pub time: String,
    /// The message's `data`, as sent.
    pub data: Box<RawValue>,
}

impl Received {
    /// Reads a queue body; a `type` this library does not know is [`Received::Unknown`], not an error.
    pub fn from_body(body: &str) -> Result<Received, serde_json::Error> {
        #[derive(Deserialize)]
        struct Type<'a> {
            #[serde(rename = "type", borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        let probe: Type = serde_json::from_str(body)?;
        if Kind::from_message_type(&probe.kind).is_some() {
            Message::from_body(body).map(Received::Known)
        } else {
            serde_json::from_str(body).map(Received::Unknown)
        }
    }
}

/// The JSON Schema (2020-12) of [`Message`], with `$id` = [`DATASCHEMA`]: the contract for consumers in other
/// languages (committed as `schema/message.schema.json`).
/// Every key of a message is always present (views and values are `null` where a kind has none); only the
/// fields added after v1.0 ([`ADDED_IN_V1`]) are optional, so that consumers of v1.0 messages still validate.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Message);
    schema.insert("$id".to_owned(), DATASCHEMA.into());
    let mut schema = schema.to_value();
    require_all_keys(&mut schema);
    schema
}

/// Fields added within v1, hence optional in the schema: `(definition, field)`.
pub const ADDED_IN_V1: [(&str, &str); 5] = [
    ("MessageData", "anonymize_request"),
    ("MessageData", "revision"),
    ("EventView", "status"),
    ("ParticipationView", "waitlisted"),
    ("ParticipationView", "attended"),
];

/// Marks every property of every object definition required but those of [`ADDED_IN_V1`].
fn require_all_keys(schema: &mut serde_json::Value) {
    require_keys_of("Message", schema);
    if let Some(serde_json::Value::Object(definitions)) = schema.get_mut("$defs") {
        for (name, definition) in definitions {
            require_keys_of(name, definition);
        }
    }
}

fn require_keys_of(definition: &str, schema: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = schema else {
        return;
    };
    if let Some(Value::Object(properties)) = map.get("properties") {
        let required: Vec<Value> = properties
            .keys()
            .filter(|k| !ADDED_IN_V1.contains(&(definition, k.as_str())))
            .map(|k| Value::String(k.clone()))
            .collect();
        map.insert("required".to_owned(), Value::Array(required));
    }
}

/// A time as a message writes it: RFC 3339 in UTC, with a year from 0001 to 9999 and seconds from 00 to 59,
/// what JSON Schema's `date-time` format accepts. Every time Rollcall converts (`time`, `changed_at`, Wix Events'
/// `starts_at`/`ends_at`) and every time of receipt goes through it: a time that cannot be written so (a UTC
/// year of 0000 or 10000, such as `9999-12-31T23:59:59-01:00`) is unreadable, never a panic or an empty string.
/// A leap second (`23:59:60`, accepted at the end of a UTC month) reads as `23:59:59.999999999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime(OffsetDateTime);

impl UtcTime {
    /// The current time of the system clock (the time of receipt).
    pub fn now() -> UtcTime {
        // The clock is after 1970, and `time` itself refuses years past 9999: within range.
        UtcTime(OffsetDateTime::now_utc())
    }

    /// `at` in UTC; `None` when its UTC year is outside 0001–9999.
    pub fn new(at: OffsetDateTime) -> Option<UtcTime> {
        at.checked_to_offset(time::UtcOffset::UTC)
            .filter(|utc| (1..=9999).contains(&utc.year()))
            .map(UtcTime)
    }

    /// Parses an RFC 3339 time (any offset, surrounding whitespace ignored); `None` when it does not parse or
    /// cannot be written in UTC (see [`UtcTime`]).
    pub fn parse(text: &str) -> Option<UtcTime> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .ok()
            .and_then(UtcTime::new)
    }
}

impl std::fmt::Display for UtcTime {
    /// RFC 3339 in UTC: `2025-11-07T22:17:21Z`, with the fraction of a second as sent, trailing zeros left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (date, clock) = (self.0.date(), self.0.time());
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            date.year(),
            u8::from(date.month()),
            date.day(),
            clock.hour(),
            clock.minute(),
            clock.second()
        )?;
        let nanos = clock.nanosecond();
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

/// Parses an RFC 3339 time (any offset) and renders it in UTC; `None` when it does not parse or cannot be
/// written in UTC (see [`UtcTime`]).
pub(crate) fn rfc3339_utc(text: &str) -> Option<String> {
    UtcTime::parse(text).map(|at| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalized_to_utc() {
        assert_eq!(
            rfc3339_utc("2025-11-07T23:17:21+01:00").as_deref(),
            Some("2025-11-07T22:17:21Z")
        );
        assert_eq!(
            rfc3339_utc("2024-10-15T11:29:39.041491431Z").as_deref(),
            Some("2024-10-15T11:29:39.041491431Z")
        );
        assert_eq!(rfc3339_utc("<string>"), None);
    }

    #[test]
    fn times_outside_years_0001_to_9999_in_utc_are_unreadable() {
        for (sent, utc) in [
            ("9999-12-31T23:59:59-01:00", None), // 10000-01-01 in UTC: the panic of issue 25
            ("0001-01-01T00:00:00+14:00", None), // 0000-12-31 in UTC
            ("0000-06-01T12:00:00Z", None),
            ("0000-12-31T23:00:00-01:00", Some("0001-01-01T00:00:00Z")),
            ("9999-12-31T23:59:59Z", Some("9999-12-31T23:59:59Z")),
            ("9999-12-31T23:59:59+14:00", Some("9999-12-31T09:59:59Z")),
            ("0001-01-01T00:00:00Z", Some("0001-01-01T00:00:00Z")),
            ("0001-01-01T00:00:00-23:59", Some("0001-01-01T23:59:00Z")),
            ("2025-01-01T00:00:00+23:59", Some("2024-12-31T00:01:00Z")),
            (
                "2025-01-01T00:00:00.000000001-00:00",
                Some("2025-01-01T00:00:00.000000001Z"),
            ),
            ("2025-01-01T00:00:00.500Z", Some("2025-01-01T00:00:00.5Z")),
            (" 2025-01-01t00:00:00z\n", Some("2025-01-01T00:00:00Z")),
            ("2025-13-01T00:00:00Z", None),
            ("2025-02-29T00:00:00Z", None),
            ("", None),
        ] {
            assert_eq!(rfc3339_utc(sent).as_deref(), utc, "{sent:?}");
        }
    }

    #[test]
    fn a_leap_second_never_writes_second_60() {
        for (sent, utc) in [
            (
                "2016-12-31T23:59:60Z",
                Some("2016-12-31T23:59:59.999999999Z"),
            ),
            (
                "2017-01-01T00:59:60+01:00",
                Some("2016-12-31T23:59:59.999999999Z"),
            ),
            (
                "2016-12-31T23:59:60.5Z",
                Some("2016-12-31T23:59:59.999999999Z"),
            ),
            ("2016-06-15T12:30:60Z", None), // not the last second of a UTC month: no leap second
            (
                "9999-12-31T23:59:60Z",
                Some("9999-12-31T23:59:59.999999999Z"),
            ),
        ] {
            let written = rfc3339_utc(sent);
            assert_eq!(written.as_deref(), utc, "{sent:?}");
            assert!(!written.is_some_and(|w| w.contains(":60")));
        }
    }

    #[test]
    fn an_unwritable_time_is_the_time_of_receipt_and_an_unwritable_changed_at_null() {
        let received_at = UtcTime::parse("2026-01-02T03:04:05Z").unwrap();
        let change = |time: &str| Change {
            id: "i".into(),
            source: "s".into(),
            subject: "t".into(),
            time: Some(time.into()),
            event: None,
            person: None,
            participation: None,
            sequence: None,
            revision: None,
            changed_at: Some(time.into()),
            anonymize_request: None,
            original: RawValue::from_string("{}".into()).unwrap(),
        };
        let kind = Kind::MightyNetworksRsvpCreated;
        let m = Message::build(kind, change("9999-12-31T23:59:59-01:00"), received_at);
        assert_eq!(
            (m.time.as_str(), m.data.changed_at),
            ("2026-01-02T03:04:05Z", None)
        );
        let m = Message::build(kind, change("2026-05-06T07:08:09+02:00"), received_at);
        assert_eq!(m.time, "2026-05-06T05:08:09Z");
        assert_eq!(m.data.changed_at.as_deref(), Some("2026-05-06T05:08:09Z"));
    }

    proptest::proptest! {
        #[test]
        fn utc_times_are_written_as_time_writes_rfc3339(
            seconds in -62_135_596_800i64..253_402_300_800,
            nanos in proptest::prop_oneof![0u32..1_000_000_000, proptest::sample::select(vec![0, 1, 10, 500_000_000, 999_999_999])],
        ) {
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                + time::Duration::nanoseconds(i64::from(nanos));
            let utc = UtcTime::new(at).unwrap();
            proptest::prop_assert_eq!(utc.to_string(), at.format(&Rfc3339).unwrap());
            proptest::prop_assert_eq!(UtcTime::parse(&utc.to_string()), Some(utc));
        }
    }
}
