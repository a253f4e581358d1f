//! Every setting Rollcall reads from the environment, defined once: its variable, its documented default and how
//! it is checked ([`SETTINGS`]), read through a lookup function (a variable name to its value) so that tests need
//! not touch the process environment, as svix's `cfg.rs` and lambda-runtime's `Config::from_env` do.
//!
//! One rule for a bad value, written once ([`Rule::check`]): unset or blank is the documented default; set but
//! malformed is an error, and [`Settings::from_lookup`] names **every** malformed variable, not only the first
//! ([`Malformed`]). A function logs them all at init and answers 503 naming them; `rollcall serve` refuses to
//! start. The log-level variables keep "unknown = info", and the AWS SDK's own variables stay the SDK's
//! ([`Rule::Free`]).

use crate::config::{
    self, ApiKeys, CALENDLY_MAX_SIGNATURE_AGE_VAR, Limits, MAX_BODY_BYTES_CEILING,
    MAX_BODY_BYTES_VAR, Secrets, WIX_APP_ID_VAR, WIX_MAX_TOKEN_AGE_VAR, WixKeys,
};
use crate::kind::Provider;
use std::fmt;
use std::time::Duration;

/// The variable bounding how long the queue may take before the answer is 503.
pub const QUEUE_DEADLINE_MS: &str = "ROLLCALL_QUEUE_DEADLINE_MS";
/// The variable naming the reference consumer's DynamoDB ledger table.
pub const TABLE_NAME: &str = "TABLE_NAME";
/// The variable setting how many days the reference consumer remembers a handled id.
pub const DEDUP_TTL_DAYS: &str = "ROLLCALL_DEDUP_TTL_DAYS";
/// The default of [`DEDUP_TTL_DAYS`].
pub const DEFAULT_DEDUP_TTL_DAYS: u64 = 7;
/// `rollcall`'s queue (`--queue`).
pub const QUEUE: &str = "ROLLCALL_QUEUE";
/// `rollcall`'s SQS quarantine queue (`--quarantine-queue`).
pub const QUARANTINE_QUEUE: &str = "ROLLCALL_QUARANTINE_QUEUE";
/// `rollcall serve --max-connections`.
pub const MAX_CONNECTIONS: &str = "ROLLCALL_MAX_CONNECTIONS";
/// `rollcall serve --header-timeout-ms`.
pub const HEADER_TIMEOUT_MS: &str = "ROLLCALL_HEADER_TIMEOUT_MS";
/// `rollcall serve --body-timeout-ms`.
pub const BODY_TIMEOUT_MS: &str = "ROLLCALL_BODY_TIMEOUT_MS";
/// `rollcall serve --idle-timeout-ms`.
pub const IDLE_TIMEOUT_MS: &str = "ROLLCALL_IDLE_TIMEOUT_MS";
/// The SNS topic the functions publish to (`--topic` of `quarantine replay`).
pub const TOPIC_ARN: &str = config::TOPIC_ARN_VAR;

/// How a variable's value is checked.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Any text; blank is unset. Addresses, ids, log levels (unknown = info) and the AWS SDK's own variables,
    /// which the SDK, the queue or the logger interpret.
    Free,
    /// Checked by its parser: `Err` says why the value is malformed (never repeating it: it may be a secret).
    Parsed(fn(&str) -> Result<(), String>),
    /// A command-line flag's fallback, checked by `clap` (`rollcall` exits with a usage error).
    Flag,
}

impl Rule {
    /// The one rule: unset or blank is the default (`Ok(None)`); set, the value trimmed (`Ok(Some)`) or why it
    /// is malformed.
    pub fn check(self, value: Option<&str>) -> Result<Option<&str>, String> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => match self {
                Rule::Parsed(parse) => parse(value).map(|()| Some(value)),
                Rule::Free | Rule::Flag => Ok(Some(value)),
            },
        }
    }
}

/// One variable: its name, its documented default, and its rule.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The environment variable.
    pub name: &'static str,
    /// The default when unset or blank, as the README documents it.
    pub default: &'static str,
    /// How a value is checked.
    pub rule: Rule,
}

const fn setting(name: &'static str, default: &'static str, rule: Rule) -> Setting {
    Setting {
        name,
        default,
        rule,
    }
}

