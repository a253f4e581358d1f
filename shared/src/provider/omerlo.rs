//! Omerlo Backoffice API webhooks: `event_invitation_created`, `participant_created`, `participant_removed`.
//! Delivered as JSON `{"event_name": …, "data": {…}}` with the configured key in `x-api-key`. The envelope has no
//! event id, so the message id is a UUIDv5 over the kind and the canonical JSON of the body.

use super::common::body::original;
use super::common::canonical::{is_canonical, write_canonical};
use super::common::{AuthError, Unparsable, delivery, not_sent, single_header, wrong_event_name};
use crate::config::ApiKeys;
use crate::kind::{Action, Entity, Kind};
use crate::message::{
    Change, EventView, ParticipationView, PersonView, Status, full_name, uuid_v5,
};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::value::RawValue;

pub use rollcall_contract::provider::omerlo::*;

/// The namespace of Omerlo message ids (UUIDv5). Never change it: ids would stop matching retries.
const ID_NAMESPACE: uuid::Uuid = uuid::uuid!("8aff060b-518d-4918-a2d2-fb50099d5460");

/// Checks `x-api-key` against the configured keys.
pub(super) fn authenticate(keys: &ApiKeys, headers: &HeaderMap) -> Result<(), AuthError> {
    match single_header(headers, "x-api-key") {
        Some(key) if keys.accepts(key) => Ok(()),
        _ => Err(AuthError::Unauthorized),
    }
}

/// Reads a body as a change of the Omerlo `kind`.
pub(super) fn read(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    map(kind, original(body)?)
}

/// Maps the compacted body `original` by the entity of `kind`. The compacted body is valid JSON (`original`
/// checked it) and quicker to parse than a pretty one; its id comes first, so that a body with no canonical form
/// says so whatever else is wrong with it.
fn map(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let id = message_id(kind, original.get())?;
    match kind.entity() {
        Entity::Invitation => invitation(kind, id, original),
        Entity::Participant => participant(kind, id, original),
        Entity::Event
        | Entity::Rsvp
        | Entity::Participation
        | Entity::Guest
        | Entity::Invitee
        | Entity::InviteeNoShow => Err(not_sent(kind)),
    }
}

/// An `event_invitation_created` delivery, with its message `id`.
fn invitation(kind: Kind, id: String, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let text = original.get();
    let delivery: Delivery<InvitationData> = named(kind, text)?;
    let InvitationData { event, invitation } = delivery.data;
    Ok(Change {
        id,
        source: source(event.as_ref(), None)?,
        subject: format!("invitation/{}", invitation.id),
        time: invitation.inserted_at.clone(),
        event: event.as_ref().map(event_view),
        person: Some(PersonView {
            email: invitation.email.clone(),
            ..PersonView::default()
        }),
        participation: Some(ParticipationView {
            id: Some(invitation.id.0.clone()),
            status: Some(Status::Invited),
            party_size: None,
            waitlisted: None,
            attended: None,
        }),
        sequence: None,
        revision: None,
        changed_at: invitation.inserted_at,
        anonymize_request: None,
        original,
    })
}

/// A `participant_created` or `participant_removed` delivery, with its message `id`.
fn participant(kind: Kind, id: String, original: Box<RawValue>) -> Result<Change, Unparsable> {
    let text = original.get();
    let delivery: Delivery<ParticipantData> = named(kind, text)?;
    let ParticipantData {
        event,
        participant,
        person,
    } = delivery.data;
    let changed_at = participant
        .updated_at
        .clone()
        .or_else(|| participant.inserted_at.clone());
    Ok(Change {
        id,
        source: source(event.as_ref(), person.as_ref())?,
        subject: format!("participant/{}", participant.id),
        time: changed_at.clone(),
        event: event.as_ref().map(event_view),
        person: Some(person_view(person.as_ref(), &participant)),
        participation: Some(ParticipationView {
            id: Some(participant.id.0.clone()),
            status: Some(match kind.action() {
                Action::Removed | Action::Deleted | Action::Canceled => Status::Cancelled,
                Action::Created | Action::Updated => Status::Going,
            }),
            party_size: None,
            waitlisted: None,
            attended: None,
        }),
        sequence: None,
        revision: None,
        changed_at,
        anonymize_request: None,
        original,
    })
}

/// The delivery of `kind` in the compacted body `text`, of the `event_name` of `kind` (a delivery of another kind
/// may fit the same shape: the name alone tells them apart).
fn named<'a, D: Deserialize<'a>>(kind: Kind, text: &'a str) -> Result<Delivery<D>, Unparsable> {
    let delivery: Delivery<D> = delivery(kind, text, misrouted)?;
    if delivery.event_name != kind.wire_name() {
        return Err(misrouted(kind, text).unwrap_or_else(|| Unparsable::new("no event_name")));
    }
    Ok(delivery)
}

