//! The registry of webhook kinds: the one table from which routes, Lambda binaries, the SAM template check and
//! the test matrix all derive. Adding a kind is one row here plus its payload type in `provider/`.

use serde::{Deserialize, Serialize};

/// The platform a webhook comes from; decides how a delivery is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// Omerlo Backoffice API: JSON body, `x-api-key` header.
    Omerlo,
    /// Mighty Networks Admin API: JSON body, `Authorization: Bearer` header.
    MightyNetworks,
    /// Wix (Calendar participations v3, Wix Events guests and events): the body is an RS256-signed JWT.
    Wix,
    /// Calendly (invitees and no-shows): JSON body, `Calendly-Webhook-Signature` (a timestamped HMAC-SHA256).
    Calendly,
}

impl Provider {
    /// Every provider, in registry order.
    pub const ALL: [Provider; 4] = [
        Provider::Omerlo,
        Provider::MightyNetworks,
        Provider::Wix,
        Provider::Calendly,
    ];

    /// The path segment and message-source prefix (`omerlo`, `mighty-networks`, `wix`, `calendly`).
    pub const fn slug(self) -> &'static str {
        match self {
            Provider::Omerlo => "omerlo",
            Provider::MightyNetworks => "mighty-networks",
            Provider::Wix => "wix",
            Provider::Calendly => "calendly",
        }
    }

    /// The environment variable that holds this provider's secret (keys, PEM public keys for Wix, signing keys for
    /// Calendly).
    pub const fn secret_var(self) -> &'static str {
        match self {
            Provider::Omerlo => "OMERLO_API_KEY",
            Provider::MightyNetworks => "MIGHTY_NETWORKS_API_KEY",
            Provider::Wix => "WIX_PUBLIC_KEY",
            Provider::Calendly => "CALENDLY_SIGNING_KEY",
        }
    }

    /// The provider's name in the SAM template's logical ids and parameters, e.g. `MightyNetworks`
    /// (`MightyNetworksSecretName`).
    pub fn logical_name(self) -> String {
        pascal_case(self.slug())
    }

    /// The kinds this provider sends.
    pub fn kinds(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(move |k| k.provider() == self)
    }
}

/// What a kind's deliveries are about. A provider reads a delivery by its kind's entity, with an exhaustive
/// `match`: a new entity is flagged by the compiler in every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// An event (Mighty Networks, Wix Events).
    Event,
    /// An invitation to an event (Omerlo).
    Invitation,
    /// A participant of an event (Omerlo).
    Participant,
    /// An RSVP to an event (Mighty Networks).
    Rsvp,
    /// A participation in an event (Wix Calendar).
    Participation,
    /// A guest of an event (Wix Events).
    Guest,
    /// An invitee of a scheduled meeting: one person's booking (Calendly).
    Invitee,
    /// A host's no-show marking of an invitee (Calendly).
    InviteeNoShow,
}

impl Entity {
    /// The entity's segment of a message `type`, e.g. `event_invitation`.
    pub const fn name(self) -> &'static str {
        match self {
            Entity::Event => "event",
            Entity::Invitation => "event_invitation",
            Entity::Participant => "participant",
            Entity::Rsvp => "rsvp",
            Entity::Participation => "participation",
            Entity::Guest => "guest",
            Entity::Invitee => "invitee",
            Entity::InviteeNoShow => "invitee_no_show",
        }
    }
}

/// What happened to a kind's entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// It was created.
    Created,
    /// It changed.
    Updated,
    /// It was canceled; it still exists.
    Canceled,
    /// It was removed (Omerlo's word for a deletion).
    Removed,
    /// It was deleted.
    Deleted,
}

impl Action {
    /// The action's segment of a message `type`, e.g. `created`.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Canceled => "canceled",
            Action::Removed => "removed",
            Action::Deleted => "deleted",
        }
    }

    /// Whether the entity is gone after it; a canceled event is not.
    pub const fn is_deletion(self) -> bool {
        match self {
            Action::Removed | Action::Deleted => true,
            Action::Created | Action::Updated | Action::Canceled => false,
        }
    }
}

/// `mighty-networks-rsvp-created` → `MightyNetworksRsvpCreated`.
fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $provider:ident, $entity:ident, $action:ident, $slug:literal, $wire:literal, $ty:literal; )*) => {
        /// One webhook kind: a route, a Lambda binary, a message `type`. Serialized as its message `type`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $( $(#[$doc])* $variant, )* }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: [Kind; [$(Kind::$variant),*].len()] = [$(Kind::$variant),*];

            /// Who sends this kind.
            pub const fn provider(self) -> Provider {
                match self { $( Kind::$variant => Provider::$provider, )* }
            }

            /// What the kind's deliveries are about.
            pub const fn entity(self) -> Entity {
                match self { $( Kind::$variant => Entity::$entity, )* }
            }

            /// What happened to it.
            pub const fn action(self) -> Action {
                match self { $( Kind::$variant => Action::$action, )* }
            }

            /// The kind's own path segment, e.g. `participant-created`.
            pub const fn slug(self) -> &'static str {
                match self { $( Kind::$variant => $slug, )* }
            }

            /// The provider's own name for the kind (Omerlo `event_name`, Mighty Networks webhook name,
            /// Wix `eventType`, Calendly `event`).
            pub const fn wire_name(self) -> &'static str {
                match self { $( Kind::$variant => $wire, )* }
            }

            /// The CloudEvents `type` of the messages this kind produces.
            pub const fn message_type(self) -> &'static str {
                match self { $( Kind::$variant => $ty, )* }
            }
        }
    };
}