/// Every variable Rollcall itself reads (the README's configuration table lists exactly these).
pub const SETTINGS: &[Setting] = &[
    setting("OMERLO_API_KEY", "none: 503", Rule::Parsed(api_keys)),
    setting(
        "MIGHTY_NETWORKS_API_KEY",
        "none: 503",
        Rule::Parsed(api_keys),
    ),
    setting("WIX_PUBLIC_KEY", "none: 503", Rule::Parsed(wix_keys)),
    setting(WIX_APP_ID_VAR, "any app", Rule::Free),
    setting(WIX_MAX_TOKEN_AGE_VAR, "259200", Rule::Parsed(token_age)),
    setting("CALENDLY_SIGNING_KEY", "none: 503", Rule::Parsed(api_keys)),
    setting(
        CALENDLY_MAX_SIGNATURE_AGE_VAR,
        "90000",
        Rule::Parsed(signature_age),
    ),
    setting("QUEUE_URL", "none: 503", Rule::Free),
    setting("QUARANTINE_QUEUE_URL", "none: 503", Rule::Free),
    setting(TOPIC_ARN, "none", Rule::Parsed(topic_arn)),
    setting(QUEUE, ".rollcall/queue.db", Rule::Flag),
    setting(QUARANTINE_QUEUE, "none", Rule::Flag),
    setting(MAX_BODY_BYTES_VAR, "131072", Rule::Parsed(body_bytes)),
    setting(QUEUE_DEADLINE_MS, "800", Rule::Parsed(positive)),
    setting(MAX_CONNECTIONS, "512", Rule::Flag),
    setting(HEADER_TIMEOUT_MS, "30000", Rule::Flag),
    setting(BODY_TIMEOUT_MS, "60000", Rule::Flag),
    setting(IDLE_TIMEOUT_MS, "60000", Rule::Flag),
    setting("AWS_REGION", "us-east-1", Rule::Free),
    setting("AWS_DEFAULT_REGION", "none", Rule::Free),
    setting("AWS_ACCESS_KEY_ID", "none", Rule::Free),
    setting("AWS_SECRET_ACCESS_KEY", "none", Rule::Free),
    setting("AWS_SESSION_TOKEN", "none", Rule::Free),
    setting("AWS_ENDPOINT_URL", "AWS's", Rule::Free),
    setting("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL", Rule::Free),
    setting("AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL", Rule::Free),
    setting("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", Rule::Free),
    setting(TABLE_NAME, "none: init error", Rule::Free),
    setting(DEDUP_TTL_DAYS, "7", Rule::Parsed(positive)),
    setting("AWS_LAMBDA_LOG_LEVEL", "info", Rule::Free),
    setting("AWS_LAMBDA_LOG_FORMAT", "text", Rule::Free),
    setting("RUST_LOG", "info", Rule::Free),
    setting("ROLLCALL_LOG", "info", Rule::Free),
];

fn api_keys(value: &str) -> Result<(), String> {
    ApiKeys::parse("", value).map(drop).map_err(|e| e.why)
}

fn wix_keys(value: &str) -> Result<(), String> {
    WixKeys::parse("", value).map(drop).map_err(|e| e.why)
}

fn topic_arn(value: &str) -> Result<(), String> {
    config::TopicArn::parse(value).map(drop).map_err(|e| e.why)
}

fn token_age(value: &str) -> Result<(), String> {
    config::WIX_TOKEN_AGE
        .read(Some(value))
        .map(drop)
        .map_err(|e| e.why)
}

fn signature_age(value: &str) -> Result<(), String> {
    config::CALENDLY_SIGNATURE_AGE
        .read(Some(value))
        .map(drop)
        .map_err(|e| e.why)
}

fn whole(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("not a positive whole number".into()),
    }
}

fn positive(value: &str) -> Result<(), String> {
    whole(value).map(drop)
}

fn body_bytes(value: &str) -> Result<(), String> {
    let bytes = whole(value)?;
    if usize::try_from(bytes).is_ok_and(|bytes| bytes <= MAX_BODY_BYTES_CEILING) {
        Ok(())
    } else {
        Err(format!(
            "{bytes} is over {MAX_BODY_BYTES_CEILING}, the largest body a quarantine record always holds"
        ))
    }
}

/// One malformed variable and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable.
    pub var: &'static str,
    /// Why its value is malformed.
    pub why: String,
}

/// Every malformed variable at once, in [`SETTINGS`] order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Malformed(pub Vec<Problem>);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed settings: ")?;
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} ({})", problem.var, problem.why)?;
        }
        Ok(())
    }
}

impl Malformed {
    /// The malformed variables' names.
    pub fn vars(&self) -> Vec<&'static str> {
        self.0.iter().map(|problem| problem.var).collect()
    }
}

/// The settings the pipeline and the consumer need, every one read and checked.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The pipeline's limits.
    pub limits: Limits,
    /// How long the reference consumer remembers a handled id.
    pub dedup_ttl: Duration,
}

impl Settings {
    /// Reads the process environment (see [`Settings::from_lookup`]).
    pub fn from_env() -> Result<Settings, Malformed> {
        Settings::from_lookup(env)
    }