/// Why `text` does not belong on `kind`'s route, read from its `event_name` alone: none, or another kind's;
/// `None` when it names `kind`.
fn misrouted(kind: Kind, text: &str) -> Option<Unparsable> {
    /// The one member read to tell a delivery of another kind.
    #[derive(Deserialize)]
    struct Name {
        #[serde(default)]
        event_name: Option<serde_json::Value>,
    }
    let name = serde_json::from_str::<Name>(text)
        .ok()
        .and_then(|n| n.event_name);
    match name.as_ref().and_then(|n| n.as_str()) {
        None => Some(Unparsable::new("no event_name")),
        Some(name) if name != kind.wire_name() => {
            Some(Unparsable::new(wrong_event_name(kind, "event_name", name)))
        }
        Some(_) => None,
    }
}

/// The message id: UUIDv5 in [`ID_NAMESPACE`] over `{message type}\n{canonical JSON of the body}`, where
/// `compact` is the body without whitespace between tokens. A body that is canonical already (Omerlo sends keys
/// in order) is hashed as it is; any other is written canonically first: the same id either way. Numbers stay
/// as sent, so bodies that differ only beyond a float's precision get different ids; a body with a duplicated
/// key has none (it is quarantined).
fn message_id(kind: Kind, compact: &str) -> Result<String, Unparsable> {
    let mut name = Vec::with_capacity(kind.message_type().len() + 1 + compact.len());
    name.extend_from_slice(kind.message_type().as_bytes());
    name.push(b'\n');
    if is_canonical(compact) {
        name.extend_from_slice(compact.as_bytes());
    } else {
        write_canonical(compact, &mut name)?;
    }
    Ok(uuid_v5(&ID_NAMESPACE, &name))
}

fn source(event: Option<&Event>, person: Option<&Person>) -> Result<String, Unparsable> {
    let workspace = event
        .and_then(|e| e.profile.as_ref())
        .or_else(|| person.and_then(|p| p.profile.as_ref()))
        .and_then(|p| p.workspace_id.as_ref())
        .ok_or_else(|| {
            Unparsable::new("no workspace_id in data.event.profile or data.person.profile")
        })?;
    Ok(format!("/omerlo/workspaces/{workspace}"))
}

