//! Canonical JSON, the text an Omerlo message id is computed over: a body sent again with its keys in another
//! order or its strings escaped otherwise gets the same id. Code that exists for speed lives here, explained once:
//! [`is_canonical`] recognises in one scan a body that already is its own canonical form (Omerlo sends its keys in
//! order), so most deliveries skip [`write_canonical`]; [`compact`] drops whitespace in one pass. The property test
//! below holds the fast path to the plain one.

use super::Unparsable;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Appends the canonical JSON of `json` (valid JSON without whitespace between tokens) to `out`: object keys
/// sorted, strings escaped as serde_json escapes them, numbers as sent (their text, never rounded through a
/// float), no whitespace, so that a body sent with its keys in another order or its strings escaped otherwise
/// gives the same text. An object with a duplicated key has no canonical form: which value counts is
/// ambiguous. Each level is read with serde_json (the nesting is bounded by [`MAX_DEPTH`](super::body::MAX_DEPTH)).
pub(crate) fn write_canonical(json: &str, out: &mut Vec<u8>) -> Result<(), Unparsable> {
    let unreadable = |e: serde_json::Error| Unparsable::new(format!("body does not parse: {e}"));
    match json.as_bytes().first() {
        Some(b'{') => {
            let mut members: Members = serde_json::from_str(json).map_err(unreadable)?;
            members.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            if members.0.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                return Err(Unparsable::new(
                    "an object of the body has a duplicated key",
                ));
            }
            out.push(b'{');
            for (i, (key, value)) in members.0.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(key, out);
                out.push(b':');
                write_canonical(value.get(), out)?;
            }
            out.push(b'}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(json).map_err(unreadable)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item.get(), out)?;
            }
            out.push(b']');
        }
        Some(b'"') => {
            let text: String = serde_json::from_str(json).map_err(unreadable)?;
            write_str(&text, out);
        }
        _ => out.extend_from_slice(json.as_bytes()), // a number as sent, true, false, null
    }
    Ok(())
}

/// Whether `compact`, valid JSON without whitespace between tokens, is already its own canonical JSON, i.e.
/// [`write_canonical`] would give the same text: each object's keys strictly increasing (so no duplicates) and
/// free of escapes, and strings escaped only as serde_json escapes them (numbers are written as sent). One
/// scan, no allocation but a stack of open containers. Conservative: `false` only means that the caller has to
/// write the canonical text.
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
                    let Some(k) = bytes
                        .get(end..)
                        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                    else {
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
            b' ' | b'\n' | b'\r' | b'\t' => return false,
            _ => {} // numbers, and the letters of true, false and null
        }
        i += 1;
    }
    true
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

fn write_scalar(value: &str, out: &mut Vec<u8>) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
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

/// A JSON object's members in the order sent, each value as its JSON text.
pub(crate) struct Members<'a>(pub(crate) Vec<(String, &'a RawValue)>);

impl<'a> Members<'a> {
    /// The value of the first member named `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;

        impl<'de> Visitor<'de> for Object {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(Object)
    }
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
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

    /// Canonical JSON as Rollcall wrote it before numbers were kept as sent: serde_json's `Value`, keys sorted.
    fn through_value(value: &serde_json::Value) -> String {
        use serde_json::Value;
        match value {
            Value::Object(map) => {
                let sorted: std::collections::BTreeMap<&String, String> =
                    map.iter().map(|(k, v)| (k, through_value(v))).collect();
                let members: Vec<String> = sorted
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(through_value).collect();
                format!("[{}]", items.join(","))
            }
            scalar => scalar.to_string(),
        }
    }

    /// Whether every number of `doc` is written back by serde_json as it was sent.
    fn numbers_round_trip(doc: &Doc) -> bool {
        match doc {
            Doc::Literal(text) => serde_json::from_str::<serde_json::Value>(text)
                .is_ok_and(|v| serde_json::to_string(&v).is_ok_and(|written| written == *text)),
            Doc::Str(..) => true,
            Doc::Array(items) => items.iter().all(numbers_round_trip),
            Doc::Object(members) => members.iter().all(|(_, _, d)| numbers_round_trip(d)),
        }
    }

    fn canonical(text: &str) -> Result<String, Unparsable> {
        let mut out = Vec::new();
        write_canonical(text, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
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

        /// A text taken as canonical is exactly what writing it canonically gives: the Omerlo id of a body does
        /// not depend on which way it was computed. A body with a duplicated key has no canonical text. Bodies
        /// whose numbers serde_json wrote back as sent have the canonical text they had before numbers were kept
        /// as sent: their ids did not change.
        #[test]
        fn a_text_taken_as_canonical_is_canonical(doc in doc()) {
            let mut text = String::new();
            write_doc(&doc, &mut text);
            let compact = compact(&text);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            match canonical(&compact) {
                Ok(canonical) => {
                    if is_canonical(&compact) {
                        prop_assert_eq!(&compact, &canonical);
                    }
                    if !canonical.contains('\\') {
                        prop_assert!(is_canonical(&canonical), "{}", canonical);
                    }
                    if numbers_round_trip(&doc) {
                        prop_assert_eq!(&canonical, &through_value(&value));
                    }
                }
                Err(_) => prop_assert!(!is_canonical(&compact)),
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
            r#"{"a":"\/"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a\n":1}"#,
            r#"{"a": 1}"#,
        ] {
            assert!(!is_canonical(text), "{text}");
        }
        // Numbers are canonical as sent.
        for text in [
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"[12345678901234567890,2e3]"#,
        ] {
            assert!(is_canonical(text), "{text}");
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let body = compact(r#"{ "b": [1, {"y":2,"x":"\u00e9"}], "a": null, "c": 1.50e1 }"#);
        assert_eq!(
            canonical(&body).unwrap(),
            r#"{"a":null,"b":[1,{"x":"é","y":2}],"c":1.50e1}"#
        );
        assert_eq!(
            canonical(r#"[1,{"b":1,"a":2,"b":3}]"#).unwrap_err().0,
            "an object of the body has a duplicated key"
        );
    }
}
