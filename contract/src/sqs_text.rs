//! Text SQS accepts, in one place: the characters of a message body or string attribute
//! (`#x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF`; anything else is refused with
//! `InvalidMessageContents`) and the size of a message (body and attributes together at most the queue's
//! `MaximumMessageSize`, which `template.yaml` pins to [`MAX_MESSAGE_BYTES`]). Every body Rollcall stores, on SQS
//! or in `rollcall serve`'s SQLite queue, is a [`Body`]: a local body can be sent to SQS as it is.
//! It is part of the contract because a message's body is: [`crate::Message::to_body`] writes it, and a consumer
//! can rely on its characters and its size.

use serde::Serialize;

/// The largest message (body and attributes) a Rollcall queue takes: SQS's long-standing maximum, 256 KiB, which
/// `template.yaml` pins as every queue's `MaximumMessageSize`. Larger queues are possible on SQS since 2025
/// (1 MiB), but a batch of ten such messages would not fit a Lambda consumer's 6 MB payload.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The longest string attribute value sent, in bytes; a longer one is left out (the body carries the value).
pub const MAX_ATTRIBUTE_BYTES: usize = 1024;

/// Room kept for a message's attributes (at most three: name, data type `String` and a value of at most
/// [`MAX_ATTRIBUTE_BYTES`] each).
const ATTRIBUTES_ROOM: usize = 4 * 1024;

/// The largest body Rollcall stores: [`MAX_MESSAGE_BYTES`] less the room kept for the attributes.
pub const MAX_BODY_BYTES: usize = MAX_MESSAGE_BYTES - ATTRIBUTES_ROOM;