kinds! {
    /// Omerlo `event_invitation_created`.
    OmerloEventInvitationCreated => Omerlo, Invitation, Created, "event-invitation-created", "event_invitation_created", "com.omerlo.event_invitation.created";
    /// Omerlo `participant_created`.
    OmerloParticipantCreated => Omerlo, Participant, Created, "participant-created", "participant_created", "com.omerlo.participant.created";
    /// Omerlo `participant_removed`.
    OmerloParticipantRemoved => Omerlo, Participant, Removed, "participant-removed", "participant_removed", "com.omerlo.participant.removed";
    /// Mighty Networks `EventCreated`.
    MightyNetworksEventCreated => MightyNetworks, Event, Created, "event-created", "EventCreated", "com.mightynetworks.event.created";
    /// Mighty Networks `EventUpdated`.
    MightyNetworksEventUpdated => MightyNetworks, Event, Updated, "event-updated", "EventUpdated", "com.mightynetworks.event.updated";
    /// Mighty Networks `RsvpCreated`.
    MightyNetworksRsvpCreated => MightyNetworks, Rsvp, Created, "rsvp-created", "RsvpCreated", "com.mightynetworks.rsvp.created";
    /// Mighty Networks `RsvpUpdated`.
    MightyNetworksRsvpUpdated => MightyNetworks, Rsvp, Updated, "rsvp-updated", "RsvpUpdated", "com.mightynetworks.rsvp.updated";
    /// Mighty Networks `RsvpDeleted`.
    MightyNetworksRsvpDeleted => MightyNetworks, Rsvp, Deleted, "rsvp-deleted", "RsvpDeleted", "com.mightynetworks.rsvp.deleted";
    /// Wix Calendar participation created.
    WixParticipationCreated => Wix, Participation, Created, "participation-created", "wix.calendar.v3.participation_created", "com.wix.calendar.participation.created";
    /// Wix Calendar participation updated.
    WixParticipationUpdated => Wix, Participation, Updated, "participation-updated", "wix.calendar.v3.participation_updated", "com.wix.calendar.participation.updated";
    /// Wix Calendar participation deleted.
    WixParticipationDeleted => Wix, Participation, Deleted, "participation-deleted", "wix.calendar.v3.participation_deleted", "com.wix.calendar.participation.deleted";
    /// Wix Events guest created.
    WixGuestCreated => Wix, Guest, Created, "guest-created", "wix.events.guests.v1.guest_created", "com.wix.events.guest.created";
    /// Wix Events guest updated.
    WixGuestUpdated => Wix, Guest, Updated, "guest-updated", "wix.events.guests.v1.guest_updated", "com.wix.events.guest.updated";
    /// Wix Events guest deleted.
    WixGuestDeleted => Wix, Guest, Deleted, "guest-deleted", "wix.events.guests.v1.guest_deleted", "com.wix.events.guest.deleted";
    /// Wix Events event created.
    WixEventCreated => Wix, Event, Created, "event-created", "wix.events.v3.event_created", "com.wix.events.event.created";
    /// Wix Events event updated.
    WixEventUpdated => Wix, Event, Updated, "event-updated", "wix.events.v3.event_updated", "com.wix.events.event.updated";
    /// Wix Events event canceled.
    WixEventCanceled => Wix, Event, Canceled, "event-canceled", "wix.events.v3.event_canceled", "com.wix.events.event.canceled";
    /// Wix Events event deleted.
    WixEventDeleted => Wix, Event, Deleted, "event-deleted", "wix.events.v3.event_deleted", "com.wix.events.event.deleted";
    /// Calendly `invitee.created`.
    CalendlyInviteeCreated => Calendly, Invitee, Created, "invitee-created", "invitee.created", "com.calendly.invitee.created";
    /// Calendly `invitee.canceled`.
    CalendlyInviteeCanceled => Calendly, Invitee, Canceled, "invitee-canceled", "invitee.canceled", "com.calendly.invitee.canceled";
    /// Calendly `invitee_no_show.created`.
    CalendlyInviteeNoShowCreated => Calendly, InviteeNoShow, Created, "invitee-no-show-created", "invitee_no_show.created", "com.calendly.invitee_no_show.created";
    /// Calendly `invitee_no_show.deleted`.
    CalendlyInviteeNoShowDeleted => Calendly, InviteeNoShow, Deleted, "invitee-no-show-deleted", "invitee_no_show.deleted", "com.calendly.invitee_no_show.deleted";
}

