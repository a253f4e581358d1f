//! Extreme but legal values in the fields of every kind's fixture: RFC 3339 edge times and offsets (leap
//! seconds, years 0000 and 9999), numbers at and past the i64, u64 and f64 limits, empty, huge and odd Unicode
//! strings (U+FFFE, U+FFFF, U+2028, bidi controls, NUL, lone surrogates), wrong JSON types and `null`s. Edits go
//! at the paths the parsers read (found by probing each path of the fixture) or anywhere; Wix deliveries are
//! signed after the edits, so every mutant is authentic. The proptest strategies serve the property test of the
//! pipeline (`shared/tests/it/extreme.rs`) and its runs through the function binaries and `rollcall serve`; the
//! fuzz target (`fuzz/`) builds the same edits from its own bytes.

use crate::deliveries::{WixSigner, kind_fixture, now};
use crate::personal::paths;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rollcall::message::{Message, UtcTime};
use rollcall::{Kind, Provider};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// A value put at a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Extreme {
    /// A JSON value.
    Json(Value),
    /// JSON text spliced in as written: numbers past what `serde_json::Value` holds, escapes as sent.
    Text(String),
    /// A huge string: `text` repeated `times` (shown short in failure reports).
    Repeat {
        /// What is repeated (characters JSON does not escape, so nesting keeps the size).
        text: &'static str,
        /// How often.
        times: usize,
    },
}

/// One change to a fixture, at a JSON pointer into the decoded delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Replace the value at `path`.
    Put {
        /// A JSON pointer, e.g. `/payload/updated`.
        path: String,
        /// The new value.
        value: Extreme,
    },
    /// Remove the member or element at `path`.
    Remove {
        /// A JSON pointer.
        path: String,
    },
}

/// Times that RFC 3339 allows (or nearly: a space, lower case, a comma, `+24:00`, no offset), at the edges of
/// what a time library and a JSON Schema validator take.
pub const TIMES: [&str; 30] = [
    "0000-01-01T00:00:00Z",
    "0000-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00.000000001+00:01",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999999-23:59",
    "9999-12-31T23:59:60Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T18:59:60-05:00",
    "2015-06-30T23:59:60.5Z",
    "2026-03-02T16:12:45-00:00",
    "2026-03-02t16:12:45z",
    "2026-03-02 16:12:45Z",
    "2026-03-02T16:12:45.123456789123456789Z",
    "2026-03-02T16:12:45,5Z",
    "2026-02-29T00:00:00Z",
    "2024-02-29T23:59:59+23:59",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999999Z",
    "2038-01-19T03:14:08Z",
    "+002026-03-02T16:12:45Z",
    "-0001-01-01T00:00:00Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02T16:12:45+24:00",
    "2026-03-02",
    "2026-03-02T16:12:45",
    " 2026-03-02T16:12:45Z ",
];

/// Numbers at and past the i64, u64, u32 and f64 limits, as JSON text.
pub const NUMBERS: [&str; 26] = [
    "0",
    "-0",
    "-0.0",
    "-1",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1.7976931348623159e308",
    "1e309",
    "-1e309",
    "5e-324",
    "2.4e-324",
    "1e-400",
    "2.2250738585072014e-308",
    "1.0",
    "1E+2",
    "0.1e1",
    "1.5",
];

/// Odd strings: empty, blank, the noncharacters, line and paragraph separators, bidi controls, NUL, a byte order
/// mark, the last code point, joiners and combining marks, terminal escapes, JSON look-alikes.
pub const STRINGS: [&str; 22] = [
    "",
    " ",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{2028}\u{2029}",
    "\u{202E}gnp.exe\u{202C}",
    "\u{2066}\u{05D0}\u{2069}",
    "\0",
    "a\0b",
    "\u{FEFF}",
    "\u{10FFFF}",
    "\u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467}",
    "e\u{0301}\u{0301}\u{0301}",
    "\u{1b}[31m\u{7f}",
    "\\",
    "\"",
    "/",
    "null",
    "true",
    "0",
    "1",
    "CONFIRMED",
];