    /// Checks every variable of [`SETTINGS`] that `lookup` gives (a function is given only its own), then reads
    /// the limits and the ledger TTL. `Err` names every malformed variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, Malformed> {
        let problems: Vec<Problem> = SETTINGS
            .iter()
            .filter_map(|setting| {
                let value = lookup(setting.name);
                setting
                    .rule
                    .check(value.as_deref())
                    .err()
                    .map(|why| Problem {
                        var: setting.name,
                        why,
                    })
            })
            .collect();
        if !problems.is_empty() {
            return Err(Malformed(problems));
        }
        // Every value is now well-formed: a parse below cannot fail, and its default is the documented one.
        let number = |name: &str| lookup(name).and_then(|value| value.trim().parse::<u64>().ok());
        let defaults = Limits::default();
        Ok(Settings {
            limits: Limits {
                max_body_bytes: number(MAX_BODY_BYTES_VAR)
                    .and_then(|bytes| usize::try_from(bytes).ok())
                    .unwrap_or(defaults.max_body_bytes),
                queue_deadline: number(QUEUE_DEADLINE_MS)
                    .map_or(defaults.queue_deadline, Duration::from_millis),
            },
            dedup_ttl: Duration::from_secs(
                number(DEDUP_TTL_DAYS).unwrap_or(DEFAULT_DEDUP_TTL_DAYS) * 86_400,
            ),
        })
    }
}

/// A variable of the process environment, `None` when unset or not Unicode.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Every provider's secret from its environment variable.
pub fn secrets() -> Secrets {
    Secrets::from_lookup(env)
}

/// Only `provider`'s secret from its environment variable, as a function of that provider needs (it is given no
/// other): the other providers are not configured, and no time goes to parsing their keys.
pub fn secrets_for(provider: Provider) -> Secrets {
    Secrets::from_lookup(config::only(provider, env))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn unset_or_blank_is_the_documented_default() {
        for blank in [
            &[][..],
            &[(MAX_BODY_BYTES_VAR, " "), (QUEUE_DEADLINE_MS, "")][..],
        ] {
            let settings = Settings::from_lookup(lookup(blank)).unwrap();
            assert_eq!(settings.limits.max_body_bytes, 131_072);
            assert_eq!(settings.limits.queue_deadline, Duration::from_millis(800));
            assert_eq!(settings.dedup_ttl, Duration::from_secs(7 * 86_400));
        }
        let blank_secrets = lookup(&[("WIX_PUBLIC_KEY", ""), (WIX_MAX_TOKEN_AGE_VAR, "  ")]);
        assert!(Settings::from_lookup(blank_secrets).is_ok());
    }

    #[test]
    fn well_formed_values_are_read() {
        let settings = Settings::from_lookup(lookup(&[
            (MAX_BODY_BYTES_VAR, " 186240 "),
            (QUEUE_DEADLINE_MS, "1000"),
            (DEDUP_TTL_DAYS, "4"),
            ("OMERLO_API_KEY", "a,b"),
        ]))
        .unwrap();
        assert_eq!(settings.limits.max_body_bytes, 186_240);
        assert_eq!(settings.limits.queue_deadline, Duration::from_secs(1));
        assert_eq!(settings.dedup_ttl, Duration::from_secs(4 * 86_400));
    }

    #[test]
    fn every_malformed_variable_is_named_with_why() {
        let malformed = Settings::from_lookup(lookup(&[
            ("OMERLO_API_KEY", " , "),
            ("WIX_PUBLIC_KEY", "not a key"),
            (WIX_MAX_TOKEN_AGE_VAR, "3 days"),
            (MAX_BODY_BYTES_VAR, "186241"),
            (QUEUE_DEADLINE_MS, "0"),
            (DEDUP_TTL_DAYS, "-1"),
            ("RUST_LOG", "loud"),
        ]))
        .unwrap_err();
        assert_eq!(
            malformed.vars(),
            [
                "OMERLO_API_KEY",
                "WIX_PUBLIC_KEY",
                WIX_MAX_TOKEN_AGE_VAR,
                MAX_BODY_BYTES_VAR,
                QUEUE_DEADLINE_MS,
                DEDUP_TTL_DAYS
            ]
        );
        let text = malformed.to_string();
        assert!(
            text.contains("ROLLCALL_MAX_BODY_BYTES (186241 is over 186240"),
            "{text}"
        );
        assert!(
            text.contains(
                "WIX_MAX_TOKEN_AGE_SECS (not a positive whole number of seconds, nor `off`)"
            ),
            "{text}"
        );
        assert!(
            !text.contains("3 days"),
            "a value is never repeated: {text}"
        );
    }

    #[test]
    fn each_variable_is_defined_once() {
        let mut names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len());
    }
}
