//! The smoke deliveries: one per provider, from the tenant [`TENANT`], which `rollcall smoke` sends after a
//! deploy. They live here, beside the registry, so that what derives from them reads the same deliveries the
//! command sends: the template's subscription filter policies list the `source` of each (every subscription but
//! the smoke one excludes them, `testkit/src/template.rs`), so a new provider is covered.

use crate::kind::{Kind, Provider};
use crate::message::UtcTime;
use serde_json::{Value, json};

/// The tenant id smoke deliveries carry (their message's `source` ends in `/rollcall-smoke`).
pub const TENANT: &str = "rollcall-smoke";

/// A provider's smoke delivery, before authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct Smoke {
    /// The kind it is delivered as (its route).
    pub kind: Kind,
    /// What it carries: the body as sent, or the claims a Wix token signs.
    pub content: Content,
}

/// The content of a smoke delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A JSON body, sent as is with the provider's key in a header (Omerlo, Mighty Networks), or signed with
    /// it in a header (Calendly, signed at the time of sending).
    Body(Value),
    /// The claims of a Wix token, issued now: signed with the app's private key, they are the body.
    WixClaims(Value),
}

/// The smoke delivery of `provider`; `unique` makes its message id new (a UUID is the usual choice).
pub fn delivery(provider: Provider, unique: &str) -> Smoke {
    let now = UtcTime::now().to_string();
    match provider {
        Provider::Omerlo => Smoke {
            kind: Kind::OmerloEventInvitationCreated,
            content: Content::Body(json!({"event_name": "event_invitation_created", "data": {
                "event": {"id": "smoke-event", "profile": {"workspace_id": TENANT}},
                "invitation": {"id": unique, "inserted_at": now},
            }})),
        },
        Provider::MightyNetworks => Smoke {
            kind: Kind::MightyNetworksEventCreated,
            content: Content::Body(
                json!({"event_id": unique, "event_timestamp": now, "payload":
                {"id": "smoke-event", "title": "Rollcall smoke test", "space_id": TENANT}}),
            ),
        },
        Provider::Wix => {
            let event = json!({"id": unique, "entityFqdn": "wix.calendar.v3.participation",
                "slug": "created", "entityId": unique, "eventTime": now,
                "createdEvent": {"entity": {"id": unique, "status": "CONFIRMED", "partySize": 1}}});
            let delivery = json!({"eventType": "wix.calendar.v3.participation_created",
                "instanceId": TENANT, "data": event.to_string(),
                "identity": json!({"identityType": "APP"}).to_string()});
            Smoke {
                kind: Kind::WixParticipationCreated,
                content: Content::WixClaims(json!({"data": delivery.to_string(),
                    "iat": time::OffsetDateTime::now_utc().unix_timestamp()})),
            }
        }
        Provider::Calendly => Smoke {
            kind: Kind::CalendlyInviteeCreated,
            content: Content::Body(json!({"event": "invitee.created", "created_at": now,
                "created_by": format!("https://api.calendly.com/users/{TENANT}"),
                "payload": {
                    "uri": format!("https://api.calendly.com/scheduled_events/smoke-event/invitees/{unique}"),
                    "status": "active", "created_at": now, "updated_at": now,
                    "scheduled_event": {"uri": "https://api.calendly.com/scheduled_events/smoke-event",
                        "name": "Rollcall smoke test", "status": "active"}}})),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_providers_smoke_delivery_is_one_of_its_kinds_from_the_smoke_tenant() {
        for provider in Provider::ALL {
            let smoke = delivery(provider, "u-1");
            assert_eq!(smoke.kind.provider(), provider);
            let text = match &smoke.content {
                Content::Body(body) => body.to_string(),
                Content::WixClaims(claims) => {
                    assert_eq!(provider, Provider::Wix);
                    claims["data"].as_str().unwrap_or_default().to_owned()
                }
            };
            assert!(text.contains(TENANT), "{provider:?}: {text}");
            assert!(text.contains("u-1"), "{provider:?}: each run's own id");
        }
    }
}