fn event_view(event: &Event) -> EventView {
    let schedule = event.schedule.as_ref();
    let at = |date: Option<&String>, time: Option<&String>| match (date, time) {
        (Some(d), Some(t)) if schedule.and_then(|s| s.all_day) != Some(true) => {
            Some(format!("{d}T{t}"))
        }
        (Some(d), _) => Some(d.clone()),
        _ => None,
    };
    let title = event
        .locales
        .iter()
        .find(|l| l.locale.as_deref() == Some("en") && l.name.is_some())
        .or_else(|| event.locales.iter().find(|l| l.name.is_some()))
        .and_then(|l| l.name.clone());
    let location = event.address.first().and_then(|a| {
        let parts: Vec<&str> = [&a.street, &a.city, &a.country]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    EventView {
        id: event.id.as_ref().map(|i| i.0.clone()),
        title,
        starts_at: at(
            schedule.and_then(|s| s.starts_at_date.as_ref()),
            schedule.and_then(|s| s.starts_at_time.as_ref()),
        ),
        ends_at: at(
            schedule.and_then(|s| s.ends_at_date.as_ref()),
            schedule.and_then(|s| s.ends_at_time.as_ref()),
        ),
        time_zone: schedule.and_then(|s| s.timezone.clone()),
        location,
        status: None,
    }
}

fn person_view(person: Option<&Person>, participant: &Participant) -> PersonView {
    let contact = |pick: fn(&Contact) -> Option<&String>| {
        person.and_then(|p| p.contact.iter().find_map(|c| pick(c).cloned()))
    };
    PersonView {
        id: person
            .and_then(|p| p.id.as_ref())
            .or(participant.person_id.as_ref())
            .map(|i| i.0.clone()),
        name: person.and_then(|p| full_name([p.first_name.as_deref(), p.last_name.as_deref()])),
        email: contact(|c| c.email.as_ref()),
        phone: contact(|c| c.phone.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids must never change (a provider's retry has to get the same one): these were computed independently
    /// (Python `uuid.uuid5` over `json.dumps(sort_keys=True)`) from the fixtures.
    #[test]
    fn message_ids_are_stable_uuid_v5() {
        for (kind, body, id) in [
            (
                Kind::OmerloParticipantCreated,
                include_str!("../../tests/fixtures/omerlo-participant-created.json"),
                "33ed5790-3f2c-527e-ab02-dbcd74661156",
            ),
            (
                Kind::OmerloEventInvitationCreated,
                include_str!("../../tests/fixtures/omerlo-event-invitation-created.json"),
                "74b357d7-e355-561b-ba21-599a74d0eabd",
            ),
        ] {
            let compact = original(body.as_bytes()).unwrap();
            assert!(
                is_canonical(compact.get()),
                "Omerlo sends its keys in order"
            );
            assert_eq!(message_id(kind, compact.get()).unwrap(), id);
            // The same body with its keys in another order (serde_json's `Value` sorts them; this reverses the
            // top level) takes the long way, to the same id.
            let value: serde_json::Value = serde_json::from_str(body).unwrap();
            let reversed = format!(
                "{{{}}}",
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            assert!(!is_canonical(&reversed));
            assert_eq!(message_id(kind, &reversed).unwrap(), id);
        }
    }

    #[test]
    fn numbers_are_kept_as_sent_in_ids_and_subjects() {
        let participant = include_str!("../../tests/fixtures/omerlo-participant-created.json");
        let mut value: serde_json::Value = serde_json::from_str(participant).unwrap();
        let mut with_number = |n: &str| {
            // Keys out of order (`zz` first), so that the id takes the canonical writer's way.
            value["data"]["participant"]["id"] = serde_json::json!("PLACEHOLDER");
            format!(r#"{{"zz":1,{}"#, &value.to_string()[1..]).replace(r#""PLACEHOLDER""#, n)
        };
        let (a, b) = (
            with_number("123456789012345678901234567891"),
            with_number("123456789012345678901234567892"),
        );
        let (a, b) = (
            read(Kind::OmerloParticipantCreated, a.as_bytes()).unwrap(),
            read(Kind::OmerloParticipantCreated, b.as_bytes()).unwrap(),
        );
        assert_ne!(a.id, b.id, "bodies that differ get different ids");
        assert_eq!(a.subject, "participant/123456789012345678901234567891");
        assert_eq!(
            a.participation.unwrap().id.as_deref(),
            Some("123456789012345678901234567891")
        );
        for (x, y) in [
            ("1.5", "1.50"),
            ("2e3", "2000"),
            ("0.1", "0.10000000000000001"),
        ] {
            let (x, y) = (with_number(x), with_number(y));
            assert_ne!(
                read(Kind::OmerloParticipantCreated, x.as_bytes())
                    .unwrap()
                    .id,
                read(Kind::OmerloParticipantCreated, y.as_bytes())
                    .unwrap()
                    .id
            );
        }
    }

    #[test]
    fn a_body_with_a_duplicated_key_is_quarantined() {
        let participant = include_str!("../../tests/fixtures/omerlo-participant-created.json");
        let duplicated = participant.replacen("{", r#"{"event_name": "participant_created","#, 1);
        assert_eq!(
            read(Kind::OmerloParticipantCreated, duplicated.as_bytes())
                .unwrap_err()
                .0,
            "an object of the body has a duplicated key"
        );
        let nested = participant.replacen(r#""participant": {"#, r#""participant": {"id": 0,"#, 1);
        assert_ne!(nested, participant);
        assert!(read(Kind::OmerloParticipantCreated, nested.as_bytes()).is_err());
    }

    #[test]
    fn a_delivery_that_does_not_fit_says_why() {
        let participant = include_str!("../../tests/fixtures/omerlo-participant-created.json");
        let invitation = include_str!("../../tests/fixtures/omerlo-event-invitation-created.json");
        let removed = participant.replacen("participant_created", "participant_removed", 1);
        let reason = |kind, body: &str| read(kind, body.as_bytes()).unwrap_err().0;
        assert_eq!(
            reason(Kind::OmerloParticipantCreated, invitation),
            "event_name `event_invitation_created` delivered to the route of `participant_created`"
        );
        // Same shape, other kind: the name alone tells them apart.
        assert_eq!(
            reason(Kind::OmerloParticipantCreated, &removed),
            "event_name `participant_removed` delivered to the route of `participant_created`"
        );
        assert!(read(Kind::OmerloParticipantRemoved, removed.as_bytes()).is_ok());
        for body in [r#"{"data":{}}"#, r#"{"event_name":7,"data":{}}"#] {
            assert_eq!(
                reason(Kind::OmerloParticipantCreated, body),
                "no event_name"
            );
        }
        assert!(
            reason(
                Kind::OmerloParticipantCreated,
                r#"{"event_name":"participant_created","data":{"person":null}}"#
            )
            .starts_with("not a participant_created delivery: missing field `participant`"),
        );
    }
}
