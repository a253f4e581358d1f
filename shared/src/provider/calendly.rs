//! Calendly webhooks (API v2): `invitee.created`, `invitee.canceled`, `invitee_no_show.created`,
//! `invitee_no_show.deleted`. Delivered as JSON `{"event", "created_at", "created_by", "payload"}` with
//! `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`, keyed by the
//! subscription's signing key. Calendly sends no event id, so the message id is a UUIDv5 over the kind and the
//! change's natural key (the invitee, the no-show marking): a retry rendered differently gets the same id.

use super::common::body::original;
use super::common::{AuthError, Unparsable, delivery, not_sent, single_header, wrong_event_name};
use crate::config::CalendlyAuth;
use crate::kind::{Action, Entity, Kind};
use crate::message::{
    Change, EventStatus, EventView, ParticipationView, PersonView, Status, full_name, rfc3339_utc,
    uuid_v5,
};
use aws_lc_rs::hmac;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::value::RawValue;

pub use rollcall_contract::provider::calendly::*;

/// The namespace of Calendly message ids (UUIDv5). Never change it: ids would stop matching retries.
const ID_NAMESPACE: uuid::Uuid = uuid::uuid!("5d1f4f0e-2c0b-4f5a-9a57-6c8f3b1e7d42");

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "calendly-webhook-signature";

/// How far in the future a signature's `t` may be, for clock skew between Calendly and AWS.
const FUTURE_LEEWAY_SECS: u64 = 60;

/// The most `v1` signatures read from one header (a key rotation needs two; more is not a real delivery).
const MAX_SIGNATURES: usize = 8;

/// A parsed `Calendly-Webhook-Signature`: the signing time as sent and its decoded `v1` signatures.
#[derive(Debug)]
pub(super) struct Signature<'a> {
    /// `t` as sent (its digits are what was signed).
    t: &'a str,
    /// `t` in seconds since the epoch.
    at: u64,
    /// Every `v1` value, decoded.
    v1: Vec<[u8; 32]>,
}

/// Checks the signature header alone: present once, well-formed, and its `t` within the bounds (not older than
/// the configured maximum age, not more than a minute ahead). What the signature covers is checked by
/// [`authenticate`]; this much refuses a forged or stale delivery before its body is read.
pub(super) fn check_header<'a>(
    auth: &CalendlyAuth,
    headers: &'a HeaderMap,
) -> Result<Signature<'a>, AuthError> {
    let value = single_header(headers, SIGNATURE_HEADER).ok_or(AuthError::Unauthorized)?;
    let signature = parse_header(value).ok_or(AuthError::Unauthorized)?;
    if !fresh(auth, signature.at, unix_now()) {
        return Err(AuthError::Unauthorized);
    }
    Ok(signature)
}

/// Checks the header ([`check_header`]), then that one configured key's HMAC-SHA256 of `"<t>." + body` (the raw
/// bytes as received) equals one of its `v1` signatures, compared in constant time.
pub(super) fn authenticate(
    auth: &CalendlyAuth,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AuthError> {
    let signature = check_header(auth, headers)?;
    let verified = auth.keys.iter().any(|key| {
        let expected = sign(&hmac::Key::new(hmac::HMAC_SHA256, key), signature.t, body);
        signature.v1.iter().any(|v1| {
            aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_ref(), v1).is_ok()
        })
    });
    if verified {
        Ok(())
    } else {
        Err(AuthError::Unauthorized)
    }
}

/// The `Calendly-Webhook-Signature` value Calendly sends with `body` signed by `key` at `t` (seconds since the
/// epoch): `t=<t>,v1=<hex HMAC-SHA256 of "<t>." + body>`. What `rollcall smoke`, the samples and the tests send.
pub fn signature_header(key: &[u8], t: u64, body: &[u8]) -> String {
    let tag = sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        &t.to_string(),
        body,
    );
    format!("t={t},v1={}", hex::encode(tag))
}

/// HMAC-SHA256 of `"<t>." + body` under `key`.
fn sign(key: &hmac::Key, t: &str, body: &[u8]) -> hmac::Tag {
    let mut context = hmac::Context::with_key(key);
    context.update(t.as_bytes());
    context.update(b".");
    context.update(body);
    context.sign()
}

