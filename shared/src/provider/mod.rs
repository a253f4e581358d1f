//! The three providers: each module holds its payload types, its authentication and its mapping of a delivery
//! to a [`Change`] (Wix in two: [`wix`] authenticates and decodes every Wix delivery and reads the Calendar
//! participations, [`wix_events`] reads the Wix Events guests and events). This module dispatches on the kind
//! and holds what the providers share.

pub mod mighty_networks;
pub mod omerlo;
pub mod wix;
pub mod wix_events;

use crate::config::Secrets;
use crate::kind::{Kind, Provider};
use crate::message::Change;
use http::HeaderMap;
use serde::de::IgnoredAny;
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
    #[error("{var} is not configured: {why}")]
    NotConfigured {
        /// The environment variable.
        var: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

/// Checks that a delivery of `kind` comes from its provider, against the raw headers and body as received, then
/// reads it as [`parse`] does. The outer error refuses the delivery; the inner one sends it to the quarantine.
/// A Wix token is decoded once, for both.
pub fn receive(
    kind: Kind,
    secrets: &Secrets,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Result<Change, Unparsable>, AuthError> {
    let provider = kind.provider();
    match provider {
        Provider::Omerlo => {
            omerlo::authenticate(secrets.api_keys(provider)?, headers)?;
            Ok(omerlo::parse(kind, body))
        }
        Provider::MightyNetworks => {
            mighty_networks::authenticate(secrets.api_keys(provider)?, headers)?;
            Ok(mighty_networks::parse(kind, body))
        }
        Provider::Wix => {
            let data = wix::authenticate(secrets.wix_keys()?, body)?;
            Ok(wix::parse_data(kind, data))
        }
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

/// Appends the canonical JSON of `value` to `out`: object keys sorted, no whitespace, so that a re-serialized
/// body gives the same text.
pub(crate) fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            // serde_json's map is ordered by key unless a dependency turns on its `preserve_order` feature.
            if map.keys().is_sorted() {
                write_members(map.iter(), out);
            } else {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                write_members(entries.into_iter(), out);
            }
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::String(text) => write_str(text, out),
        scalar => write_scalar(scalar, out),
    }
}

/// Whether `compact`, valid JSON without whitespace between tokens, is already its own canonical JSON, i.e.
/// [`write_canonical`] of its parse would give the same text: each object's keys strictly increasing (so no
/// duplicates) and free of escapes, strings escaped only as serde_json escapes them, and numbers only integers of
/// at most 18 characters other than `-0` (fractions, exponents and larger integers may be written back
/// differently). One scan, no allocation but a stack of open containers. Conservative: `false` only means that
/// the caller has to parse and re-serialize to find the canonical text.
pub(crate) fn is_canonical(compact: &str) -> bool {
    /// An open container: an array, or an object and its last key so far.
    enum Open<'a> {
        Array,
        Object(Option<&'a [u8]>),
    }
    let bytes = compact.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut at_key = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                open.push(Open::Object(None));
                at_key = true;
            }
            b'[' => {
                open.push(Open::Array);
                at_key = false;
            }
            b':' => at_key = false,
            b'}' | b']' => {
                open.pop();
            }
            b',' => at_key = matches!(open.last(), Some(Open::Object(_))),
            b'"' => {
                let start = i + 1;
                let mut end = start;
                loop {
                    let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[end..]) else {
                        return false;
                    };
                    end += k;
                    if bytes[end] == b'"' {
                        break;
                    }
                    // serde_json writes these escapes and only these for the characters they stand for (other
                    // control characters as `\u00xx`, which a sender may spell in upper case).
                    if at_key
                        || !matches!(
                            bytes.get(end + 1),
                            Some(b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f')
                        )
                    {
                        return false;
                    }
                    end += 2;
                }
                if at_key {
                    let key = &bytes[start..end];
                    match open.last_mut() {
                        Some(Open::Object(last)) if last.is_none_or(|last| last < key) => {
                            *last = Some(key)
                        }
                        _ => return false,
                    }
                    at_key = false;
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i + 1 < bytes.len()
                    && matches!(bytes[i + 1], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let number = &bytes[start..=i];
                if number.len() > 18
                    || number == b"-0"
                    || number.iter().any(|b| matches!(b, b'.' | b'e' | b'E'))
                {
                    return false;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => return false,
            _ => {} // the letters of true, false and null
        }
        i += 1;
    }
    true
}

fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a serde_json::Value)>,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    for (i, (key, item)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        write_canonical(item, out);
    }
    out.push(b'}');
}

/// A JSON string as serde_json writes it; most need no escaping and are copied at once.
fn write_str(text: &str, out: &mut Vec<u8>) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        write_scalar(text, out);
    }
}

fn write_scalar(value: &(impl serde::Serialize + ?Sized), out: &mut Vec<u8>) {
    // Writing a string, number, boolean or null into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// The body as the message's `original`: the provider's JSON token for token (numbers, strings, key order and
/// unknown keys as sent), with the whitespace between tokens removed so that a message is one line.
pub(crate) fn original(body: &[u8]) -> Result<Box<RawValue>, Unparsable> {
    let text = body_text(body)?;
    // A failure is reported against the body as sent, so that its line and column point into the quarantined
    // body rather than into the compacted text.
    RawValue::from_string(compact(text)).map_err(|_| {
        match serde_json::from_str::<IgnoredAny>(text) {
            Err(e) => Unparsable::new(format!("body does not parse: {e}")),
            Ok(_) => Unparsable::new("body does not parse"),
        }
    })
}

/// `text` without the whitespace between JSON tokens (the insides of strings are kept); not validated.
pub(crate) fn compact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut compact = String::with_capacity(text.len());
    let (mut run, mut i) = (0, 0);
    // JSON's structural characters are ASCII, so byte offsets between tokens are character boundaries. Strings
    // are skipped with memchr; runs without whitespace between tokens are copied at once.
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    i += k + 1;
                    if bytes[i - 1] == b'"' {
                        break;
                    }
                    i += 1; // the escaped character
                    if i >= bytes.len() {
                        break;
                    }
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                compact.push_str(&text[run..i]);
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\n' | b'\r' | b'\t') {
                    i += 1;
                }
                run = i;
            }
            _ => i += 1,
        }
    }
    compact.push_str(&text[run..]);
    compact
}