/// JSON text with escapes as a provider may send them: NUL, lone and reversed surrogates, an escaped solidus.
pub const ESCAPES: [&str; 5] = [
    r#""\u0000""#,
    r#""\ud800""#,
    r#""\udfff\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\/\b\f\n\r\t""#,
];

/// Huge strings of characters JSON leaves unescaped: 16 KiB each, so three fit in a body even as a Wix token.
pub const HUGE: [(&str, usize); 3] = [("é", 8192), ("\u{1D54F}", 4096), ("\u{202E}", 5461)];

/// Every fixed extreme value: the times, numbers, strings, escapes and huge strings above, wrong types, `null`.
pub fn catalogue() -> Vec<Extreme> {
    let mut out: Vec<Extreme> = TIMES.iter().map(|t| Extreme::Json(json!(t))).collect();
    out.extend(NUMBERS.iter().map(|n| Extreme::Text((*n).to_owned())));
    out.extend(NUMBERS.iter().map(|n| Extreme::Json(json!(n))));
    out.extend(STRINGS.iter().map(|s| Extreme::Json(json!(s))));
    out.extend(ESCAPES.iter().map(|e| Extreme::Text((*e).to_owned())));
    out.extend(
        HUGE.iter()
            .map(|&(text, times)| Extreme::Repeat { text, times }),
    );
    out.extend(
        [
            json!(null),
            json!(true),
            json!(false),
            json!([]),
            json!({}),
            json!([null]),
            json!({"": null}),
            json!([[[[[]]]]]),
            json!(["2026-03-02T16:12:45Z"]),
            json!({"id": null}),
        ]
        .map(Extreme::Json),
    );
    out
}

/// An RFC 3339 time from its parts, each within the field's syntax but not necessarily a real date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// 0 to 9999.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 60 (a leap second).
    pub second: u8,
    /// Fraction digits (1 to 18), if any.
    pub fraction: Option<(u64, usize)>,
    /// Offset in minutes, -1439 to 1439; `None` writes `Z`.
    pub offset: Option<i16>,
}

impl Time {
    /// The time as RFC 3339 text.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if let Some((digits, width)) = self.fraction {
            out.push_str(&format!(".{digits:0width$}"));
        }
        match self.offset {
            None => out.push('Z'),
            Some(minutes) => {
                let sign = if minutes < 0 { '-' } else { '+' };
                let m = minutes.unsigned_abs();
                out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
            }
        }
        out
    }
}

/// Any [`Time`], biased to the first and last years and to the extreme offsets.
pub fn time() -> impl Strategy<Value = Time> {
    let year = prop_oneof![Just(0u16), Just(1), Just(9999), 0..=9999u16];
    let offset = prop_oneof![
        Just(None),
        Just(Some(1439i16)),
        Just(Some(-1439)),
        (-1439..=1439i16).prop_map(Some),
    ];
    let fraction = prop::option::of((1usize..=18).prop_flat_map(|width| {
        let max = 10u64.saturating_pow(width as u32).saturating_sub(1);
        ((0..=max), Just(width))
    }));
    let clock = (
        0..=23u8,
        0..=59u8,
        prop_oneof![Just(59u8), Just(60), 0..=60u8],
    );
    (year, 1..=12u8, 1..=31u8, clock, fraction, offset).prop_map(
        |(year, month, day, (hour, minute, second), fraction, offset)| Time {
            year,
            month,
            day,
            hour,
            minute,
            second,
            fraction,
            offset,
        },
    )
}

