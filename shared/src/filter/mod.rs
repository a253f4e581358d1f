//! Subscription filter policies, as Amazon SNS defines them: which messages a subscription takes. A policy is
//! the JSON SNS accepts, of attribute scope (it matches [`Message::attributes`]) or body scope (it matches the
//! message body a consumer reads). The local queue applies them exactly as SNS does, so a policy tried on one
//! machine deploys unchanged (`consumer.yaml`'s `FilterPolicy`).
//!
//! # The operators
//!
//! A policy is a JSON object. Each key names a message attribute (attribute scope) or a property of the body
//! (body scope, where an object value nests keys: `{"data": {"participation": {"status": ["going"]}}}`). A key's array lists
//! what its value may be, and one of them must match (OR); every key must hold (AND). The values:
//!
//! | value | matches |
//! |---|---|
//! | `"going"`, `301.5`, `true`, `null` | exactly that value; numbers compare as numbers (`3.015e2` is `301.5`) |
//! | `{"prefix": "wix"}`, `{"suffix": ".fifo"}` | a string that starts, or ends, so |
//! | `{"equals-ignore-case": "going"}` | a string equal but for case |
//! | `{"anything-but": "smoke"}`, `{"anything-but": ["a", "b"]}`, `{"anything-but": [100, 500]}` | a value of the same kind (string or number) that is none of them |
//! | `{"anything-but": {"prefix": "smoke-"}}` | a string that does not start so |
//! | `{"numeric": [">", 0, "<=", 150]}` | a number in the range (`=`, `<`, `<=`, `>`, `>=`; a range is `>`/`>=` then `<`/`<=`) |
//! | `{"exists": true}`, `{"exists": false}` | the key present with a non-null, non-empty value; or not so |
//!
//! `"$or": [{…}, {…}]` at any level holds when one of its objects does (SNS reads it so only when it has two
//! objects or more and none has an operator's name as a key; otherwise `$or` is a plain key). A String.Array
//! attribute, or an array in the body, matches when any of its values does (`anything-but` too: one value that is
//! none of the excluded ones is enough); in the body, an array of objects matches nested keys when one of its
//! objects matches them all (SNS's documentation says only that an array matches when one of its values does).
//! `exists` sees only leaves: an object is not a value, and neither is `null` or `""`
//! (SNS: "the key must have a non-null and non-empty value"). SNS's `cidr` operator is refused.
//!
//! # SNS's limits, checked when a policy is read
//!
//! - at most [`MAX_KEYS`] keys: every key in attribute scope, the top-level ones in body scope (keys of a
//!   top-level `$or` count too, and each distinct name once);
//! - at most [`MAX_COMBINATIONS`] combinations: the product, over the arrays of the policy, of each array's
//!   length times its depth (1 at the top level), the branches of an `$or` adding up (SNS's example:
//!   `{"a": {"b": {"c": [4 values]}}, "d": {"e": [3 values]}}` is 3 × 4 × 2 × 3 = 72);
//! - at most [`MAX_POLICY_BYTES`] bytes; nested keys only in body scope, where SNS documents no depth of its
//!   own (each level raises the combinations; a policy nested past the JSON reader's 128 levels is not read);
//! - numbers within ±[`MAX_NUMBER`], with at most [`DECIMALS`] digits after the decimal point, the precision
//!   SNS compares numbers to (a message's numbers are rounded to it; outside the range they match no number);
//! - no empty array, no empty object, one key per operator object, each operator's argument of its shape;
//! - no key twice in one object: JSON would keep the last and silently drop the other's condition (SNS has no
//!   AND of two conditions on one key).
//!
//! An empty policy `{}` is how SNS removes a subscription's filter: the subscription then takes every message.
//! Here it is refused, so a filter never silently matches everything; a subscription without a policy takes
//! every message. A policy refused for a limit where SNS's documentation is unclear (the keys of `$or`
//! branches) errs on refusing: a policy read here deploys.
//!
//! The agreement test (`shared/tests/it/filter.rs`, cases in `shared/tests/fixtures/filter_cases.json`) runs
//! the examples of AWS's documentation through this matcher and through the loopback server's SNS.

mod matching;
mod parse;

pub use parse::{
    DECIMALS, MAX_COMBINATIONS, MAX_KEYS, MAX_NUMBER, MAX_POLICY_BYTES, PolicyError, Problem,
};

use crate::message::Message;
use parse::Conditions;

/// What a filter policy is matched against, as SNS's `FilterPolicyScope` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The message attributes (`MessageAttributes`, SNS's default).
    #[default]
    Attributes,
    /// The message body, parsed as JSON (`MessageBody`).
    Body,
}

impl Scope {
    /// Reads a scope: `attributes` or `body`, or SNS's `MessageAttributes` or `MessageBody`.
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "attributes" | "MessageAttributes" => Some(Scope::Attributes),
            "body" | "MessageBody" => Some(Scope::Body),
            _ => None,
        }
    }

    /// The scope as SNS's `FilterPolicyScope` names it.
    pub fn sns_name(self) -> &'static str {
        match self {
            Scope::Attributes => "MessageAttributes",
            Scope::Body => "MessageBody",
        }
    }
}

/// A message attribute's value, by SNS data type (SNS ignores `Binary` ones when filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeValue<'a> {
    /// `String`.
    String(&'a str),
    /// `Number`, as written (`"210.75"`, `"3.015e2"`).
    Number(&'a str),
    /// `String.Array`: a JSON array of strings, numbers, `true`, `false` or `null`, as text.
    StringArray(&'a str),
}

/// A filter policy SNS would accept, of one scope.
#[derive(Debug, Clone)]
pub struct FilterPolicy {
    scope: Scope,
    json: String,
    conditions: Conditions,
}

impl FilterPolicy {
    /// Reads and checks `policy` (SNS's JSON syntax) for `scope`.
    pub fn parse(policy: &str, scope: Scope) -> Result<FilterPolicy, PolicyError> {
        Ok(FilterPolicy {
            scope,
            json: policy.to_owned(),
            conditions: parse::parse(policy, scope)?,
        })
    }

    /// The scope the policy matches in.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The policy as it was given, to store and to show.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// Whether SNS would deliver `message` to a subscription with this policy: its [`Message::attributes`]
    /// (all `String`) in attribute scope, its body as a consumer reads it in body scope.
    pub fn matches(&self, message: &Message) -> bool {
        match self.scope {
            Scope::Attributes => {
                let attributes = message
                    .attributes()
                    .map(|(name, value)| (name, AttributeValue::String(value)));
                self.matches_attributes(&attributes)
            }
            // A message always serializes; were it not to, it would match nothing rather than everything.
            Scope::Body => serde_json::to_value(message).is_ok_and(|body| self.matches_body(&body)),
        }
    }

    /// Whether a message published with `attributes` matches a policy of attribute scope (a policy of body
    /// scope never matches attributes).
    pub fn matches_attributes(&self, attributes: &[(&str, AttributeValue<'_>)]) -> bool {
        self.scope == Scope::Attributes && matching::attributes(&self.conditions, attributes)
    }

    /// Whether a message whose body is the JSON `body` matches a policy of body scope (a policy of attribute
    /// scope never matches a body). A body that is not a JSON object matches nothing.
    pub fn matches_body(&self, body: &serde_json::Value) -> bool {
        self.scope == Scope::Body && matching::body(&self.conditions, body)
    }
}

#[cfg(test)]
mod tests;