/// A body as text that may hold JSON: UTF-8 and not blank.
fn body_text(body: &[u8]) -> Result<&str, Unparsable> {
    let text = std::str::from_utf8(body).map_err(|_| Unparsable::new("body is not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(Unparsable::new("body is empty"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A JSON document as a sender may write it: keys in any order and repeated, numbers in any spelling,
    /// strings escaped as serde_json does or otherwise (`\/`, `\u00e9`, upper-case hex).
    #[derive(Debug, Clone)]
    enum Doc {
        Literal(&'static str),
        Str(String, bool),
        Array(Vec<Doc>),
        Object(Vec<(String, bool, Doc)>),
    }

    fn write_doc(doc: &Doc, out: &mut String) {
        let write_string = |text: &str, plain: bool, out: &mut String| {
            if plain {
                out.push_str(&serde_json::to_string(text).unwrap());
                return;
            }
            out.push('"');
            for c in text.chars() {
                match c {
                    '/' => out.push_str("\\/"),
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 || !c.is_ascii() => {
                        let mut units = [0; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        };
        match doc {
            Doc::Literal(text) => out.push_str(text),
            Doc::Str(text, plain) => write_string(text, *plain, out),
            Doc::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_doc(item, out);
                }
                out.push(']');
            }
            Doc::Object(members) => {
                out.push('{');
                for (i, (key, plain, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, *plain, out);
                    out.push(':');
                    write_doc(item, out);
                }
                out.push('}');
            }
        }
    }

    fn short_integers_only(value: &serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::Number(n) => n.as_i64().is_some_and(|n| n.unsigned_abs() < 10u64.pow(17)),
            Value::Array(items) => items.iter().all(short_integers_only),
            Value::Object(map) => map.values().all(short_integers_only),
            _ => true,
        }
    }

    fn doc() -> impl Strategy<Value = Doc> {
        let text = "[a-c\"\\\\/\n\t\u{1}é€😀]{0,4}";
        let leaf = prop_oneof![
            prop::sample::select(vec![
                "null",
                "true",
                "false",
                "0",
                "-0",
                "7",
                "-12",
                "1.5",
                "1.50",
                "2e3",
                "1E-2",
                "-0.0",
                "123456789012345678",
                "1234567890123456789",
                "18446744073709551615",
                "-9223372036854775809",
                "100000000000000000000",
            ])
            .prop_map(Doc::Literal),
            (text, any::<bool>()).prop_map(|(t, plain)| Doc::Str(t, plain)),
        ];
        leaf.prop_recursive(5, 48, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Doc::Array),
                prop::collection::vec((text, any::<bool>(), inner), 0..5).prop_map(Doc::Object),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// A text taken as canonical is exactly what parsing and writing it canonically gives: the Omerlo id of
        /// a body does not depend on which way it was computed.
        #[test]
        fn a_text_taken_as_canonical_is_canonical(doc in doc()) {
            let mut text = String::new();
            write_doc(&doc, &mut text);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut canonical = Vec::new();
            write_canonical(&value, &mut canonical);
            let canonical = String::from_utf8(canonical).unwrap();
            if is_canonical(&text) {
                prop_assert_eq!(&text, &canonical);
            }
            // Canonical text of short integers and strings without escapes is recognized: the short way is taken.
            if !canonical.contains('\\') && short_integers_only(&value) {
                prop_assert!(is_canonical(&canonical), "{}", canonical);
            }
        }
    }

    #[test]
    fn canonical_text_is_recognized_and_other_text_is_not() {
        assert!(is_canonical(
            r#"{"a":[1,-2,{"b":"x\"y\n","c":null}],"b":true,"ba":"é"}"#
        ));
        for text in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a\n":1}"#,
            r#"{"a": 1}"#,
            r#"[12345678901234567890]"#,
        ] {
            assert!(!is_canonical(text), "{text}");
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, {"y":2,"x":"é"}], "a": null }"#).unwrap();
        let mut out = Vec::new();
        write_canonical(&a, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":null,"b":[1,{"x":"é","y":2}]}"#
        );
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
    fn original_keeps_every_token_of_pretty_bodies() {
        for body in [
            include_str!("../../tests/fixtures/omerlo-participant-created.json"),
            include_str!("../../tests/fixtures/mighty-networks-rsvp-created.json"),
            "[\"a\\\\\", \"\\\"\" ,\t{ }]",
        ] {
            let compact = original(body.as_bytes()).unwrap();
            let (sent, kept): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(body).unwrap(),
                serde_json::from_str(compact.get()).unwrap(),
            );
            assert_eq!(sent, kept);
            assert_eq!(
                compact.get(),
                original(compact.get().as_bytes()).unwrap().get()
            );
            assert!(!compact.get().contains("\n"));
        }
        assert_eq!(original(b" \n").unwrap_err().0, "body is empty");
        assert!(original(b"{\"open").is_err());
        // The position of a syntax error is the body's, not the compacted text's.
        assert_eq!(
            original(b"{\n  \"a\": [1,\n    2,,\n  ]\n}").unwrap_err().0,
            "body does not parse: expected value at line 3 column 7"
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
