//! Parse errors said without any value of the text they read. serde's own messages quote the values they reject
//! (a name, a phone number sent as a number), and whatever is logged must not hold personal data: [`read`] says
//! where the text went wrong and what kind of problem it is (a field path, the type expected there, the type
//! found). It is the one way Rollcall explains a delivery that does not fit: the plain parse runs first, and only
//! when it fails is the text parsed again with its path tracked (`serde_path_to_error`), to word the reason.
//! Rollcall words its quarantine reasons with it; a consumer may log why an `original` did not read.

use serde::Deserialize;
use serde_json::error::Category;
use serde_path_to_error::Segment;

/// Why a text did not read as the type asked for: a field path and types, never a value of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit(String);

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misfit {}

/// Reads the JSON `text` as `T` with the plain parse; only when that fails, parses it again tracking the path
/// of the value at fault, for the reason.
pub fn read<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, Misfit> {
    serde_json::from_str(text).map_err(|e| explain::<T>(text, &e))
}

/// The problem `e` (of reading `text` as `T`), said without any value of `text`: for a syntax error serde_json's
/// message (a fixed text and a position); for a data error the problem and the path of the value at fault.
fn explain<'a, T: Deserialize<'a>>(text: &'a str, e: &serde_json::Error) -> Misfit {
    if e.classify() != Category::Data {
        return Misfit(e.to_string());
    }
    let mut tracking = serde_json::Deserializer::from_str(text);
    // The tracked parse fails as the plain one did; should it not, the plain error is worded without a path.
    let tracked = serde_path_to_error::deserialize::<_, T>(&mut tracking).err();
    let path = tracked
        .as_ref()
        .map(|t| render(t.path()))
        .unwrap_or_default();
    let e = tracked
        .as_ref()
        .map_or(e, serde_path_to_error::Error::inner);
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) if e.line() > 0 => &message[..at],
        _ => &message,
    };
    let problem = without_values(message);
    Misfit(if path.is_empty() {
        problem
    } else {
        format!("{problem} at `{path}`")
    })
}

/// A serde message with the value it quotes replaced by that value's type. A message of another form is not
/// repeated: it might quote a value.
fn without_values(message: &str) -> String {
    // Rollcall's own messages start with "expected" and quote nothing; serde's name fields, not values.
    let kept = [
        "missing field `",
        "duplicate field `",
        "invalid length ",
        "expected ",
    ];
    if kept.iter().any(|prefix| message.starts_with(prefix)) {
        return message.to_owned();
    }
    for (prefix, problem) in [
        ("invalid type: ", "expected"),
        ("invalid value: ", "an invalid value, expected"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(at) = rest.rfind(", expected ")
        {
            let expected = &rest[at + ", expected ".len()..];
            return format!("{problem} {expected}, found {}", kind(&rest[..at]));
        }
    }
    "a value of another shape than expected".to_owned()
}

/// The type of a value as serde describes it (`string "…"`, ``integer `5` ``): the words before the value.
fn kind(unexpected: &str) -> &'static str {
    const KINDS: [&str; 9] = [
        "boolean",
        "integer",
        "floating point",
        "string",
        "null",
        "map",
        "sequence",
        "unit value",
        "character",
    ];
    let words = unexpected
        .split(['`', '"'])
        .next()
        .unwrap_or_default()
        .trim();
    KINDS
        .into_iter()
        .find(|k| *k == words)
        .unwrap_or("another type")
}

/// A tracked path as `data.participant.id` or `payload.tags[2]`. Keys other than plain names (letters, digits,
/// `_`, `-`, `?`, `$`, `@`) are shown as `…`: Rollcall's field names are plain, and other keys are the sender's
/// text (a phone number, an e-mail address).
fn render(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        let key = match segment {
            Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
                continue;
            }
            Segment::Map { key } => key.as_str(),
            Segment::Enum { variant } => variant.as_str(),
            Segment::Unknown => "",
        };
        if !out.is_empty() {
            out.push('.');
        }
        let plain = key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-?$@".contains(&b));
        out.push_str(if plain && !key.is_empty() { key } else { "…" });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::lenient::{self, Id};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        data: Inner,
        #[serde(default)]
        count: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        id: Id,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default, deserialize_with = "lenient::nested")]
        nested: Option<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        #[serde(default)]
        flag: Option<bool>,
    }

    fn reason(text: &str) -> String {
        read::<Outer>(text).unwrap_err().to_string()
    }

    #[test]
    fn reasons_name_the_path_and_the_types_never_the_value() {
        for (body, expected) in [
            (
                r#"{"data":{"id":1,"name":5550123,"x":1}}"#,
                "expected a string, found integer at `data.name`",
            ),
            (
                r#"{"data":{"id":1,"name":true}}"#,
                "expected a string, found boolean at `data.name`",
            ),
            (
                r#"{"data":{"id":1,"name":{"a":"jane@example.com"}}}"#,
                "expected a string, found map at `data.name`",
            ),
            (
                r#"{"data":{"id":true,"name":"Jane"}}"#,
                "expected an id (a non-empty string or a number), found a boolean at `data.id`",
            ),
            (
                r#"{"data":{"name":"Jane","id":false}}"#,
                "expected an id (a non-empty string or a number), found a boolean at `data.id`",
            ),
            (
                r#"{"data":{"name":"Jane"}}"#,
                "missing field `id` at `data`",
            ),
            (
                r#"{"data":{"id":1,"items":[{"flag":true},{"flag":"jane@example.com"}]}}"#,
                "expected a boolean, found string at `data.items[1].flag`",
            ),
            (
                r#"{"data":{"id":1},"count":"jane@example.com"}"#,
                "expected u32, found string at `count`",
            ),
            (
                r#"{"data":{"id":1},"count":-5550123}"#,
                "an invalid value, expected u32, found integer at `count`",
            ),
            (
                r#"{"data":{"id":1,"nested":"{\"flag\":\"jane\"}"}}"#,
                "expected a JSON string of the expected shape: expected a boolean, found string at `flag` at `data.nested`",
            ),
            (
                r#"{"data":{"id":1,"jane@example.com":{"x":1},"name":7}}"#,
                "expected a string, found integer at `data.name`",
            ),
        ] {
            assert_eq!(reason(body), expected, "{body}");
        }
    }

    #[test]
    fn keys_that_are_not_plain_names_are_not_repeated() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Map {
            m: std::collections::BTreeMap<String, u8>,
        }
        let text = r#"{"m":{"jane@example.com":"x"}}"#;
        assert_eq!(
            read::<Map>(text).unwrap_err().to_string(),
            "expected u8, found string at `m.…`"
        );
    }
}