/// Any extreme value: from the catalogue, a time, a number (integers of every width, past them, any finite f64,
/// exponents past the f64 range), or any string of any characters.
pub fn extreme() -> impl Strategy<Value = Extreme> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| format!("{}", u128::from(n) + u128::from(u64::MAX))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (1..=9u8, 300..=400u16, any::<bool>(), any::<bool>()).prop_map(|(m, e, minus, tiny)| {
            format!(
                "{}{m}e{}{e}",
                if minus { "-" } else { "" },
                if tiny { "-" } else { "" }
            )
        }),
    ];
    prop_oneof![
        4 => prop::sample::select(catalogue()),
        2 => time().prop_map(|t| Extreme::Json(json!(t.text()))),
        1 => number.prop_map(Extreme::Text),
        1 => prop::collection::vec(any::<char>(), 0..40)
            .prop_map(|c| Extreme::Json(Value::String(c.into_iter().collect()))),
    ]
}

/// A kind's fixture, with its paths and the paths its parser reads, ready to be edited into authentic bodies.
#[derive(Debug, Clone)]
pub struct Fixture {
    kind: Kind,
    value: Value,
    paths: Vec<String>,
    read: Vec<String>,
    times: Vec<String>,
}

/// A JSON string a parser cannot take for anything it expects: marks a read path when the message changes.
const PROBE: &str = "\u{1}probe";
/// The prefix of the placeholder strings [`Extreme::Text`] replaces in the serialized JSON.
const SPLICE: &str = "\u{1}rollcall-splice-";

