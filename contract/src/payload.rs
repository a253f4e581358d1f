//! The typed views of a message's `data.original`: one variant per kind, holding the provider's own structure.
//! Above the providers (it names their delivery types) and the message contract, which knows nothing of them.

use crate::kind::Kind;
use crate::message::Message;
use crate::provider::wix::{calendar, events};
use crate::provider::{calendly, mighty_networks, omerlo};

impl Message {
    /// The typed view of `data.original` for this message's kind.
    pub fn payload(&self) -> Result<Payload, serde_json::Error> {
        Payload::parse(self.kind, self.data.original.get())
    }
}

/// `data.original` typed by kind: one call from a queue body to a provider's own structure.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Payload {
    /// Omerlo `event_invitation_created`.
    OmerloEventInvitationCreated(omerlo::Delivery<omerlo::InvitationData>),
    /// Omerlo `participant_created`.
    OmerloParticipantCreated(omerlo::Delivery<omerlo::ParticipantData>),
    /// Omerlo `participant_removed`.
    OmerloParticipantRemoved(omerlo::Delivery<omerlo::ParticipantData>),
    /// Mighty Networks `EventCreated`.
    MightyNetworksEventCreated(mighty_networks::Delivery<mighty_networks::Event>),
    /// Mighty Networks `EventUpdated`.
    MightyNetworksEventUpdated(mighty_networks::Delivery<mighty_networks::Event>),
    /// Mighty Networks `RsvpCreated`.
    MightyNetworksRsvpCreated(mighty_networks::Delivery<mighty_networks::Rsvp>),
    /// Mighty Networks `RsvpUpdated`.
    MightyNetworksRsvpUpdated(mighty_networks::Delivery<mighty_networks::Rsvp>),
    /// Mighty Networks `RsvpDeleted`.
    MightyNetworksRsvpDeleted(mighty_networks::Delivery<mighty_networks::Rsvp>),
    /// Wix participation created.
    WixParticipationCreated(calendar::ParticipationDelivery),
    /// Wix participation updated.
    WixParticipationUpdated(calendar::ParticipationDelivery),
    /// Wix participation deleted.
    WixParticipationDeleted(calendar::ParticipationDelivery),
    /// Wix Events guest created.
    WixGuestCreated(events::GuestDelivery),
    /// Wix Events guest updated.
    WixGuestUpdated(events::GuestDelivery),
    /// Wix Events guest deleted.
    WixGuestDeleted(events::GuestDelivery),
    /// Wix Events event created.
    WixEventCreated(events::EventDelivery),
    /// Wix Events event updated.
    WixEventUpdated(events::EventDelivery),
    /// Wix Events event canceled.
    WixEventCanceled(events::EventDelivery),
    /// Wix Events event deleted.
    WixEventDeleted(events::EventDelivery),
    /// Calendly `invitee.created`.
    CalendlyInviteeCreated(calendly::Delivery),
    /// Calendly `invitee.canceled`.
    CalendlyInviteeCanceled(calendly::Delivery),
    /// Calendly `invitee_no_show.created`.
    CalendlyInviteeNoShowCreated(calendly::Delivery),
    /// Calendly `invitee_no_show.deleted`.
    CalendlyInviteeNoShowDeleted(calendly::Delivery),
}

impl Payload {
    /// Parses `original` JSON as `kind`'s payload.
    pub fn parse(kind: Kind, original: &str) -> Result<Payload, serde_json::Error> {
        use serde_json::from_str as json;
        Ok(match kind {
            Kind::OmerloEventInvitationCreated => {
                Payload::OmerloEventInvitationCreated(json(original)?)
            }
            Kind::OmerloParticipantCreated => Payload::OmerloParticipantCreated(json(original)?),
            Kind::OmerloParticipantRemoved => Payload::OmerloParticipantRemoved(json(original)?),
            Kind::MightyNetworksEventCreated => {
                Payload::MightyNetworksEventCreated(json(original)?)
            }
            Kind::MightyNetworksEventUpdated => {
                Payload::MightyNetworksEventUpdated(json(original)?)
            }
            Kind::MightyNetworksRsvpCreated => Payload::MightyNetworksRsvpCreated(json(original)?),
            Kind::MightyNetworksRsvpUpdated => Payload::MightyNetworksRsvpUpdated(json(original)?),
            Kind::MightyNetworksRsvpDeleted => Payload::MightyNetworksRsvpDeleted(json(original)?),
            Kind::WixParticipationCreated => Payload::WixParticipationCreated(json(original)?),
            Kind::WixParticipationUpdated => Payload::WixParticipationUpdated(json(original)?),
            Kind::WixParticipationDeleted => Payload::WixParticipationDeleted(json(original)?),
            Kind::WixGuestCreated => Payload::WixGuestCreated(json(original)?),
            Kind::WixGuestUpdated => Payload::WixGuestUpdated(json(original)?),
            Kind::WixGuestDeleted => Payload::WixGuestDeleted(json(original)?),
            Kind::WixEventCreated => Payload::WixEventCreated(json(original)?),
            Kind::WixEventUpdated => Payload::WixEventUpdated(json(original)?),
            Kind::WixEventCanceled => Payload::WixEventCanceled(json(original)?),
            Kind::WixEventDeleted => Payload::WixEventDeleted(json(original)?),
            Kind::CalendlyInviteeCreated => Payload::CalendlyInviteeCreated(json(original)?),
            Kind::CalendlyInviteeCanceled => Payload::CalendlyInviteeCanceled(json(original)?),
            Kind::CalendlyInviteeNoShowCreated => {
                Payload::CalendlyInviteeNoShowCreated(json(original)?)
            }
            Kind::CalendlyInviteeNoShowDeleted => {
                Payload::CalendlyInviteeNoShowDeleted(json(original)?)
            }
        })
    }
}
