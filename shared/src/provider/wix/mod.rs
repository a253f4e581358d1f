//! Wix webhooks: every Wix delivery is a JWT signed with the app's RSA key (RS256), whose `data` claim is a JSON
//! string holding `{eventType, instanceId, data, identity, accountInfo?}`, and whose `data` and `identity` are
//! JSON strings again. This module verifies the token and decodes the delivery (the envelope both Wix families
//! share is the contract's, re-exported here); [`calendar`] reads the Wix Calendar participations, [`events`] the Wix Events guests and
//! events. Signature checks work on the raw token as received, and the claims they decode are read on (each
//! token is decoded once); parsing a stored token decodes it without re-verifying (a quarantined delivery was
//! verified on receipt), and replaying one verifies it again, all but its age.

pub mod calendar;
pub mod events;

use super::common::body::check_depth;
use super::common::canonical::{Members, compact};
use super::common::{AuthError, Unparsable, known_wire_name, not_sent, typed};
use crate::config::WixAuth;
use crate::kind::{Entity, Kind};
use crate::message::Change;
use jsonwebtoken::Algorithm;
use rollcall_contract::provider::lenient::Id;
use serde::Deserialize;
use serde_json::value::RawValue;

pub use rollcall_contract::provider::wix::*;

/// Leeway for `exp` and `nbf`, for clock skew between Wix and AWS.
const LEEWAY_SECONDS: u64 = 60;

/// The one reading of a Wix counter (`entityEventSequence`, an entity's `revision`), for both families: a whole
/// number, sent as a number or as a string (Wix sends int64 as strings); anything else is none, never a refusal.
pub(crate) fn counter(sent: Option<&Id>) -> Option<u64> {
    sent.and_then(|n| n.as_str().trim().parse().ok())
}

/// The issuer Wix names in its tokens (`iss`), when it names one.
const ISSUER: &str = "wix.com";

/// The claims of a Wix token that Rollcall reads or checks. A claim of the wrong type refuses the token.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    /// The delivery: a JSON string (as Wix sends it) or a JSON object, kept as its text.
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
    /// The issuer: `wix.com` when present.
    #[serde(default)]
    pub iss: Option<String>,
    /// The audience: the app id, one or several.
    #[serde(default)]
    pub aud: Option<Audience>,
    /// Issue time (seconds since the epoch).
    #[serde(default)]
    pub iat: Option<f64>,
    /// Expiry; `null` or absent is none.
    #[serde(default)]
    pub exp: Option<f64>,
    /// Not before.
    #[serde(default)]
    pub nbf: Option<f64>,
}

/// An `aud` claim: one app id or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    /// One id.
    One(String),
    /// Several ids.
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, id: &str) -> bool {
        match self {
            Audience::One(one) => one == id,
            Audience::Many(many) => many.iter().any(|a| a == id),
        }
    }
}

/// Verifies a Wix token: RS256 signed by one of the app's keys, no critical header parameter (Rollcall
/// understands none), `iss` `wix.com` when present, `aud` naming a configured app id when any is configured,
/// `exp`/`nbf` when present (with a minute of leeway for clock skew), and `iat` no older than the configured maximum age. A
/// token without `iat` is accepted with a warning: its age cannot be told. Every Wix kind goes through here.
pub(crate) fn verify(auth: &WixAuth, token: &str) -> Result<Claims, AuthError> {
    check_claims(auth, verify_signature(auth, token)?, unix_now())
}

/// Verifies a stored token (a quarantined delivery, for replay) as [`verify`] does, but not its age or
/// validity period: it was checked when it was received. The signature, the header and `iss`/`aud` are.
pub(crate) fn verify_stored(auth: &WixAuth, token: &str) -> Result<Claims, AuthError> {
    let claims = verify_signature(auth, token)?;
    if from_elsewhere(auth, &claims) {
        return Err(AuthError::Unauthorized);
    }
    Ok(claims)
}

