//! Reading a filter policy: SNS's JSON syntax into a tree of [`Conditions`], checked against SNS's limits. A
//! policy that is malformed, uses an operator Rollcall does not support, or is over a limit is refused with a
//! [`PolicyError`] naming the place (a JSON Pointer into the policy) and the problem.

use super::Scope;
use serde_json::{Map, Number, Value};

/// The largest policy SNS accepts, in bytes (256 KB).
pub const MAX_POLICY_BYTES: usize = 256 * 1024;
/// The most keys a policy may have: in attribute scope every key counts, in body scope the top-level ones (keys
/// inside a top-level `$or` are top-level too).
pub const MAX_KEYS: usize = 5;
/// The most combinations of values a policy may have (SNS's complexity limit, counted as SNS counts it).
pub const MAX_COMBINATIONS: u64 = 150;
/// The largest magnitude of a number SNS compares: 10^9.
pub const MAX_NUMBER: f64 = 1e9;
/// The digits after the decimal point SNS compares numbers to.
pub const DECIMALS: u32 = 5;

/// The names `$or` may not have in its branches for SNS to read it as an OR (they are match operators).
const OPERATORS: [&str; 8] = [
    "prefix",
    "suffix",
    "anything-but",
    "equals-ignore-case",
    "exists",
    "numeric",
    "cidr",
    "wildcard",
];

/// One level of a policy: every field holds, and for each `$or`, one of its branches does.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Conditions {
    pub fields: Vec<Field>,
    pub any_of: Vec<Vec<Conditions>>,
}

/// A key of the policy and what its value in the message must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    pub name: String,
    pub test: Test,
}

/// What a key requires: one of its rules (an array in the policy), or nested keys (an object, body scope only).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    AnyOf(Vec<Rule>),
    Nested(Conditions),
}

/// One value of a policy's array: a literal or an operator.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rule {
    Equals(Literal),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    AnythingBut(Excluded),
    Exists(bool),
    Numeric(Range),
}

/// A literal value of a policy: exact match.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Text(String),
    Number(Fixed),
    Bool(bool),
    Null,
}

/// What `anything-but` excludes.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Excluded {
    Texts(Vec<String>),
    Numbers(Vec<Fixed>),
    Prefix(String),
}

/// A `numeric` condition: an optional lower and an optional upper bound (`=` is both, inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    pub low: Option<Bound>,
    pub high: Option<Bound>,
}

/// One end of a [`Range`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Bound {
    pub at: Fixed,
    pub inclusive: bool,
}

impl Range {
    /// Whether `n` is within the range.
    pub fn contains(&self, n: Fixed) -> bool {
        let above = self
            .low
            .is_none_or(|b| n > b.at || (b.inclusive && n == b.at));
        let below = self
            .high
            .is_none_or(|b| n < b.at || (b.inclusive && n == b.at));
        above && below
    }
}

/// A number as SNS compares it: in units of 10^-5 (five digits after the decimal point), within ±10^9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Fixed(i64);

impl Fixed {
    /// A message's number as SNS compares it, rounded to five decimals; `None` when not finite or outside ±10^9
    /// (SNS compares no such number).
    pub fn of(x: f64) -> Option<Fixed> {
        if !x.is_finite() || x.abs() > MAX_NUMBER {
            return None;
        }
        // At most 10^14 in magnitude: exact in an i64.
        Some(Fixed((x * 10f64.powi(DECIMALS as i32)).round() as i64))
    }
}