impl Kind {
    /// The HTTP route (always `POST`), e.g. `/webhooks/omerlo/participant-created`.
    pub fn route(self) -> String {
        format!("/webhooks/{}/{}", self.provider().slug(), self.slug())
    }

    /// The Lambda binary (and `functions/src/bin/` file stem), e.g. `omerlo-participant-created`.
    pub fn binary(self) -> String {
        format!("{}-{}", self.provider().slug(), self.slug())
    }

    /// The kind's name in the SAM template's logical ids, e.g. `OmerloParticipantCreated` (its function is
    /// `OmerloParticipantCreatedFunction`, its alarms and outputs start so too).
    pub fn logical_name(self) -> String {
        pascal_case(&self.binary())
    }

    /// The SAM logical id of the kind's function, e.g. `OmerloParticipantCreatedFunction`.
    pub fn function_logical_id(self) -> String {
        format!("{}Function", self.logical_name())
    }

    /// The kind served at `path`, if any. A trailing slash is tolerated.
    pub fn from_route(path: &str) -> Option<Kind> {
        let path = path.strip_suffix('/').unwrap_or(path);
        Kind::ALL.into_iter().find(|k| k.route() == path)
    }

    /// The kind a message `type` names, if any.
    pub fn from_message_type(message_type: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.message_type() == message_type)
    }

    /// Whether a change of this kind deletes (or removes) its subject; a canceled event is not deleted.
    pub const fn is_deletion(self) -> bool {
        self.action().is_deletion()
    }

    /// The kind a Lambda binary name names, if any.
    pub fn from_binary(binary: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.binary() == binary)
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.message_type())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Kind::from_message_type(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown message type `{name}`")))
    }
}

impl schemars::JsonSchema for Kind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MessageType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let types: Vec<&str> = Kind::ALL.iter().map(|k| k.message_type()).collect();
        schemars::json_schema!({
            "description": "The kind of change, one value per webhook kind. New kinds are added within v1: a consumer passes over a type it does not know.",
            "type": "string",
            "anyOf": [{"enum": types}, {"type": "string"}],
        })
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kinds_have_unique_routes_binaries_and_types() {
        let n = Kind::ALL.len();
        let routes: HashSet<_> = Kind::ALL.iter().map(|k| k.route()).collect();
        let bins: HashSet<_> = Kind::ALL.iter().map(|k| k.binary()).collect();
        let types: HashSet<_> = Kind::ALL.iter().map(|k| k.message_type()).collect();
        assert_eq!((routes.len(), bins.len(), types.len()), (n, n, n));
    }

    #[test]
    fn entity_and_action_agree_with_the_slug_and_the_message_type() {
        for kind in Kind::ALL {
            let (entity, action) = (kind.entity().name(), kind.action().name());
            let suffix = format!(".{entity}.{action}");
            assert!(kind.message_type().ends_with(&suffix), "{kind}");
            let slug = format!("{}-{action}", entity.replace('_', "-"));
            assert_eq!(kind.slug(), slug, "{kind}");
        }
    }

    #[test]
    fn deletions_are_the_deleted_and_removed_types() {
        for kind in Kind::ALL {
            let ty = kind.message_type();
            let by_name = ty.ends_with(".deleted") || ty.ends_with(".removed");
            assert_eq!(kind.is_deletion(), by_name, "{kind}");
        }
    }

    #[test]
    fn every_provider_sends_some_kind() {
        for provider in Provider::ALL {
            assert!(provider.kinds().next().is_some(), "{provider:?}");
        }
    }

    #[test]
    fn routes_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_route(&kind.route()), Some(kind));
            assert_eq!(Kind::from_route(&format!("{}/", kind.route())), Some(kind));
            assert_eq!(Kind::from_binary(&kind.binary()), Some(kind));
            assert_eq!(Kind::from_message_type(kind.message_type()), Some(kind));
        }
        assert_eq!(Kind::from_route("/webhooks/omerlo/nope"), None);
    }

    #[test]
    fn the_table_from_the_spec() {
        assert_eq!(
            Kind::MightyNetworksRsvpDeleted.route(),
            "/webhooks/mighty-networks/rsvp-deleted"
        );
        assert_eq!(
            Kind::WixParticipationUpdated.message_type(),
            "com.wix.calendar.participation.updated"
        );
        assert_eq!(
            Kind::OmerloEventInvitationCreated.function_logical_id(),
            "OmerloEventInvitationCreatedFunction"
        );
        assert_eq!(Provider::MightyNetworks.logical_name(), "MightyNetworks");
        assert_eq!(Kind::WixGuestDeleted.route(), "/webhooks/wix/guest-deleted");
        assert_eq!(
            Kind::WixEventCanceled.wire_name(),
            "wix.events.v3.event_canceled"
        );
    }
}