impl Fixture {
    /// `kind`'s fixture. Each of its paths (JSON pointers into the decoded delivery, members and elements at
    /// every depth) is probed once: a path is read when a string there changes the message (its `original`
    /// and the Omerlo id, which hashes the body, aside) or makes the delivery unreadable.
    pub fn new(kind: Kind, signer: &WixSigner) -> Fixture {
        let value = kind_fixture(kind);
        let mut all = Vec::new();
        paths(&value, String::new(), &mut all);
        let times = all
            .iter()
            .filter(|p| {
                value
                    .pointer(p)
                    .and_then(Value::as_str)
                    .is_some_and(looks_like_time)
            })
            .cloned()
            .collect();
        let mut fixture = Fixture {
            kind,
            value,
            paths: all,
            read: Vec::new(),
            times,
        };
        let unchanged = fixture.normalized(&[], signer);
        fixture.read = fixture
            .paths
            .iter()
            .filter(|path| {
                let probe = Edit::Put {
                    path: (*path).clone(),
                    value: Extreme::Json(json!(PROBE)),
                };
                fixture.normalized(&[probe], signer) != unchanged
            })
            .cloned()
            .collect();
        fixture
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Every path of the fixture.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The paths whose value the parser reads.
    pub fn read_paths(&self) -> &[String] {
        &self.read
    }

    /// The paths whose value is a time.
    pub fn time_paths(&self) -> &[String] {
        &self.times
    }

    /// The delivery with `edits` applied in turn (an edit under a path an earlier one removed or made a scalar
    /// does nothing), as its provider sends it: JSON for Omerlo and Mighty Networks, a token signed now by
    /// `signer` for Wix, `data` and `identity` as JSON strings.
    pub fn body(&self, edits: &[Edit], signer: &WixSigner) -> Vec<u8> {
        let mut value = self.value.clone();
        let mut spliced = Vec::new();
        for edit in edits {
            match edit {
                Edit::Put { path, value: new } => {
                    if let Some(slot) = value.pointer_mut(path) {
                        *slot = match new {
                            Extreme::Json(json) => json.clone(),
                            Extreme::Text(text) => {
                                spliced.push(text.clone());
                                json!(format!("{SPLICE}{}", spliced.len() - 1))
                            }
                            Extreme::Repeat { text, times } => json!(text.repeat(*times)),
                        };
                    }
                }
                Edit::Remove { path } => remove(&mut value, path),
            }
        }
        match self.kind.provider() {
            Provider::Wix => {
                for key in ["data", "identity"] {
                    if let Some(inner) = value.get_mut(key) {
                        *inner = Value::String(text(inner, &spliced));
                    }
                }
                let claims = json!({"data": text(&value, &spliced), "iat": now()});
                signer.sign(&claims).into_bytes()
            }
            Provider::Omerlo | Provider::MightyNetworks | Provider::Calendly => {
                text(&value, &spliced).into_bytes()
            }
        }
    }

    /// The message of the edited delivery received at the epoch, as JSON without `data.original` (and without
    /// the id for Omerlo); `None` when the delivery is unreadable.
    fn normalized(&self, edits: &[Edit], signer: &WixSigner) -> Option<Value> {
        let change = rollcall::provider::parse(self.kind, &self.body(edits, signer)).ok()?;
        let message = Message::build(self.kind, change, UtcTime::new(OffsetDateTime::UNIX_EPOCH)?);
        let mut value: Value = serde_json::from_str(message.to_body().ok()?.as_str()).ok()?;
        let object = value.as_object_mut()?;
        if self.kind.provider() == Provider::Omerlo {
            object.remove("id");
        }
        object.get_mut("data")?.as_object_mut()?.remove("original");
        Some(value)
    }
}

/// Up to three edits of `fixture`: mostly at paths its parser reads, time extremes more often where a time is.
pub fn edits(fixture: &Fixture) -> impl Strategy<Value = Vec<Edit>> + use<> {
    let read = fixture.read_paths().to_vec();
    let all = fixture.paths().to_vec();
    let times = fixture.time_paths().to_vec();
    let any_path = prop_oneof![
        3 => prop::sample::select(if read.is_empty() { all.clone() } else { read }),
        1 => prop::sample::select(all),
    ];
    let put = any_path.clone().prop_flat_map(|path| {
        (Just(path), extreme()).prop_map(|(path, value)| Edit::Put { path, value })
    });
    let time_at = |paths: Vec<String>| {
        (
            prop::sample::select(paths),
            prop_oneof![
                prop::sample::select(TIMES.to_vec()).prop_map(str::to_owned),
                time().prop_map(|t| t.text()),
            ],
        )
            .prop_map(|(path, time)| Edit::Put {
                path,
                value: Extreme::Json(json!(time)),
            })
    };
    let edit = if times.is_empty() {
        prop_oneof![
            9 => put,
            1 => any_path.prop_map(|path| Edit::Remove { path }),
        ]
        .boxed()
    } else {
        prop_oneof![
            6 => put,
            3 => time_at(times),
            1 => any_path.prop_map(|path| Edit::Remove { path }),
        ]
        .boxed()
    };
    prop::collection::vec(edit, 1..=3)
}

/// `count` edited, authentic bodies of `fixture`'s kind with their edits, the same for the same `seed` (for the
/// harnesses too slow for a property test: the function binaries, `rollcall serve`).
pub fn mutants(
    fixture: &Fixture,
    count: usize,
    seed: u8,
    signer: &WixSigner,
) -> Vec<(Vec<Edit>, Vec<u8>)> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = edits(fixture);
    (0..count)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .map(|tree| {
            let edits = tree.current();
            let body = fixture.body(&edits, signer);
            (edits, body)
        })
        .collect()
}

/// A count of cases from the environment variable `var`, else `default`.
pub fn cases_from_env(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Whether a fixture's string is a time (`2026-03-02T…`).
fn looks_like_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes.get(4) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && bytes
            .get(..4)
            .is_some_and(|y| y.iter().all(u8::is_ascii_digit))
}

/// `value` as compact JSON, each placeholder of [`Extreme::Text`] replaced by its text.
fn text(value: &Value, spliced: &[String]) -> String {
    let mut out = value.to_string();
    for (n, text) in spliced.iter().enumerate() {
        let placeholder = json!(format!("{SPLICE}{n}")).to_string();
        out = out.replace(&placeholder, text);
    }
    out
}

/// Removes the member or element at `path`, if there is one.
fn remove(value: &mut Value, path: &str) {
    let Some((parent, last)) = path.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Some(index) = key.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(index);
            }
        }
        _ => {}
    }
}
