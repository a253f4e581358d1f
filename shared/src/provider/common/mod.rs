//! What the providers share, below them all: the answers a provider's reading gives ([`Unparsable`],
//! [`AuthError`], [`Authentic`], [`Verified`]), the body as JSON ([`body`]), canonical JSON ([`canonical`]), the
//! one way a misfit delivery is explained ([`reason`]) and the header helpers. Each provider module imports from
//! here; this module imports none of them.

pub(crate) mod body;
pub(crate) mod canonical;
mod reason;

pub(crate) use reason::{delivery, typed};

use crate::config::NotConfigured;
use crate::kind::Kind;
use crate::message::Change;
use http::HeaderMap;
use serde_json::value::RawValue;

/// Why an authentic delivery could not be read as its kind; it goes to the quarantine with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unparsable(pub String);

impl Unparsable {
    /// A reason from anything printable.
    pub fn new(reason: impl std::fmt::Display) -> Unparsable {
        Unparsable(reason.to_string())
    }
}

/// Why a delivery was not accepted as authentic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials, wrong credentials, or a token that does not verify.
    #[error("missing or wrong credentials")]
    Unauthorized,
    /// The provider's secret is not configured (or not usable), so nothing can be authenticated.
    #[error(transparent)]
    NotConfigured(#[from] NotConfigured),
}

/// An authentic delivery, read as the kind of its route.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once per delivery and moved once: boxing would only add an allocation
pub enum Authentic {
    /// It reads as its kind: the change it carries, for the queue.
    Readable(Change),
    /// It does not: why, for the quarantine.
    Unreadable(Unparsable),
}

impl From<Result<Change, Unparsable>> for Authentic {
    fn from(read: Result<Change, Unparsable>) -> Authentic {
        match read {
            Ok(change) => Authentic::Readable(change),
            Err(reason) => Authentic::Unreadable(reason),
        }
    }
}

/// What authentication leaves for reading a delivery.
#[derive(Debug)]
pub enum Verified {
    /// The credentials were in the headers (Omerlo, Mighty Networks, Calendly): the body is read as received.
    Body,
    /// The Wix token verified: its `data` claim, decoded once.
    WixClaim(Option<Box<RawValue>>),
}

/// The reason for a kind its provider's reader does not read: a registry row whose entity that provider does
/// not send. Dispatch is by provider, so only such a row reaches it (and a test of every kind would show it).
pub(crate) fn not_sent(kind: Kind) -> Unparsable {
    Unparsable::new(format!(
        "{:?} does not send a `{}`: no reader for `{}`",
        kind.provider(),
        kind.entity().name(),
        kind.message_type()
    ))
}

/// `value` when it is the wire name of a kind of the registry (the only text of a delivery a reason may repeat).
pub(crate) fn known_wire_name(value: &str) -> Option<&'static str> {
    Kind::ALL
        .into_iter()
        .map(Kind::wire_name)
        .find(|name| *name == value)
}

/// Why a delivery whose event name (its `member`: Omerlo `event_name`, Calendly `event`) is `found` does not
/// belong on the route of `kind`. Only a name of the registry is repeated: anything else the sender wrote may be
/// personal data.
pub(crate) fn wrong_event_name(kind: Kind, member: &str, found: &str) -> String {
    let found = known_wire_name(found).map_or_else(
        || format!("an {member} of no kind Rollcall knows"),
        |name| format!("{member} `{name}`"),
    );
    format!("{found} delivered to the route of `{}`", kind.wire_name())
}

/// The single value of a header; `None` when it is absent, repeated (ambiguous) or not visible ASCII.
pub(crate) fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    values.next().is_none().then(|| value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn repeated_headers_are_ambiguous() {
        let mut headers = HeaderMap::new();
        headers.append("x-api-key", "a".parse().unwrap());
        assert_eq!(single_header(&headers, "x-api-key"), Some(&b"a"[..]));
        headers.append("x-api-key", "b".parse().unwrap());
        assert_eq!(single_header(&headers, "x-api-key"), None);
    }
}
