//! The three providers: each module holds its payload types, its authentication and its mapping of a delivery
//! to a [`Change`]. This module dispatches on the kind and holds what the providers share.

pub mod mighty_networks;
pub mod omerlo;
pub mod wix;

use crate::config::Secrets;
use crate::kind::{Kind, Provider};
use crate::message::Change;
use http::HeaderMap;
use serde_json::value::RawValue;
use std::fmt::Write as _;

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
    #[error("{var} is not configured: {why}")]
    NotConfigured {
        /// The environment variable.
        var: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

/// Checks that a delivery comes from `provider`, against the raw headers and body as received.
pub fn authenticate(
    provider: Provider,
    secrets: &Secrets,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), AuthError> {
    match provider {
        Provider::Omerlo => omerlo::authenticate(secrets.api_keys(provider)?, headers),
        Provider::MightyNetworks => {
            mighty_networks::authenticate(secrets.api_keys(provider)?, headers)
        }
        Provider::Wix => wix::authenticate(secrets.wix_keys()?, body),
    }
}

/// Reads an authenticated body as a change of `kind`. Pure: the same bytes always give the same answer, which
/// is what lets the quarantine be replayed after a parser fix.
pub fn parse(kind: Kind, body: &[u8]) -> Result<Change, Unparsable> {
    match kind.provider() {
        Provider::Omerlo => omerlo::parse(kind, body),
        Provider::MightyNetworks => mighty_networks::parse(kind, body),
        Provider::Wix => wix::parse(kind, body),
    }
}

/// The single value of a header; `None` when it is absent, repeated (ambiguous) or not visible ASCII.
pub(crate) fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    values.next().is_none().then(|| value.as_bytes())
}

/// Canonical JSON: object keys sorted, no whitespace, so that a re-serialized body gives the same text.
pub(crate) fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(&Value::String(key.clone()), out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

/// The body as the message's `original`: the provider's JSON token for token (numbers, strings, key order and
/// unknown keys as sent), with the whitespace between tokens removed so that a message is one line.
pub(crate) fn original(body: &[u8]) -> Result<Box<RawValue>, Unparsable> {
    let raw: &RawValue = json_body(body)?;
    let mut compact = String::with_capacity(raw.get().len());
    let (mut in_string, mut escaped) = (false, false);
    for c in raw.get().chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_ascii_whitespace() {
            continue;
        }
        compact.push(c);
    }
    RawValue::from_string(compact).map_err(Unparsable::new)
}

/// Parses a body as JSON, with a reason fit for the quarantine.
pub(crate) fn json_body<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, Unparsable> {
    let text = std::str::from_utf8(body).map_err(|_| Unparsable::new("body is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(Unparsable::new("body is empty"));
    }
    serde_json::from_str(text).map_err(|e| Unparsable::new(format!("body does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, {"y":2,"x":"é"}], "a": null }"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#);
    }

    #[test]
    fn original_drops_only_whitespace_between_tokens() {
        let body = b"{ \"a\" : [1.50, 2e3 ],\n \"b\": \"x \\\" y\\n\" }\n";
        assert_eq!(
            original(body).unwrap().get(),
            r#"{"a":[1.50,2e3],"b":"x \" y\n"}"#
        );
    }

    #[test]
    fn repeated_headers_are_ambiguous() {
        let mut headers = HeaderMap::new();
        headers.append("x-api-key", "a".parse().unwrap());
        assert_eq!(single_header(&headers, "x-api-key"), Some(&b"a"[..]));
        headers.append("x-api-key", "b".parse().unwrap());
        assert_eq!(single_header(&headers, "x-api-key"), None);
    }
}