/// The claims of a token signed RS256 by one of the app's keys, with no critical header parameter.
fn verify_signature(auth: &WixAuth, token: &str) -> Result<Claims, AuthError> {
    // The header is decoded once, and the claims once, whatever the number of keys: each key costs only its
    // signature check.
    let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Unauthorized)?;
    if header.alg != Algorithm::RS256 || header.crit.is_some() {
        return Err(AuthError::Unauthorized);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(AuthError::Unauthorized)?;
    let verified = auth.keys.0.iter().any(|key| {
        jsonwebtoken::crypto::verify(signature, signed.as_bytes(), key, Algorithm::RS256)
            .unwrap_or(false)
    });
    if !verified {
        return Err(AuthError::Unauthorized);
    }
    // The signature is verified: the claims are read as signed. The callers check them ([`check_claims`], where
    // `exp: null` is no expiry and `iat` bounds the age, or [`verify_stored`]).
    jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token)
        .map_err(|_| AuthError::Unauthorized)
}

/// Checks the claims of a token whose signature verified, at `now` (seconds since the epoch).
fn check_claims(auth: &WixAuth, claims: Claims, now: f64) -> Result<Claims, AuthError> {
    let leeway = LEEWAY_SECONDS as f64;
    let refused = from_elsewhere(auth, &claims)
        || claims.exp.is_some_and(|exp| exp < now - leeway)
        || claims.nbf.is_some_and(|nbf| nbf > now + leeway)
        || claims.iat.is_some_and(|iat| iat > now + leeway);
    if refused {
        return Err(AuthError::Unauthorized);
    }
    match (claims.iat, auth.max_token_age) {
        (Some(iat), Some(max)) if iat < now - max.as_secs_f64() - leeway => {
            Err(AuthError::Unauthorized)
        }
        (None, Some(_)) => {
            tracing::warn!("a Wix token without iat: its age cannot be checked");
            Ok(claims)
        }
        _ => Ok(claims),
    }
}

/// Whether a token names another issuer than Wix, or (when app ids are configured) no configured app.
fn from_elsewhere(auth: &WixAuth, claims: &Claims) -> bool {
    claims.iss.as_deref().is_some_and(|iss| iss != ISSUER)
        || (!auth.app_ids.is_empty()
            && !claims
                .aud
                .as_ref()
                .is_some_and(|aud| auth.app_ids.iter().any(|id| aud.names(id))))
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The most bytes of whitespace (space, tab, CR, LF) accepted around a Wix token, before and after it in all: a
/// line end a tool or a proxy may add. More, or any other character, and the body is not the token Wix signed:
/// it is refused (`401`), never stored. What is stored and de-duplicated is the token alone, so no
/// padding of a captured token makes a new quarantine record.
pub const MAX_TOKEN_PADDING: usize = 4;

/// The token of a Wix body: the body without the whitespace around it, when that is at most
/// [`MAX_TOKEN_PADDING`] bytes of space, tab, CR or LF and the rest is UTF-8.
pub(crate) fn token(body: &[u8]) -> Option<&str> {
    let token = body.trim_ascii();
    let padding = body.len() - token.len();
    let plain = body
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .chain(body.iter().rev().take_while(|b| b.is_ascii_whitespace()))
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if padding > MAX_TOKEN_PADDING || !plain {
        return None;
    }
    std::str::from_utf8(token).ok()
}

/// Verifies the token in `body` ([`token`], then [`verify`]) and returns its `data` claim.
pub(super) fn authenticate(
    auth: &WixAuth,
    body: &[u8],
) -> Result<Option<Box<RawValue>>, AuthError> {
    let token = token(body).ok_or(AuthError::Unauthorized)?;
    Ok(verify(auth, token)?.data)
}

/// Verifies a stored token in `body` (see [`verify_stored`]: not its age) and returns its `data` claim.
pub(super) fn authenticate_stored(
    auth: &WixAuth,
    body: &[u8],
) -> Result<Option<Box<RawValue>>, AuthError> {
    let token = std::str::from_utf8(body)
        .map_err(|_| AuthError::Unauthorized)?
        .trim();
    Ok(verify_stored(auth, token)?.data)
}

/// The `data` claim of a stored token (verified when it was received), read without a check.
/// Replay re-verifies instead ([`authenticate_stored`]).
pub(super) fn stored_data_claim(body: &[u8]) -> Result<Option<Box<RawValue>>, Unparsable> {
    /// The one claim a stored token is read for.
    #[derive(Deserialize)]
    struct Data {
        #[serde(default)]
        data: Option<Box<RawValue>>,
    }
    let token = std::str::from_utf8(body)
        .map_err(|_| Unparsable::new("body is not UTF-8"))?
        .trim();
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<Data>(token)
        .map_err(|_| Unparsable::new("not a JWT with JSON claims"))?;
    Ok(claims.data)
}

/// Reads the `data` claim of a Wix token as a change of `kind`: both Wix families share the envelope
/// ([`claimed_delivery`]).
pub(super) fn read(kind: Kind, data: Option<Box<RawValue>>) -> Result<Change, Unparsable> {
    map(kind, claimed_delivery(data)?)
}

/// Maps the decoded delivery `original` by the entity of `kind`; each family reads its entities in its own
/// module.
fn map(kind: Kind, original: Box<RawValue>) -> Result<Change, Unparsable> {
    match kind.entity() {
        Entity::Participation => calendar::participation(kind, original),
        Entity::Guest => events::guest(kind, original),
        Entity::Event => events::event(kind, original),
        Entity::Invitation
        | Entity::Participant
        | Entity::Rsvp
        | Entity::Invitee
        | Entity::InviteeNoShow => Err(not_sent(kind)),
    }
}

/// The delivery a `data` claim holds, as [`delivery`] makes it.
fn claimed_delivery(data: Option<Box<RawValue>>) -> Result<Box<RawValue>, Unparsable> {
    let data = data.ok_or_else(|| Unparsable::new("JWT has no data claim"))?;
    let text = match data.get().as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(data.get())
            .map_err(|_| Unparsable::new("the data claim is not a JSON string"))?,
        Some(b'{') => data.get().to_owned(),
        _ => return Err(Unparsable::new("the data claim is not a JSON object")),
    };
    delivery(&text)
}