/// Why a policy is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// An object has a key twice: JSON would keep the last, silently dropping the other's condition.
    #[error(
        "{0} (JSON would keep only the last, dropping a condition; SNS has no AND of two conditions on one key)"
    )]
    DuplicateKey(String),
    /// The text is over [`MAX_POLICY_BYTES`].
    #[error("{0} bytes, over SNS's limit of {MAX_POLICY_BYTES} (256 KB)")]
    TooLarge(usize),
    /// The policy is not a JSON object.
    #[error("a policy is a JSON object of keys")]
    NotAnObject,
    /// The policy is `{}`, which SNS reads as "no filter": the subscription would take every message.
    #[error(
        "an empty policy `{{}}` is how SNS removes a filter, and the subscription would take every message; \
         leave the filter out to take every message"
    )]
    Empty,
    /// An object of nested keys is empty: it would test nothing.
    #[error("an empty object tests nothing; give it keys or remove it")]
    EmptyObject,
    /// An array of values is empty: nothing could match.
    #[error("an empty array matches nothing; give it at least one value")]
    EmptyArray,
    /// More keys than [`MAX_KEYS`].
    #[error("{0} keys, over SNS's limit of {MAX_KEYS}")]
    TooManyKeys(usize),
    /// More combinations of values than [`MAX_COMBINATIONS`].
    #[error(
        "{0} combinations of values, over SNS's limit of {MAX_COMBINATIONS} (the product of the number of \
         values of each key, times its depth; the branches of `$or` add up)"
    )]
    TooComplex(u64),
    /// Nested keys in attribute scope.
    #[error("nested keys are for body scope only; message attributes are flat")]
    NestedInAttributeScope,
    /// A key's value is neither an array of values nor (body scope) an object of nested keys.
    #[error("a key takes an array of values (or, in body scope, an object of nested keys)")]
    NotArrayOrObject,
    /// An element of an array is not a string, a number, `true`, `false`, `null` or an operator object.
    #[error("a value is a string, a number, true, false, null or an operator object")]
    BadValue,
    /// An operator object with other than one key.
    #[error("an operator object has exactly one key, it has {0}")]
    OperatorKeys(usize),
    /// An operator SNS has that Rollcall does not support.
    #[error("the `{0}` operator is not supported")]
    Unsupported(String),
    /// An operator SNS does not document.
    #[error(
        "`{0}` is not a filter operator (prefix, suffix, anything-but, equals-ignore-case, exists, numeric)"
    )]
    UnknownOperator(String),
    /// An operator's argument is of the wrong shape.
    #[error("`{operator}` takes {expected}")]
    Argument {
        /// The operator.
        operator: &'static str,
        /// What it takes.
        expected: &'static str,
    },
    /// A number outside ±10^9.
    #[error("{0} is outside SNS's range of numbers, -1000000000 to 1000000000")]
    NumberOutOfRange(String),
    /// A number with more than five digits after the decimal point.
    #[error("{0} has more than the {DECIMALS} digits after the decimal point SNS compares")]
    TooPrecise(String),
    /// A `numeric` range whose lower bound is not below its upper one.
    #[error("the lower bound of a `numeric` range must be below its upper bound")]
    EmptyRange,
}

/// Why a filter policy is refused: malformed JSON, an operator SNS does not document (or `cidr`), or over one of
/// SNS's limits. The text names the place in the policy (a JSON Pointer), so a user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter policy refused{}: {problem}", at_text(at))]
pub struct PolicyError {
    at: String,
    problem: Problem,
}

impl PolicyError {
    fn new(at: &str, problem: Problem) -> PolicyError {
        PolicyError {
            at: at.to_owned(),
            problem,
        }
    }

    /// Where in the policy: a JSON Pointer (RFC 6901), empty for the whole policy.
    pub fn at(&self) -> &str {
        &self.at
    }

    /// What is wrong there.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

fn at_text(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!(" at {at}")
    }
}

/// `pointer` extended by one key or index, escaped as RFC 6901 says.
fn child(pointer: &str, step: &str) -> String {
    format!("{pointer}/{}", step.replace('~', "~0").replace('/', "~1"))
}

/// Reads `text` as a policy of `scope` and checks it against SNS's limits.
pub(super) fn parse(text: &str, scope: Scope) -> Result<Conditions, PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::new("", Problem::TooLarge(text.len())));
    }
    let json: Value = serde_json::from_str(text)
        .map_err(|e| PolicyError::new("", Problem::NotJson(e.to_string())))?;
    serde_json::from_str::<NoDuplicateKeys>(text)
        .map_err(|e| PolicyError::new("", Problem::DuplicateKey(e.to_string())))?;
    let Value::Object(map) = json else {
        return Err(PolicyError::new("", Problem::NotAnObject));
    };
    if map.is_empty() {
        return Err(PolicyError::new("", Problem::Empty));
    }
    let conditions = object(&map, scope, "")?;
    let mut keys = Vec::new();
    top_level_keys(&conditions, &mut keys);
    if keys.len() > MAX_KEYS {
        return Err(PolicyError::new("", Problem::TooManyKeys(keys.len())));
    }
    let combinations = combinations(&conditions, 1);
    if combinations > MAX_COMBINATIONS {
        return Err(PolicyError::new("", Problem::TooComplex(combinations)));
    }
    Ok(conditions)
}

