//! Matching a parsed policy as SNS does: every key of the policy holds (and one branch of each `$or`); a key
//! holds when one of its values matches one of the message's values under that key. A String.Array attribute,
//! or an array in the body, has many values: any of them may match. In the body, an array of objects matches
//! nested keys when one of its objects matches them all.

use super::AttributeValue;
use super::parse::{Conditions, Excluded, Field, Fixed, Literal, Rule, Test};
use serde_json::Value;

/// One value of a message under a key, as the rules compare it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar<'a> {
    Text(&'a str),
    /// A number, `None` when SNS compares no such number (outside ±10^9, or not a number).
    Number(Option<Fixed>),
    Bool(bool),
    Null,
}

/// A key of the message: whether it exists, as `exists` sees it, and its values.
struct Found<'a> {
    exists: bool,
    values: Vec<Scalar<'a>>,
}

/// Whether `conditions` hold for `attributes`. An empty set of attributes matches no policy (SNS: `"exists":
/// false` only matches if at least one attribute is present).
pub(super) fn attributes(
    conditions: &Conditions,
    attributes: &[(&str, AttributeValue<'_>)],
) -> bool {
    !attributes.is_empty()
        && holds(conditions, &mut |field: &Field| {
            let value = attributes
                .iter()
                .find(|(name, _)| *name == field.name)
                .map(|(_, v)| *v);
            match &field.test {
                // Attribute scope has no nesting (refused when parsed).
                Test::Nested(_) => false,
                Test::AnyOf(rules) => attribute_holds(rules, value),
            }
        })
}

fn attribute_holds(rules: &[Rule], value: Option<AttributeValue<'_>>) -> bool {
    let array;
    let values = match value {
        None => Vec::new(),
        Some(AttributeValue::String(s)) => vec![Scalar::Text(s)],
        Some(AttributeValue::Number(n)) => vec![Scalar::Number(
            n.trim().parse::<f64>().ok().and_then(Fixed::of),
        )],
        Some(AttributeValue::StringArray(text)) => {
            array = serde_json::from_str::<Value>(text).ok();
            let mut values = Vec::new();
            leaves(array.as_ref(), &mut values);
            values
        }
    };
    any_rule(
        rules,
        &Found {
            exists: value.is_some(),
            values,
        },
    )
}

/// Whether `conditions` hold for the JSON object `body`. A body that is not an object matches no policy (SNS
/// reads body policies against a JSON object).
pub(super) fn body(conditions: &Conditions, body: &Value) -> bool {
    body.is_object() && in_body(conditions, Some(body))
}

/// Whether `conditions` hold at `value` of a body (`None`: the key is absent).
fn in_body(conditions: &Conditions, value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().any(|item| in_body(conditions, Some(item)))
        }
        _ => {
            let map = value.and_then(Value::as_object);
            holds(conditions, &mut |field: &Field| {
                let under = map.and_then(|m| m.get(&field.name));
                match &field.test {
                    Test::Nested(inner) => in_body(inner, under),
                    Test::AnyOf(rules) => {
                        let mut values = Vec::new();
                        leaves(under, &mut values);
                        // SNS: `"exists": true` needs a non-null, non-empty value.
                        let exists = values
                            .iter()
                            .any(|v| !matches!(v, Scalar::Null | Scalar::Text("")));
                        any_rule(rules, &Found { exists, values })
                    }
                }
            })
        }
    }
}

/// Every field holds, and one branch of each `$or`.
fn holds(conditions: &Conditions, field_holds: &mut dyn FnMut(&Field) -> bool) -> bool {
    conditions.fields.iter().all(&mut *field_holds)
        && conditions
            .any_of
            .iter()
            .all(|branches| branches.iter().any(|b| holds(b, field_holds)))
}

/// The values at `value`: a scalar, or the scalars of an array (of arrays). Objects are not values (`exists`
/// only sees leaves).
fn leaves<'a>(value: Option<&'a Value>, out: &mut Vec<Scalar<'a>>) {
    match value {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => items.iter().for_each(|item| leaves(Some(item), out)),
        Some(Value::String(s)) => out.push(Scalar::Text(s)),
        Some(Value::Number(n)) => out.push(Scalar::Number(n.as_f64().and_then(Fixed::of))),
        Some(Value::Bool(b)) => out.push(Scalar::Bool(*b)),
        Some(Value::Null) => out.push(Scalar::Null),
    }
}

fn any_rule(rules: &[Rule], found: &Found<'_>) -> bool {
    rules.iter().any(|rule| {
        let any = |test: &dyn Fn(&Scalar<'_>) -> bool| found.values.iter().any(test);
        match rule {
            Rule::Exists(wanted) => *wanted == found.exists,
            Rule::Equals(literal) => any(&|v| equals(literal, v)),
            Rule::Prefix(p) => any(&|v| matches!(v, Scalar::Text(s) if s.starts_with(p.as_str()))),
            Rule::Suffix(p) => any(&|v| matches!(v, Scalar::Text(s) if s.ends_with(p.as_str()))),
            Rule::EqualsIgnoreCase(e) => {
                any(&|v| matches!(v, Scalar::Text(s) if equal_ignoring_case(s, e)))
            }
            Rule::AnythingBut(Excluded::Texts(set)) => {
                any(&|v| matches!(v, Scalar::Text(s) if !set.iter().any(|x| x == s)))
            }
            Rule::AnythingBut(Excluded::Numbers(set)) => {
                any(&|v| matches!(v, Scalar::Number(Some(n)) if !set.contains(n)))
            }
            Rule::AnythingBut(Excluded::Prefix(p)) => {
                any(&|v| matches!(v, Scalar::Text(s) if !s.starts_with(p.as_str())))
            }
            Rule::Numeric(range) => {
                any(&|v| matches!(v, Scalar::Number(Some(n)) if range.contains(*n)))
            }
        }
    })
}

fn equals(literal: &Literal, value: &Scalar<'_>) -> bool {
    match (literal, value) {
        (Literal::Text(a), Scalar::Text(b)) => a == b,
        (Literal::Number(a), Scalar::Number(Some(b))) => a == b,
        (Literal::Bool(a), Scalar::Bool(b)) => a == b,
        (Literal::Null, Scalar::Null) => true,
        _ => false,
    }
}

/// Equal under Unicode lower-casing, as SNS's `equals-ignore-case`.
fn equal_ignoring_case(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}