/// The delivery of a `data` claim with its `data` and `identity` JSON strings parsed in place: the message's
/// `original`. Its members are in the order Wix sent them and every other value is kept token for token; only
/// the whitespace between tokens goes.
fn delivery(text: &str) -> Result<Box<RawValue>, Unparsable> {
    let text = compact(text);
    let members: Members = typed("the data claim is not a JSON object", &text)?;
    let unnest = |key: &str| -> Result<Option<Box<RawValue>>, Unparsable> {
        let Some(value) = members.get(key) else {
            return Ok(None);
        };
        if !value.get().starts_with('"') {
            return Ok(None); // already JSON in place
        }
        let what = format!("`{key}` is not JSON");
        let inner: String = typed(&what, value.get())?;
        // Only a syntax error is possible here, and its message quotes nothing.
        RawValue::from_string(compact(&inner))
            .map(Some)
            .map_err(|e| Unparsable::new(format!("{what}: {e}")))
    };
    let (data, identity) = (unnest("data")?, unnest("identity")?);
    let members = Members(
        members
            .0
            .into_iter()
            .map(|(key, value)| {
                let parsed = match key.as_str() {
                    "data" => data.as_deref(),
                    "identity" => identity.as_deref(),
                    _ => None,
                };
                (key, parsed.unwrap_or(value))
            })
            .collect(),
    );
    // Every piece is valid JSON already: serializing them together needs no second check.
    let original = serde_json::value::to_raw_value(&members).map_err(Unparsable::new)?;
    check_depth(original.get())?;
    Ok(original)
}

/// Checks that a delivery is of `kind`: by its `eventType`, or when absent by its entity (one of `fqdns`) and
/// slug.
fn check_kind<E, A>(
    kind: Kind,
    delivery: &Delivery<E, A>,
    fqdns: &[&str],
) -> Result<(), Unparsable> {
    let event = &delivery.data;
    let expected_slug = kind.wire_name().rsplit('_').next().unwrap_or_default();
    let matches = match delivery.event_type.as_deref() {
        Some(event_type) => event_type == kind.wire_name(),
        None => {
            event
                .entity_fqdn
                .as_deref()
                .is_some_and(|fqdn| fqdns.contains(&fqdn))
                && event.slug.as_deref() == Some(expected_slug)
        }
    };
    if matches {
        Ok(())
    } else {
        // Only a name of the registry is repeated: anything else the sender wrote may be personal data.
        let got = match &delivery.event_type {
            Some(event_type) => known_wire_name(event_type),
            None => known_wire_name(&format!(
                "{}_{}",
                event.entity_fqdn.as_deref().unwrap_or_default(),
                event.slug.as_deref().unwrap_or_default()
            )),
        };
        let got = got.map_or("an event of no kind Rollcall knows".to_owned(), |name| {
            format!("a `{name}` event")
        });
        Err(Unparsable::new(format!(
            "{got} delivered to the route of `{}`",
            kind.wire_name()
        )))
    }
}