/// The distinct keys of the top level, those of top-level `$or` branches included.
fn top_level_keys<'a>(conditions: &'a Conditions, keys: &mut Vec<&'a str>) {
    for field in &conditions.fields {
        if !keys.contains(&field.name.as_str()) {
            keys.push(&field.name);
        }
    }
    for branch in conditions.any_of.iter().flatten() {
        top_level_keys(branch, keys);
    }
}

/// SNS's count of combinations: each array of values multiplies by its length times its depth (1 at the top);
/// the branches of an `$or` add up.
fn combinations(conditions: &Conditions, depth: u64) -> u64 {
    let fields = conditions.fields.iter().fold(1u64, |total, field| {
        total.saturating_mul(match &field.test {
            Test::AnyOf(rules) => (rules.len() as u64).saturating_mul(depth),
            Test::Nested(inner) => combinations(inner, depth + 1),
        })
    });
    conditions.any_of.iter().fold(fields, |total, branches| {
        let sum = branches
            .iter()
            .fold(0u64, |sum, b| sum.saturating_add(combinations(b, depth)));
        total.saturating_mul(sum)
    })
}

/// The branches of `value` under the key `$or` when SNS reads it as an OR: an array of at least two objects,
/// none with an operator's name as a key. Otherwise (`None`) SNS reads `$or` as a plain key.
fn or_branches(value: &Value) -> Option<Vec<&Map<String, Value>>> {
    let Value::Array(items) = value else {
        return None;
    };
    let branches: Vec<_> = items.iter().filter_map(Value::as_object).collect();
    let is_or = items.len() >= 2
        && branches.len() == items.len()
        && branches
            .iter()
            .all(|map| map.keys().all(|k| !OPERATORS.contains(&k.as_str())));
    is_or.then_some(branches)
}

fn object(map: &Map<String, Value>, scope: Scope, at: &str) -> Result<Conditions, PolicyError> {
    if map.is_empty() {
        return Err(PolicyError::new(at, Problem::EmptyObject));
    }
    let mut conditions = Conditions {
        fields: Vec::new(),
        any_of: Vec::new(),
    };
    for (key, value) in map {
        let here = child(at, key);
        if let Some(branches) = (key == "$or").then(|| or_branches(value)).flatten() {
            let branches = branches
                .into_iter()
                .enumerate()
                .map(|(i, branch)| object(branch, scope, &child(&here, &i.to_string())))
                .collect::<Result<_, _>>()?;
            conditions.any_of.push(branches);
            continue;
        }
        let test = match value {
            Value::Array(items) if items.is_empty() => {
                return Err(PolicyError::new(&here, Problem::EmptyArray));
            }
            Value::Array(items) => Test::AnyOf(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| rule(item, &child(&here, &i.to_string())))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(_) if scope == Scope::Attributes => {
                return Err(PolicyError::new(&here, Problem::NestedInAttributeScope));
            }
            Value::Object(inner) => Test::Nested(object(inner, scope, &here)?),
            _ => return Err(PolicyError::new(&here, Problem::NotArrayOrObject)),
        };
        conditions.fields.push(Field {
            name: key.clone(),
            test,
        });
    }
    Ok(conditions)
}

fn rule(value: &Value, at: &str) -> Result<Rule, PolicyError> {
    Ok(match value {
        Value::String(s) => Rule::Equals(Literal::Text(s.clone())),
        Value::Number(n) => Rule::Equals(Literal::Number(number(n, at)?)),
        Value::Bool(b) => Rule::Equals(Literal::Bool(*b)),
        Value::Null => Rule::Equals(Literal::Null),
        Value::Array(_) => return Err(PolicyError::new(at, Problem::BadValue)),
        Value::Object(map) => {
            let mut entries = map.iter();
            let (Some((name, argument)), None) = (entries.next(), entries.next()) else {
                return Err(PolicyError::new(at, Problem::OperatorKeys(map.len())));
            };
            let at = child(at, name);
            operator(name, argument, &at)?
        }
    })
}

fn operator(name: &str, argument: &Value, at: &str) -> Result<Rule, PolicyError> {
    let text = |operator: &'static str| match argument {
        Value::String(s) => Ok(s.clone()),
        _ => Err(PolicyError::new(
            at,
            Problem::Argument {
                operator,
                expected: "a string",
            },
        )),
    };
    Ok(match name {
        "prefix" => Rule::Prefix(text("prefix")?),
        "suffix" => Rule::Suffix(text("suffix")?),
        "equals-ignore-case" => Rule::EqualsIgnoreCase(text("equals-ignore-case")?),
        "anything-but" => Rule::AnythingBut(anything_but(argument, at)?),
        "exists" => match argument {
            Value::Bool(b) => Rule::Exists(*b),
            _ => {
                return Err(PolicyError::new(
                    at,
                    Problem::Argument {
                        operator: "exists",
                        expected: "true or false",
                    },
                ));
            }
        },
        "numeric" => Rule::Numeric(range(argument, at)?),
        "cidr" | "wildcard" => return Err(PolicyError::new(at, Problem::Unsupported(name.into()))),
        _ => return Err(PolicyError::new(at, Problem::UnknownOperator(name.into()))),
    })
}