/// Why a body cannot be stored on a queue. Permanent: sending it again would fail again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body (or body and attributes) is over the limit.
    TooLarge {
        /// Its size, in bytes.
        bytes: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// SQS refused it with a client error (`InvalidMessageContents`, `InvalidParameterValue`): its code only,
    /// never SQS's message, which may quote a character of the delivery.
    Sqs {
        /// SQS's error code.
        code: String,
    },
    /// SNS refused it with a client error (`InvalidParameter`, …; `rollcall::queue::sns`): its code only, never
    /// SNS's message, which may quote the delivery.
    Sns {
        /// SNS's error code.
        code: String,
    },
    /// It could not be written as JSON.
    Unwritable(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooLarge { bytes, limit } => {
                write!(f, "it is {bytes} bytes, over the limit of {limit} bytes")
            }
            Refusal::Sqs { code } => write!(f, "SQS refused it ({code})"),
            Refusal::Sns { code } => write!(f, "SNS refused it ({code})"),
            Refusal::Unwritable(why) => write!(f, "it could not be written as JSON: {why}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Whether SQS accepts `c` in a body or string attribute.
pub fn accepts(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `value` when SQS accepts it as a string attribute value: not empty, at most [`MAX_ATTRIBUTE_BYTES`], every
/// character accepted. Otherwise `None`, and the attribute is left out: attributes only help filtering, the body
/// holds every value.
pub fn attribute(value: &str) -> Option<&str> {
    let fits =
        !value.is_empty() && value.len() <= MAX_ATTRIBUTE_BYTES && value.chars().all(accepts);
    fits.then_some(value)
}

/// The string attributes of a message with `body`, from `(name, value)` pairs: those SQS accepts
/// ([`attribute`]; the others are left out). Refused when body and attributes (each name, data type `String` and
/// value, as SQS and SNS count them) are over [`MAX_MESSAGE_BYTES`]: the SQS and SNS adapters' one rule.
pub fn attributes<'a>(
    body: &Body,
    pairs: impl IntoIterator<Item = (&'static str, &'a str)>,
) -> Result<Vec<(&'static str, &'a str)>, Refusal> {
    let kept: Vec<_> = pairs
        .into_iter()
        .filter_map(|(name, value)| Some((name, attribute(value)?)))
        .collect();
    let bytes = body.as_str().len()
        + kept
            .iter()
            .map(|(name, value)| name.len() + "String".len() + value.len())
            .sum::<usize>();
    if bytes > MAX_MESSAGE_BYTES {
        return Err(Refusal::TooLarge {
            bytes,
            limit: MAX_MESSAGE_BYTES,
        });
    }
    Ok(kept)
}

/// A queue body: compact JSON whose every character SQS accepts, at most [`MAX_BODY_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    /// `value` as JSON, with the two characters JSON text may hold raw that SQS refuses (U+FFFE, U+FFFF)
    /// escaped (`\ufffe`, `\uffff`: the value is unchanged); refused when larger than [`MAX_BODY_BYTES`].
    pub fn json(value: &impl Serialize) -> Result<Body, Refusal> {
        let text = serde_json::to_string(value).map_err(|e| Refusal::Unwritable(e.to_string()))?;
        let text = escape_noncharacters(text);
        if text.len() > MAX_BODY_BYTES {
            return Err(Refusal::TooLarge {
                bytes: text.len(),
                limit: MAX_BODY_BYTES,
            });
        }
        Ok(Body(text))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Replaces raw U+FFFE and U+FFFF in JSON text by their escapes. serde_json escapes every control character, so
/// these two are the only characters of JSON text SQS refuses; outside strings JSON has only ASCII, so a
/// replacement over the whole text touches only string contents.
fn escape_noncharacters(text: String) -> String {
    if !text.contains(['\u{FFFE}', '\u{FFFF}']) {
        return text;
    }
    text.replace('\u{FFFE}', "\\ufffe")
        .replace('\u{FFFF}', "\\uffff")
}

/// How many bytes `text` takes as a JSON string's contents (serde_json's escapes, and [`Body`]'s), without the
/// quotes.
pub fn json_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{C}' => 2,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => 6,
            c => c.len_utf8(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_character_rule_is_sqss() {
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(accepts(c), "{c:?}");
        }
        for c in ['\0', '\u{1}', '\u{B}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!accepts(c), "{c:?}");
        }
    }

    #[test]
    fn noncharacters_are_escaped_and_the_value_is_unchanged() {
        let value = serde_json::json!({"name": "a\u{FFFF}b\u{FFFE}\u{1}\u{B}", "\u{FFFF}": 1});
        let body = Body::json(&value).unwrap();
        assert!(body.as_str().chars().all(accepts), "{}", body.as_str());
        assert!(body.as_str().contains(r"a\uffffb\ufffe"));
        let back: serde_json::Value = serde_json::from_str(body.as_str()).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn json_len_is_what_the_body_takes() {
        let text = "\"\\\n\t\u{1}\u{B}\u{7F}é\u{2028}\u{FFFF}\u{FFFE}\u{10000}x";
        let body = Body::json(&text).unwrap();
        assert_eq!(json_len(text) + 2, body.as_str().len());
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        assert!(Body::json(&"x".repeat(MAX_BODY_BYTES - 2)).is_ok());
        assert_eq!(
            Body::json(&"x".repeat(MAX_BODY_BYTES - 1)),
            Err(Refusal::TooLarge {
                bytes: MAX_BODY_BYTES + 1,
                limit: MAX_BODY_BYTES
            })
        );
    }

    #[test]
    fn refusals_say_what_was_refused_and_no_value() {
        let said = [
            Refusal::TooLarge {
                bytes: 300_000,
                limit: MAX_BODY_BYTES,
            },
            Refusal::Sqs {
                code: "InvalidMessageContents".into(),
            },
            Refusal::Sns {
                code: "InvalidParameter".into(),
            },
            Refusal::Unwritable("key must be a string".into()),
        ]
        .map(|refusal| refusal.to_string());
        assert_eq!(
            said,
            [
                format!("it is 300000 bytes, over the limit of {MAX_BODY_BYTES} bytes"),
                "SQS refused it (InvalidMessageContents)".to_owned(),
                "SNS refused it (InvalidParameter)".to_owned(),
                "it could not be written as JSON: key must be a string".to_owned(),
            ]
        );
    }

    #[test]
    fn attributes_sqs_would_refuse_are_left_out() {
        assert_eq!(attribute("/wix/instances/a"), Some("/wix/instances/a"));
        assert_eq!(attribute("guest/a\u{FFFF}"), None);
        assert_eq!(attribute("guest/\u{1}"), None);
        assert_eq!(attribute(""), None);
        assert_eq!(attribute(&"x".repeat(MAX_ATTRIBUTE_BYTES + 1)), None);
    }
}
