//! Parse errors said without any value of the text they read. serde's own messages quote the values they reject
//! (a name, a phone number sent as a number), and whatever is logged must not hold personal data: [`problem`]
//! says where the text went wrong and what kind of problem it is (a field path, the type expected there, the type
//! found). Rollcall words its quarantine reasons with it; a consumer may log why an `original` did not read.

use serde_json::error::Category;

/// The problem `e` found in `text`, said without any value of `text`: for a syntax error serde_json's message
/// (a fixed text and a position); for a data error the problem and the path of the value at fault.
pub fn problem(text: &str, e: &serde_json::Error) -> String {
    if e.classify() != Category::Data {
        return e.to_string();
    }
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) if e.line() > 0 => &message[..at],
        _ => &message,
    };
    let problem = without_values(message);
    match path_at(text, e.line(), e.column(), Fault::of(&problem)) {
        Some(path) if !path.is_empty() => format!("{problem} at `{path}`"),
        _ => problem,
    }
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

/// What a problem says of the value at fault, as far as finding its path needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// An object as a whole (`missing field`, `duplicate field`): an error at its end is about it.
    WholeObject,
    /// A scalar (a string, a number, a literal).
    Scalar,
    /// An object or an array, or a problem of no known form.
    Other,
}

impl Fault {
    fn of(problem: &str) -> Fault {
        const SCALARS: [&str; 10] = [
            "boolean",
            "integer",
            "floating point",
            "string",
            "null",
            "unit value",
            "character",
            "a boolean",
            "a number",
            "an empty string",
        ];
        if problem.starts_with("missing field") || problem.starts_with("duplicate field") {
            return Fault::WholeObject;
        }
        // A JSON string holding the wrong shape (`lenient::nested`): the string is the value at fault.
        let scalar = problem.starts_with("expected a JSON string")
            || problem.split_once(", found ").is_some_and(|(_, found)| {
                SCALARS.contains(&found.split(" at `").next().unwrap_or_default())
            });
        if scalar { Fault::Scalar } else { Fault::Other }
    }
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

/// One step of a path: an object member's key, or an array index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// An open object or array while scanning.
struct Open<'a> {
    /// Its own step in its parent (`None` for the root).
    step: Option<Step<'a>>,
    array: bool,
    /// The current index (arrays) or key (objects); whether an object's next string is a key.
    index: usize,
    key: &'a str,
    expect_key: bool,
    /// Where its last member so far ends, and that member's step.
    last: Option<(usize, Step<'a>)>,
}

/// The path (`data.participant.id`, `payload.tags[2]`) of the value that a serde_json data error at `line` and
/// `column` of the compact `text` is about. serde_json puts such an error at the byte that follows the value at
/// fault (its `,`, `}` or `]`), or at the first byte of an object or array it refused whole. An error of a
/// member's own deserializer gets the position of its object's end when it is the last member, so an error just
/// past an object's end is about that object or about its last member:
/// - followed by `}`, `]` or nothing, it is about the last member (an object followed by its parent's end would
///   have had the error put past that end), unless the problem is about a whole object (a missing field);
/// - followed by `,`, it is about the last member only when the value at fault is a scalar and that member is
///   one; otherwise about the object itself. The path never descends into the value at fault: its keys are the
///   sender's text (a phone number, an e-mail address).
///
/// Keys other than plain names (letters, digits, `_`, `-`, `?`, `$`, `@`) are shown as `…`: Rollcall's field
/// names are plain, and other keys are the sender's text.
fn path_at(text: &str, line: usize, column: usize, fault: Fault) -> Option<String> {
    if line != 1 {
        return None;
    }
    let bytes = text.as_bytes();
    let target = column;
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() && i <= target {
        let here = stack.last().map(|open| {
            if open.array {
                Step::Index(open.index)
            } else {
                Step::Key(open.key)
            }
        });
        let end = match bytes[i] {
            b'{' | b'[' => {
                if i == target {
                    return Some(render(&stack, here, None));
                }
                stack.push(Open {
                    step: here,
                    array: bytes[i] == b'[',
                    index: 0,
                    key: "",
                    expect_key: bytes[i] == b'{',
                    last: None,
                });
                None
            }
            b'}' | b']' => {
                let open = stack.pop()?;
                let end = i + 1;
                if end == target {
                    let member = if bytes.get(end) == Some(&b',') {
                        let before = i.checked_sub(1).and_then(|before| bytes.get(before));
                        let scalar_last = !matches!(before, Some(b'}' | b']'));
                        fault == Fault::Scalar && scalar_last
                    } else {
                        fault != Fault::WholeObject
                    };
                    let last = open.last.filter(|(last_end, _)| member && *last_end == i);
                    return Some(render(&stack, open.step, last.map(|(_, step)| step)));
                }
                open.step.map(|step| (end, step))
            }
            b'"' => {
                let mut close = i + 1;
                while close < bytes.len() && bytes[close] != b'"' {
                    close += if bytes[close] == b'\\' { 2 } else { 1 };
                }
                let start = i;
                i = close;
                match stack.last_mut() {
                    Some(open) if open.expect_key => {
                        open.key = text.get(start + 1..close).unwrap_or_default();
                        open.expect_key = false;
                        None
                    }
                    _ => {
                        let end = close + 1;
                        if end == target {
                            return Some(render(&stack, here, None));
                        }
                        here.map(|step| (end, step))
                    }
                }
            }
            b',' => {
                if let Some(open) = stack.last_mut() {
                    open.index += 1;
                    open.expect_key = !open.array;
                }
                None
            }
            b':' => None,
            _ => {
                while i + 1 < bytes.len() && !matches!(bytes[i + 1], b',' | b'}' | b']') {
                    i += 1;
                }
                let end = i + 1;
                if end == target {
                    return Some(render(&stack, here, None));
                }
                here.map(|step| (end, step))
            }
        };
        if let (Some(member), Some(open)) = (end, stack.last_mut()) {
            open.last = Some(member);
        }
        i += 1;
    }
    None
}

/// The path of the value at `own` in the innermost of `stack`, and of its member `member`.
fn render(stack: &[Open], own: Option<Step>, member: Option<Step>) -> String {
    let mut out = String::new();
    let steps = stack
        .iter()
        .filter_map(|open| open.step)
        .chain(own)
        .chain(member);
    for step in steps {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let plain = key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-?$@".contains(&b));
                out.push_str(if plain && !key.is_empty() { key } else { "…" });
            }
        }
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
        let e = serde_json::from_str::<Outer>(text).unwrap_err();
        problem(text, &e)
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
        let e = serde_json::from_str::<Map>(text).unwrap_err();
        assert_eq!(problem(text, &e), "expected u8, found string at `m.…`");
    }
}
