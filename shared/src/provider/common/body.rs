//! A delivery's body as JSON, what every provider shares: the message's `original` token for token, and the bound
//! on nesting.

use super::Unparsable;
use super::canonical::compact;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// The deepest nesting of objects and arrays a delivery may have: a deeper one is quarantined, whatever its
/// provider (consumers' parsers, such as Python's `json.loads`, give up on deep nesting).
pub const MAX_DEPTH: usize = 64;

/// The body as the message's `original`: the provider's JSON token for token (numbers, strings, key order and
/// unknown keys as sent), with the whitespace between tokens removed so that a message is one line. A body
/// nested deeper than [`MAX_DEPTH`] is refused.
pub(crate) fn original(body: &[u8]) -> Result<Box<RawValue>, Unparsable> {
    let text = body_text(body)?;
    // A failure is reported against the body as sent, so that its line and column point into the quarantined
    // body rather than into the compacted text.
    let original =
        RawValue::from_string(compact(text)).map_err(|_| {
            match serde_json::from_str::<IgnoredAny>(text) {
                Err(e) => Unparsable::new(format!("body does not parse: {e}")),
                Ok(_) => Unparsable::new("body does not parse"),
            }
        })?;
    check_depth(original.get())?;
    Ok(original)
}

/// Refuses `json` (valid JSON) when its objects and arrays nest deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(json: &str) -> Result<(), Unparsable> {
    let bytes = json.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // To the closing quote: the first one not escaped.
                i += 1;
                // `get`: past the end only if the text were not valid JSON, which then ends the scan.
                while let Some(k) = bytes
                    .get(i..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                {
                    i += k;
                    if bytes[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Unparsable::new(format!(
                        "the delivery is nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
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
    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert!(original(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            original(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err().0,
            "the delivery is nested deeper than 64 levels"
        );
        let objects = format!(
            "{}{}{}",
            r#"{"a":"#.repeat(MAX_DEPTH),
            r#""[[\"{{\\""#,
            "}".repeat(MAX_DEPTH)
        );
        assert!(serde_json::from_str::<serde::de::IgnoredAny>(&objects).is_ok());
        assert!(
            check_depth(&objects).is_ok(),
            "brackets in strings do not count"
        );
        assert!(check_depth(&nested(10_000)).is_err());
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
            include_str!("../../../tests/fixtures/omerlo-participant-created.json"),
            include_str!("../../../tests/fixtures/mighty-networks-rsvp-created.json"),
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
}
