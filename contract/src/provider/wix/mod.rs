//! What Wix sends, once decoded: every Wix delivery is a JWT whose `data` claim holds
//! `{eventType, instanceId, data, identity, accountInfo?}`. This module holds the envelope both Wix families share;
//! [`calendar`] the Wix Calendar participations, [`events`] the Wix Events guests and events. How Rollcall verifies
//! the token and decodes the delivery is `rollcall::provider::wix`.

pub mod calendar;
pub mod events;

use super::lenient::{self, Id};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A Wix delivery as decoded from the JWT, nested JSON strings parsed: the message's `data.original`.
/// `E` is the entity, `A` the body of an action event.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "E: DeserializeOwned, A: DeserializeOwned")
)]
pub struct Delivery<E, A> {
    /// E.g. `wix.calendar.v3.participation_created`, `wix.events.guests.v1.guest_created`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The app instance (the tenant).
    pub instance_id: Id,
    /// Who caused the change.
    #[serde(default)]
    pub identity: Option<Identity>,
    /// The Wix account and site.
    #[serde(default)]
    pub account_info: Option<AccountInfo>,
    /// The event.
    pub data: DomainEvent<E, A>,
}

/// A Wix domain event about an entity `E`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "E: DeserializeOwned, A: DeserializeOwned")
)]
pub struct DomainEvent<E, A> {
    /// The event id, unique: the de-duplication key.
    pub id: Id,
    /// The entity's kind, e.g. `wix.calendar.v3.participation`, `wix.events.guests.v1.guest`.
    #[serde(default)]
    pub entity_fqdn: Option<String>,
    /// `created`, `updated`, `deleted` or `canceled`.
    #[serde(default)]
    pub slug: Option<String>,
    /// The entity that changed.
    pub entity_id: Id,
    /// When it changed.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub event_time: Option<String>,
    /// Whether a privacy (erasure) request caused the change.
    #[serde(default)]
    pub triggered_by_anonymize_request: Option<bool>,
    /// The action that caused the change, if given.
    #[serde(default)]
    pub originated_from: Option<String>,
    /// Per-entity order: a later change has a higher number (read as a whole number, else none).
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub entity_event_sequence: Option<Id>,
    /// Body of a creation.
    #[serde(default)]
    pub created_event: Option<CreatedEvent<E>>,
    /// Body of an update.
    #[serde(default)]
    pub updated_event: Option<UpdatedEvent<E>>,
    /// Body of a deletion.
    #[serde(default)]
    pub deleted_event: Option<DeletedEvent<E>>,
    /// Body of an action (event canceled).
    #[serde(default)]
    pub action_event: Option<ActionEvent<A>>,
}

/// `createdEvent`: the new entity (as an object, or as a JSON string in `entityAsJson`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "E: DeserializeOwned"))]
pub struct CreatedEvent<E> {
    /// The entity.
    #[serde(default, alias = "entityAsJson", deserialize_with = "lenient::nested")]
    pub entity: Option<E>,
}

/// `updatedEvent`: the entity as it is now.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "E: DeserializeOwned"))]
pub struct UpdatedEvent<E> {
    /// The entity.
    #[serde(
        default,
        alias = "currentEntityAsJson",
        deserialize_with = "lenient::nested"
    )]
    pub current_entity: Option<E>,
    /// Which fields changed.
    #[serde(default)]
    pub modified_fields: Option<Value>,
}

/// `deletedEvent`: the entity as it was, when Wix sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "E: DeserializeOwned"))]
pub struct DeletedEvent<E> {
    /// The entity.
    #[serde(
        default,
        alias = "deletedEntityAsJson",
        deserialize_with = "lenient::nested"
    )]
    pub deleted_entity: Option<E>,
}

/// `actionEvent`: the body of an action.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "A: DeserializeOwned"))]
pub struct ActionEvent<A> {
    /// The body.
    #[serde(default, alias = "bodyAsJson", deserialize_with = "lenient::nested")]
    pub body: Option<A>,
}

impl<E, A> DomainEvent<E, A> {
    /// The entity this event carries, whichever body it is in.
    pub fn entity(&self) -> Option<&E> {
        self.created_event
            .as_ref()
            .and_then(|c| c.entity.as_ref())
            .or_else(|| {
                self.updated_event
                    .as_ref()
                    .and_then(|u| u.current_entity.as_ref())
            })
            .or_else(|| {
                self.deleted_event
                    .as_ref()
                    .and_then(|d| d.deleted_entity.as_ref())
            })
    }

    /// The body of the action event, if any.
    pub fn action(&self) -> Option<&A> {
        self.action_event.as_ref().and_then(|a| a.body.as_ref())
    }
}

/// Who caused a change. Ids sent as numbers are read as their digits, as everywhere in a Wix delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `ANONYMOUS_VISITOR`, `MEMBER`, `WIX_USER` or `APP`.
    #[serde(default)]
    pub identity_type: Option<String>,
    /// A logged-in site member.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub member_id: Option<Id>,
    /// A visitor who is not logged in.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub anonymous_visitor_id: Option<Id>,
    /// A Wix user.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub wix_user_id: Option<Id>,
    /// An app.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub app_id: Option<Id>,
}

/// The Wix account a change belongs to.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// The account.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub account_id: Option<Id>,
    /// The parent account, for child accounts.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub parent_account_id: Option<Id>,
    /// The site.
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub site_id: Option<Id>,
}