fn anything_but(argument: &Value, at: &str) -> Result<Excluded, PolicyError> {
    let wrong = || {
        PolicyError::new(
            at,
            Problem::Argument {
                operator: "anything-but",
                expected: "a string, a number, a list of strings or of numbers, or {\"prefix\": a string}",
            },
        )
    };
    Ok(match argument {
        Value::String(s) => Excluded::Texts(vec![s.clone()]),
        Value::Number(n) => Excluded::Numbers(vec![number(n, at)?]),
        Value::Array(items) if items.is_empty() => {
            return Err(PolicyError::new(at, Problem::EmptyArray));
        }
        Value::Array(items) if items.iter().all(Value::is_string) => Excluded::Texts(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        Value::Array(items) => Excluded::Numbers(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Number(n) => number(n, &child(at, &i.to_string())),
                    _ => Err(wrong()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => match (map.len(), map.get("prefix")) {
            (1, Some(Value::String(p))) => Excluded::Prefix(p.clone()),
            _ => return Err(wrong()),
        },
        _ => return Err(wrong()),
    })
}

fn range(argument: &Value, at: &str) -> Result<Range, PolicyError> {
    let wrong = || {
        PolicyError::new(
            at,
            Problem::Argument {
                operator: "numeric",
                expected: "[\"=\"|\"<\"|\"<=\"|\">\"|\">=\", number] or [\">\"|\">=\", number, \"<\"|\"<=\", number]",
            },
        )
    };
    let Value::Array(items) = argument else {
        return Err(wrong());
    };
    let bound = |op: usize| -> Result<(&str, Fixed), PolicyError> {
        match (items.get(op), items.get(op + 1)) {
            (Some(Value::String(o)), Some(Value::Number(n))) => {
                Ok((o.as_str(), number(n, &child(at, &(op + 1).to_string()))?))
            }
            _ => Err(wrong()),
        }
    };
    let (first, at_first) = bound(0)?;
    let (low, high) = match (first, items.len()) {
        ("=", 2) => {
            let b = Bound {
                at: at_first,
                inclusive: true,
            };
            (Some(b), Some(b))
        }
        ("<" | "<=", 2) => (
            None,
            Some(Bound {
                at: at_first,
                inclusive: first == "<=",
            }),
        ),
        (">" | ">=", 2 | 4) => {
            let low = Bound {
                at: at_first,
                inclusive: first == ">=",
            };
            let high = if items.len() == 4 {
                let (second, at_second) = bound(2)?;
                if !matches!(second, "<" | "<=") {
                    return Err(wrong());
                }
                if at_second <= at_first {
                    return Err(PolicyError::new(at, Problem::EmptyRange));
                }
                Some(Bound {
                    at: at_second,
                    inclusive: second == "<=",
                })
            } else {
                None
            };
            (Some(low), high)
        }
        _ => return Err(wrong()),
    };
    Ok(Range { low, high })
}

/// A number of the policy, within SNS's range and precision.
fn number(n: &Number, at: &str) -> Result<Fixed, PolicyError> {
    let text = n.to_string();
    if decimals(&text) > i64::from(DECIMALS) {
        return Err(PolicyError::new(at, Problem::TooPrecise(text)));
    }
    n.as_f64()
        .and_then(Fixed::of)
        .ok_or_else(|| PolicyError::new(at, Problem::NumberOutOfRange(text)))
}

/// The digits after the decimal point of a number written as JSON (`1.25` → 2, `1e-7` → 7, `1.5e3` → 0).
fn decimals(text: &str) -> i64 {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let fraction = mantissa
        .split_once('.')
        .map_or(0, |(_, f)| f.trim_end_matches('0').len() as i64);
    (fraction - exponent).max(0)
}

/// A JSON document read only to refuse an object with a key twice (serde_json's `Value` keeps the last).
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<NoDuplicateKeys>()?;
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key {key:?} appears twice"
                )));
            }
        }
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
}
