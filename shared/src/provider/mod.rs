//! The providers, and the dispatch on them: this module only picks the provider of a kind. Every provider module
//! has the same shape (`authenticate`, `read`, `map`, then one function per entity it sends) and re-exports its
//! payload types, which are the contract's (`rollcall_contract::provider`). Wix is a folder: [`wix`] authenticates
//! and decodes every Wix delivery, [`wix::calendar`] reads the Calendar participations, [`wix::events`] the Wix
//! Events guests and events. What the providers share lives below them, in `common`.

pub mod calendly;
pub(crate) mod common;
pub mod mighty_networks;
pub mod omerlo;
pub mod wix;

pub use common::{AuthError, Authentic, Unparsable, Verified};
pub use rollcall_contract::provider::lenient;

use crate::config::Secrets;
use crate::kind::{Kind, Provider};
use crate::message::Change;
use http::HeaderMap;

/// Checks that a delivery of `kind` comes from its provider, against the raw headers and body as received. An
/// error refuses the delivery; what is authentic is then [`read`].
pub fn authenticate(
    kind: Kind,
    secrets: &Secrets,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, AuthError> {
    authenticate_headers(kind, secrets, headers)?;
    match kind.provider() {
        Provider::Omerlo | Provider::MightyNetworks => Ok(Verified::Body),
        Provider::Wix => Ok(Verified::WixClaim(wix::authenticate(secrets.wix()?, body)?)),
        Provider::Calendly => {
            calendly::authenticate(secrets.calendly()?, headers, body)?;
            Ok(Verified::Body)
        }
    }
}

/// Reads an authenticated delivery of `kind` as [`parse`] does (a Wix token is not decoded again).
pub fn read(kind: Kind, verified: Verified, body: &[u8]) -> Result<Change, Unparsable> {
    match verified {
        Verified::Body => parse(kind, body),
        Verified::WixClaim(data) => wix::read(kind, data),
    }
}

/// [`authenticate`], then [`read`]: an error refuses the delivery; what is authentic is [`Authentic`].
pub fn receive(
    kind: Kind,
    secrets: &Secrets,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Authentic, AuthError> {
    let verified = authenticate(kind, secrets, headers, body)?;
    Ok(read(kind, verified, body).into())
}

/// Reads a stored delivery of `kind` (a quarantine record's body) again, for replay. A Wix token is verified
/// again (signature, header, `iss` and `aud`), but not its age: it was fresh when received. Omerlo, Mighty
/// Networks and Calendly authenticate by a header, which is not stored: their records are trusted as the
/// quarantine's writers are, and only a run that holds the provider's secret replays them. An error keeps the
/// record.
pub fn reread(kind: Kind, secrets: &Secrets, body: &[u8]) -> Result<Authentic, AuthError> {
    let read = match kind.provider() {
        provider @ (Provider::Omerlo | Provider::MightyNetworks) => {
            secrets.api_keys(provider)?;
            parse(kind, body)
        }
        Provider::Wix => wix::read(kind, wix::authenticate_stored(secrets.wix()?, body)?),
        Provider::Calendly => {
            secrets.calendly()?;
            parse(kind, body)
        }
    };
    Ok(read.into())
}

/// Checks the credentials a delivery of `kind` carries in its headers (Omerlo's and Mighty Networks' API keys,
/// the form and age of Calendly's signature), as [`receive`] does first: an entry point may call it before
/// reading the body, so that a forged or stale delivery costs no body read. A Wix delivery is authenticated by
/// its body, so nothing is refused here.
pub fn authenticate_headers(
    kind: Kind,
    secrets: &Secrets,
    headers: &HeaderMap,
) -> Result<(), AuthError> {
    match kind.provider() {
        Provider::Omerlo => omerlo::authenticate(secrets.api_keys(Provider::Omerlo)?, headers),
        Provider::MightyNetworks => {
            mighty_networks::authenticate(secrets.api_keys(Provider::MightyNetworks)?, headers)
        }
        Provider::Wix => Ok(()),
        Provider::Calendly => calendly::check_header(secrets.calendly()?, headers).map(drop),
    }
}

/// What the quarantine keeps of an authentic body of `kind`: what was verified. For Wix the token without the
/// few whitespace bytes around it ([`wix::MAX_TOKEN_PADDING`]); for the others, whose credentials are headers,
/// the body as received.
pub fn verified_body(kind: Kind, body: &[u8]) -> &[u8] {
    match kind.provider() {
        Provider::Wix => wix::token(body).map_or(body, str::as_bytes),
        Provider::Omerlo | Provider::MightyNetworks | Provider::Calendly => body,
    }
}

/// Reads an authenticated body as a change of `kind`. Pure: the same bytes always give the same answer, which
/// is what lets the quarantine be replayed after a parser fix.
pub fn parse(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    match kind.provider() {
        Provider::Omerlo => omerlo::read(kind, body),
        Provider::MightyNetworks => mighty_networks::read(kind, body),
        Provider::Wix => wix::read(kind, wix::stored_data_claim(body)?),
        Provider::Calendly => calendly::read(kind, body),
    }
}