/// Reads `t=<digits>,v1=<64 hex>[,v1=…]`: exactly one `t`, at least one `v1`; other schemes (a future `v2`) are
/// passed over. `None` when malformed.
fn parse_header(value: &[u8]) -> Option<Signature<'_>> {
    let value = std::str::from_utf8(value).ok()?;
    let (mut t, mut v1) = (None, Vec::new());
    for part in value.split(',') {
        let (scheme, text) = part.trim().split_once('=')?;
        match scheme.trim() {
            "t" if t.is_none() => t = Some(text.trim()),
            "t" => return None,
            "v1" if v1.len() < MAX_SIGNATURES => {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
                v1.push(bytes);
            }
            "v1" => return None,
            _ => {}
        }
    }
    let t = t.filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))?;
    let at = t.parse().ok()?;
    (!v1.is_empty()).then_some(Signature { t, at, v1 })
}

/// Whether a signature made at `at` is acceptable at `now` (seconds since the epoch).
fn fresh(auth: &CalendlyAuth, at: u64, now: u64) -> bool {
    let too_old = auth
        .max_signature_age
        .is_some_and(|max| now.saturating_sub(at) > max.as_secs());
    !too_old && at <= now.saturating_add(FUTURE_LEEWAY_SECS)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Reads a body as a change of the Calendly `kind`.
pub(super) fn read(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    map(kind, original(body)?)
}

/// Maps the compacted body `original` by the entity of `kind`.
fn map(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    match kind.entity() {
        Entity::Invitee => invitee(kind, original),
        Entity::InviteeNoShow => no_show(kind, original),
        Entity::Event
        | Entity::Invitation
        | Entity::Participant
        | Entity::Rsvp
        | Entity::Participation
        | Entity::Guest => Err(not_sent(kind)),
    }
}

/// An `invitee.created` or `invitee.canceled` delivery: the booking starts or ends.
fn invitee(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery = named(kind, original.get())?;
    let invitee = &delivery.payload;
    let status = match kind.action() {
        Action::Canceled | Action::Removed | Action::Deleted => Status::Cancelled,
        Action::Created | Action::Updated => Status::Going,
    };
    let what = What {
        id: message_id(kind, &[invitee.uri.as_str()]),
        subject: "invitee",
        changed_at: invitee.updated_at.clone(),
        status,
        attended: None,
    };
    change(&delivery, what, original)
}

/// An `invitee_no_show.created` or `.deleted` delivery: the host marked the invitee a no-show, or took the
/// marking back. The booking stands either way (`going`); `attended` says what the host marked.
fn no_show(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let delivery = named(kind, original.get())?;
    let invitee = &delivery.payload;
    let (id, attended, changed_at) = if kind.is_deletion() {
        // An unmarking has no URI of its own: the invitee and the time of the change name it.
        let at = delivery
            .created_at
            .as_deref()
            .ok_or_else(|| Unparsable::new("no created_at on the unmarking of a no-show"))?;
        let at = rfc3339_utc(at).unwrap_or_else(|| at.to_owned());
        let id = message_id(kind, &[invitee.uri.as_str(), &at]);
        (id, None, delivery.created_at.clone())
    } else {
        let marking = invitee.no_show.as_ref().and_then(|n| n.uri.as_ref());
        let marking = marking.ok_or_else(|| Unparsable::new("no no_show.uri on a no-show"))?;
        let changed_at = invitee.no_show.as_ref().and_then(|n| n.created_at.clone());
        (
            message_id(kind, &[marking.as_str()]),
            Some(false),
            changed_at,
        )
    };
    let what = What {
        id,
        subject: "invitee_no_show",
        changed_at,
        status: Status::Going,
        attended,
    };
    change(&delivery, what, original)
}

/// What tells the kinds' changes apart.
struct What {
    /// The message id.
    id: String,
    /// The subject's entity, before `/{invitee uuid}`.
    subject: &'static str,
    /// When the change happened, by the provider's clock.
    changed_at: Option<String>,
    /// Where the invitee stands.
    status: Status,
    /// Whether the invitee attended, when the host said.
    attended: Option<bool>,
}

/// The change `what` of the invitee of `delivery`; what every Calendly change shares (the source, the time, the
/// person, the meeting and the participation) is read here.
fn change(delivery: &Delivery, what: What, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let invitee = &delivery.payload;
    let invitee_id = invitee_id(invitee)?;
    let meeting = invitee.scheduled_event.as_ref();
    Ok(Change {
        id: what.id,
        source: source(delivery)?,
        subject: format!("{}/{invitee_id}", what.subject),
        time: delivery.created_at.clone(),
        event: meeting.map(event_view),
        person: Some(PersonView {
            id: None,
            name: invitee.name.clone().or_else(|| {
                full_name([invitee.first_name.as_deref(), invitee.last_name.as_deref()])
            }),
            email: invitee.email.clone(),
            phone: invitee.text_reminder_number.clone(),
        }),
        participation: Some(ParticipationView {
            id: Some(invitee_id.to_owned()),
            status: Some(what.status),
            party_size: Some(party_size(meeting)),
            waitlisted: None,
            attended: what.attended,
        }),
        sequence: None,
        revision: None,
        changed_at: what.changed_at,
        anonymize_request: None,
        original,
    })
}

/// The delivery of `kind` in the compacted body `text`, whose `event` is `kind`'s: Calendly sends every event
/// of a subscription to one URL, so a subscription of several events sends the others to this route.
fn named(kind: Kind, text: &str) -> Result<Delivery, Unparsable> {
    let delivery: Delivery = delivery(kind, text, misrouted)?;
    if delivery.event != kind.wire_name() {
        return Err(wrong_event(kind, &delivery.event));
    }
    Ok(delivery)
}

/// Why `text` does not belong on `kind`'s route, from its `event` alone; `None` when it names `kind` (or names
/// nothing: then the delivery's shape is the reason).
fn misrouted(kind: Kind, text: &str) -> Option<Unparsable> {
    /// The one member read to tell a delivery of another kind.
    #[derive(Deserialize)]
    struct Name {
        #[serde(default)]
        event: Option<serde_json::Value>,
    }
    let name = serde_json::from_str::<Name>(text).ok()?.event?;
    let name = name.as_str()?;
    (name != kind.wire_name()).then(|| wrong_event(kind, name))
}

/// The reason for a delivery whose `event` is `found`, on the route of `kind`, with what to do about it.
fn wrong_event(kind: Kind, found: &str) -> Unparsable {
    Unparsable::new(format!(
        "{} (a Calendly subscription sends all its events to one URL: subscribe each route to its own event)",
        wrong_event_name(kind, "event", found)
    ))
}

/// The message id: UUIDv5 in [`ID_NAMESPACE`] over the message type and the change's natural key, joined by
/// newlines.
fn message_id(kind: Kind, key: &[&str]) -> String {
    let mut name = kind.message_type().to_owned();
    for part in key {
        name.push('\n');
        name.push_str(part);
    }
    uuid_v5(&ID_NAMESPACE, name.as_bytes())
}

/// The last segment of a Calendly URI (`…/users/{uuid}` → the uuid); `None` when it is empty or there is none.
fn last_segment(uri: &str) -> Option<&str> {
    let (_, id) = uri.trim().rsplit_once('/')?;
    (!id.is_empty()).then_some(id)
}

/// The invitee's uuid, the last segment of its URI.
fn invitee_id(invitee: &Invitee) -> Result<&str, Unparsable> {
    last_segment(invitee.uri.as_str())
        .ok_or_else(|| Unparsable::new("payload.uri names no invitee"))
}

/// `/calendly/users/{uuid}`: the user who created the subscription (the payload names no organization).
fn source(delivery: &Delivery) -> Result<String, Unparsable> {
    let user = delivery
        .created_by
        .as_deref()
        .and_then(last_segment)
        .ok_or_else(|| Unparsable::new("created_by names no user"))?;
    Ok(format!("/calendly/users/{user}"))
}

/// 1 plus the meeting's guests when it takes one invitee (the guests are that invitee's); 1 in a group meeting,
/// where guests cannot be attributed to an invitee.
fn party_size(meeting: Option<&ScheduledEvent>) -> u32 {
    let one_on_one = meeting
        .and_then(|m| m.invitees_counter.as_ref())
        .and_then(|c| c.limit.as_ref())
        .is_some_and(|limit| limit.as_str() == "1");
    let guests = meeting.map_or(0, |m| m.event_guests.len());
    if one_on_one {
        u32::try_from(guests).map_or(u32::MAX, |g| g.saturating_add(1))
    } else {
        1
    }
}

fn event_view(meeting: &ScheduledEvent) -> EventView {
    let location = meeting.location.as_ref().and_then(|l| {
        [&l.location, &l.join_url, &l.kind]
            .into_iter()
            .find_map(|text| text.clone())
    });
    EventView {
        id: meeting
            .uri
            .as_ref()
            .and_then(|uri| last_segment(uri.as_str()))
            .map(str::to_owned),
        title: meeting.name.clone(),
        starts_at: meeting.start_time.clone(),
        ends_at: meeting.end_time.clone(),
        time_zone: None,
        location,
        status: match meeting.status.as_deref() {
            Some("active") => Some(EventStatus::Scheduled),
            Some("canceled") => Some(EventStatus::Cancelled),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn auth(max_age: Option<u64>) -> CalendlyAuth {
        CalendlyAuth {
            keys: crate::config::ApiKeys::parse("K", "old-key, new-key").unwrap(),
            max_signature_age: max_age.map(Duration::from_secs),
        }
    }

    /// The hex signature, computed as a reader of Calendly's docs would: one HMAC over the joined bytes.
    fn sign(key: &str, t: &str, body: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
        let mut signed = format!("{t}.").into_bytes();
        signed.extend_from_slice(body);
        hex::encode(hmac::sign(&key, &signed))
    }

    #[test]
    fn the_header_is_what_calendly_sends() {
        let body = br#"{"event":"invitee.created"}"#;
        assert_eq!(
            signature_header(b"k", 12, body),
            format!("t=12,v1={}", sign("k", "12", body))
        );
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, value.parse().unwrap());
        headers
    }

    #[test]
    fn any_key_and_any_v1_verify_over_the_raw_body() {
        let auth = auth(None);
        let body = b"{\"event\": \"invitee.created\"}";
        let t = "1767225600";
        for key in ["old-key", "new-key"] {
            let one = format!("t={t},v1={}", sign(key, t, body));
            assert_eq!(authenticate(&auth, &headers(&one), body), Ok(()));
            let two = format!("t={t}, v1={}, v1={}", "00".repeat(32), sign(key, t, body));
            assert_eq!(authenticate(&auth, &headers(&two), body), Ok(()));
        }
        let good = format!("t={t},v1={}", sign("old-key", t, body));
        let refused = |headers: &HeaderMap, body: &[u8]| {
            authenticate(&auth, headers, body) == Err(AuthError::Unauthorized)
        };
        assert!(
            refused(&headers(&good), b"{\"event\":\"invitee.created\"}"),
            "re-rendered"
        );
        assert!(refused(
            &headers(&format!("t={t},v1={}", sign("other", t, body))),
            body
        ));
        assert!(
            refused(&headers(&good.replace(t, "1767225601")), body),
            "another t"
        );
        assert!(refused(&HeaderMap::new(), body), "no header");
    }

    #[test]
    fn malformed_headers_are_refused() {
        let v1 = "ab".repeat(32);
        for value in [
            "".to_owned(),
            format!("v1={v1}"),
            "t=1767225600".to_owned(),
            format!("t=,v1={v1}"),
            format!("t=-5,v1={v1}"),
            format!("t=1e9,v1={v1}"),
            format!("t=1,t=2,v1={v1}"),
            format!("t=1,v1={}", &v1[2..]),
            format!("t=1,v1={}zz", &v1[2..]),
            format!("t=1;v1={v1}"),
        ] {
            assert!(parse_header(value.as_bytes()).is_none(), "{value}");
        }
        let value = format!(" t=12 , v0=x, v1={v1} ");
        let parsed = parse_header(value.as_bytes()).unwrap();
        assert_eq!((parsed.t, parsed.at, parsed.v1.len()), ("12", 12, 1));
    }

    #[test]
    fn a_signature_is_fresh_within_the_bound_and_a_minute_ahead() {
        let day = auth(Some(86_400));
        let now = 2_000_000_000;
        assert!(fresh(&day, now - 86_400, now));
        assert!(!fresh(&day, now - 86_401, now));
        assert!(fresh(&day, now + 60, now));
        assert!(!fresh(&day, now + 61, now));
        let off = auth(None);
        assert!(fresh(&off, 0, now));
        assert!(
            !fresh(&off, now + 61, now),
            "the future is refused even without a bound"
        );
        assert_eq!(day.max_signature_age(), Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn party_size_counts_guests_only_in_one_on_one_meetings() {
        let meeting = |limit: &str, guests: usize| -> ScheduledEvent {
            let guests: Vec<_> = (0..guests)
                .map(|_| serde_json::json!({"email": "g@example.com"}))
                .collect();
            serde_json::from_value(serde_json::json!({
                "invitees_counter": {"total": 1, "active": 1, "limit": limit.parse::<u32>().unwrap()},
                "event_guests": guests,
            }))
            .unwrap()
        };
        assert_eq!(party_size(Some(&meeting("1", 2))), 3);
        assert_eq!(party_size(Some(&meeting("1", 0))), 1);
        assert_eq!(party_size(Some(&meeting("5", 2))), 1);
        assert_eq!(party_size(None), 1);
    }

    #[test]
    fn ids_are_the_last_segment_of_a_uri() {
        assert_eq!(
            last_segment("https://api.calendly.com/users/AAA"),
            Some("AAA")
        );
        assert_eq!(last_segment("AAA"), None);
        assert_eq!(last_segment("https://api.calendly.com/users/"), None);
    }
}
