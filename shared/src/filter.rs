//! Subscription filter policies, as Amazon SNS defines them: which messages a subscription takes. A policy is
//! the JSON SNS accepts, of attribute scope (it matches [`Message::attributes`]) or body scope (it matches the
//! message body a consumer reads). The local queue applies them exactly as SNS does, so a policy tried on one
//! machine deploys unchanged (`consumer.yaml`'s `FilterPolicy`).
//!
//! PLACEHOLDER API: the full matcher and SNS's limits land with issue 27; until then every policy is refused.

use crate::message::Message;

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

/// Why a filter policy is refused: malformed JSON, an operator SNS does not document (or `cidr`), or over one
/// of SNS's limits. The text names the place in the policy, so a user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter policy refused: {0}")]
pub struct PolicyError(pub String);

/// A filter policy SNS would accept, of one scope.
#[derive(Debug, Clone)]
pub struct FilterPolicy {
    scope: Scope,
    json: String,
}

impl FilterPolicy {
    /// Reads and checks `policy` (SNS's JSON syntax) for `scope`.
    pub fn parse(policy: &str, scope: Scope) -> Result<FilterPolicy, PolicyError> {
        let _ = (policy, scope);
        Err(PolicyError(
            "filter policies are not supported yet".to_owned(),
        ))
    }

    /// The scope the policy matches in.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The policy as it was given, to store and to show.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// Whether SNS would deliver `message` to a subscription with this policy.
    pub fn matches(&self, message: &Message) -> bool {
        let _ = message;
        false
    }
}
