//! Configuration from the environment: the providers' secrets (several values at once, for rotation) and the
//! pipeline's limits, as [`crate::settings`] reads them. A missing secret is not fatal at start: its provider answers
//! 503 naming it.

use crate::kind::Provider;
use jsonwebtoken::DecodingKey;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// A setting that is missing or unusable: nothing that needs it can work, and the answer is 503 naming the
/// variable. The one "not configured" error of the crate (secrets and queue addresses alike).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var} is not configured: {why}")]
pub struct NotConfigured {
    /// The environment variable to set.
    pub var: &'static str,
    /// What is wrong with it.
    pub why: String,
}

/// The public sample Omerlo key that `events/` and the tests carry. Anyone can forge deliveries with the sample
/// credentials: `rollcall serve --dev` fills missing secrets with them, nothing else uses them.
pub const SAMPLE_OMERLO_API_KEY: &str = "rollcall-dev-omerlo-key";
/// The public sample Mighty Networks key (see [`SAMPLE_OMERLO_API_KEY`]).
pub const SAMPLE_MIGHTY_NETWORKS_API_KEY: &str = "rollcall-dev-mighty-networks-key";
/// The public half of the sample Wix key (see [`SAMPLE_OMERLO_API_KEY`]); its private half signs the tests' tokens.
pub const SAMPLE_WIX_PUBLIC_KEY: &str = include_str!("../../events/wix-test-key.pub.pem");
/// The public sample Calendly signing key, which signs the `events/` samples (see [`SAMPLE_OMERLO_API_KEY`]).
pub const SAMPLE_CALENDLY_SIGNING_KEY: &str = "rollcall-dev-calendly-signing-key";
/// Every sample credential with the variable it stands in for.
pub const SAMPLE_SECRETS: [(&str, &str); 4] = [
    ("OMERLO_API_KEY", SAMPLE_OMERLO_API_KEY),
    ("MIGHTY_NETWORKS_API_KEY", SAMPLE_MIGHTY_NETWORKS_API_KEY),
    ("WIX_PUBLIC_KEY", SAMPLE_WIX_PUBLIC_KEY),
    ("CALENDLY_SIGNING_KEY", SAMPLE_CALENDLY_SIGNING_KEY),
];

/// Default body limit: 128 KiB. A quarantine record of any body up to
/// [`crate::quarantine::LARGEST_BODY_LIMIT`] (about 181 KiB) fits the queues' 256 KiB (base64 when escaping would
/// be larger, headers and reason bounded). A message also repeats values of `original` in its normalized views,
/// so a large one may not fit: it is quarantined with a reason, not lost ([`crate::sqs_text`]).
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 128 * 1024;
/// The highest body limit accepted (`ROLLCALL_MAX_BODY_BYTES`): [`crate::quarantine::LARGEST_BODY_LIMIT`]
/// (186,240 bytes), the largest body whose quarantine record always fits the queues' 256 KiB. A delivery is
/// stored whole (in its message's `original`, or in a quarantine record), so an unreadable larger body could not
/// be stored; a higher setting is malformed ([`crate::settings`]) rather than discovered on the first large delivery.
pub const MAX_BODY_BYTES_CEILING: usize = crate::quarantine::LARGEST_BODY_LIMIT;
/// The variable setting the body limit.
pub const MAX_BODY_BYTES_VAR: &str = "ROLLCALL_MAX_BODY_BYTES";
/// Default time the queue gets before the answer is 503: Wix waits only 1250 ms for the whole answer.
pub(crate) const DEFAULT_QUEUE_DEADLINE: Duration = Duration::from_millis(800);
/// Default oldest Wix token accepted, by its `iat`: Wix retries for about two days, and a webhook resent by hand
/// may carry the original token (`WIX_MAX_TOKEN_AGE_SECS`).
pub(crate) const DEFAULT_WIX_MAX_TOKEN_AGE: Duration = Duration::from_secs(72 * 3600);
/// The variable naming the Wix app id(s) a token's `aud` must name, when set.
pub(crate) const WIX_APP_ID_VAR: &str = "WIX_APP_ID";
/// The variable bounding the age of a Wix token.
pub const WIX_MAX_TOKEN_AGE_VAR: &str = "WIX_MAX_TOKEN_AGE_SECS";
/// Default oldest Calendly signature accepted, by its `t`: 25 hours. Calendly retries for 24 hours and no source
/// says whether a retry carries a new `t`, so a retry signed at its first attempt must pass; and it stays well
/// under the de-duplication windows (7 days), so a replay is always either refused or recognised.
pub(crate) const DEFAULT_CALENDLY_MAX_SIGNATURE_AGE: Duration = Duration::from_secs(25 * 3600);
/// The variable bounding the age of a Calendly signature.
pub const CALENDLY_MAX_SIGNATURE_AGE_VAR: &str = "CALENDLY_MAX_SIGNATURE_AGE_SECS";

/// Keys given comma-separated, several at once for rotation: the shared API keys of Omerlo or Mighty Networks
/// (any one is accepted), or Calendly's signing keys (a signature by any one is accepted).
pub(crate) struct ApiKeys(Vec<Vec<u8>>);

impl ApiKeys {
    /// Reads comma-separated keys; blank entries are ignored.
    pub fn parse(var: &'static str, value: &str) -> Result<ApiKeys, NotConfigured> {
        let keys: Vec<Vec<u8>> = value
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.as_bytes().to_vec())
            .collect();
        if keys.is_empty() {
            return Err(NotConfigured {
                var,
                why: "it holds no key".into(),
            });
        }
        Ok(ApiKeys(keys))
    }

    /// The keys, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(Vec::as_slice)
    }

    /// Whether `presented` equals one of the keys, compared in constant time against every key.
    pub fn accepts(&self, presented: &[u8]) -> bool {
        self.0
            .iter()
            .fold(subtle::Choice::from(0), |any, key| {
                any | key.as_slice().ct_eq(presented)
            })
            .into()
    }
}

/// The Wix app's RSA public keys: a token signed by any one of them is accepted.
pub(crate) struct WixKeys(pub(crate) Vec<DecodingKey>);

impl WixKeys {
    /// Reads one or more PEM public-key blocks (`-----BEGIN PUBLIC KEY-----` …). Literal `\n` sequences are
    /// read as newlines, so a key can sit on one line of an env file.
    pub fn parse(var: &'static str, value: &str) -> Result<WixKeys, NotConfigured> {
        let text = value.replace("\\n", "\n");
        let invalid = |why: String| NotConfigured { var, why };
        let mut keys = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("-----BEGIN ") {
            let block = &rest[start..];
            let end_marker = block
                .find("-----END ")
                .ok_or_else(|| invalid("a PEM block has no END line".into()))?;
            let close = block[end_marker + 9..]
                .find("-----")
                .map(|i| end_marker + 9 + i + 5)
                .ok_or_else(|| invalid("a PEM END line is not closed".into()))?;
            let pem = &block[..close];
            let key = DecodingKey::from_rsa_pem(pem.as_bytes())
                .map_err(|e| invalid(format!("a PEM block is not an RSA public key ({e})")))?;
            keys.push(key);
            rest = &block[close..];
        }
        if keys.is_empty() {
            return Err(invalid("it holds no PEM block".into()));
        }
        Ok(WixKeys(keys))
    }
}

/// How Wix tokens are verified: the app's public keys, the app ids an `aud` claim must name (any, when none is
/// configured), and the oldest token accepted (`None`: no bound).
pub struct WixAuth {
    pub(crate) keys: WixKeys,
    pub(crate) app_ids: Vec<String>,
    pub(crate) max_token_age: Option<Duration>,
}

impl WixAuth {
    /// The keys with the settings read through `lookup` (`WIX_APP_ID`, `WIX_MAX_TOKEN_AGE_SECS`).
    pub(crate) fn new(
        keys: WixKeys,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<WixAuth, NotConfigured> {
        let app_ids = lookup(WIX_APP_ID_VAR)
            .map(|ids| {
                ids.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(WixAuth {
            keys,
            app_ids,
            max_token_age: WIX_TOKEN_AGE.read(lookup(WIX_MAX_TOKEN_AGE_VAR).as_deref())?,
        })
    }

    /// The oldest token accepted, by its `iat`; `None` when the age is not checked.
    pub fn max_token_age(&self) -> Option<Duration> {
        self.max_token_age
    }
}

/// A bound on the age of a provider's signed deliveries (Wix tokens' `iat`, Calendly signatures' `t`), set by
/// its variable: unset or blank is the default, `off` is no bound (only for replaying old samples), anything
/// else must be a positive whole number of seconds.
#[derive(Debug, Clone, Copy)]
pub struct AgeBound {
    /// The provider whose deliveries carry their signing time.
    pub provider: Provider,
    /// The variable setting the bound.
    pub var: &'static str,
    /// The bound when the variable is unset.
    pub default: Duration,
}

/// The bound on Wix tokens: 72 h by default.
pub const WIX_TOKEN_AGE: AgeBound = AgeBound {
    provider: Provider::Wix,
    var: WIX_MAX_TOKEN_AGE_VAR,
    default: DEFAULT_WIX_MAX_TOKEN_AGE,
};

/// The bound on Calendly signatures: 25 h by default.
pub const CALENDLY_SIGNATURE_AGE: AgeBound = AgeBound {
    provider: Provider::Calendly,
    var: CALENDLY_MAX_SIGNATURE_AGE_VAR,
    default: DEFAULT_CALENDLY_MAX_SIGNATURE_AGE,
};

/// Every bound on the age of signed deliveries.
pub const AGE_BOUNDS: [AgeBound; 2] = [WIX_TOKEN_AGE, CALENDLY_SIGNATURE_AGE];

impl AgeBound {
    /// Reads the bound from its variable's `value` (`None`: unset). `Ok(None)` is no bound.
    pub fn read(&self, value: Option<&str>) -> Result<Option<Duration>, NotConfigured> {
        match value.map(str::trim) {
            None | Some("") => Ok(Some(self.default)),
            Some(off) if off.eq_ignore_ascii_case("off") => Ok(None),
            Some(secs) => match secs.parse::<u64>() {
                Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
                _ => Err(NotConfigured {
                    var: self.var,
                    why: "not a positive whole number of seconds, nor `off`".into(),
                }),
            },
        }
    }

    /// Why a de-duplication window of `window` (the SQLite queue's, the consumer's ledger TTL) lets a replayed
    /// delivery through when the oldest signature accepted is `max_age`: the window must outlast it, so that a
    /// replay is always either refused (too old) or recognised (a known id). `None` when it does.
    pub fn replay_gap(&self, window: Duration, max_age: Option<Duration>) -> Option<String> {
        let (var, provider) = (self.var, self.provider);
        match max_age {
            None => Some(format!(
                "{var} is off: a {provider:?} delivery replayed after the {} s de-duplication window is stored \
                 again",
                window.as_secs()
            )),
            Some(age) if window <= age => Some(format!(
                "the {} s de-duplication window does not exceed {var} ({} s): a {provider:?} delivery replayed \
                 in between is stored again",
                window.as_secs(),
                age.as_secs()
            )),
            Some(_) => None,
        }
    }

    /// Each bound's gap ([`AgeBound::replay_gap`]) for `window`, the bounds read through `lookup` (a malformed
    /// value is the settings' error, not repeated here).
    pub fn replay_gaps(window: Duration, lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
        AGE_BOUNDS
            .iter()
            .filter_map(|bound| {
                let age = bound.read(lookup(bound.var).as_deref()).ok()?;
                bound.replay_gap(window, age)
            })
            .collect()
    }
}

/// How Calendly signatures are verified: the signing keys, and the oldest signature accepted by its `t`
/// (`None`: no bound).
pub struct CalendlyAuth {
    pub(crate) keys: ApiKeys,
    pub(crate) max_signature_age: Option<Duration>,
}

impl CalendlyAuth {
    /// The oldest signature accepted, by its `t`; `None` when the age is not checked.
    pub fn max_signature_age(&self) -> Option<Duration> {
        self.max_signature_age
    }
}

/// `lookup` restricted to `provider`'s variables (its secret; for Wix also its verification settings).
pub(crate) fn only(
    provider: Provider,
    lookup: impl Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> {
    move |var| {
        let own = var == provider.secret_var()
            || match provider {
                Provider::Wix => [WIX_APP_ID_VAR, WIX_MAX_TOKEN_AGE_VAR].contains(&var),
                Provider::Calendly => var == CALENDLY_MAX_SIGNATURE_AGE_VAR,
                Provider::Omerlo | Provider::MightyNetworks => false,
            };
        own.then(|| lookup(var)).flatten()
    }
}

/// The providers' secrets, each read once at start.
pub struct Secrets {
    omerlo: Result<ApiKeys, NotConfigured>,
    mighty_networks: Result<ApiKeys, NotConfigured>,
    wix: Result<WixAuth, NotConfigured>,
    calendly: Result<CalendlyAuth, NotConfigured>,
}

impl Secrets {
    /// Reads the secrets through `lookup` (a variable name to its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Secrets {
        let read = |provider: Provider| {
            let var = provider.secret_var();
            match lookup(var) {
                Some(value) if !value.trim().is_empty() => Ok(value),
                _ => Err(NotConfigured {
                    var,
                    why: "the variable is not set".into(),
                }),
            }
        };
        Secrets {
            omerlo: read(Provider::Omerlo)
                .and_then(|v| ApiKeys::parse(Provider::Omerlo.secret_var(), &v)),
            mighty_networks: read(Provider::MightyNetworks)
                .and_then(|v| ApiKeys::parse(Provider::MightyNetworks.secret_var(), &v)),
            wix: read(Provider::Wix)
                .and_then(|v| WixKeys::parse(Provider::Wix.secret_var(), &v))
                .and_then(|keys| WixAuth::new(keys, &lookup)),
            calendly: read(Provider::Calendly)
                .and_then(|v| ApiKeys::parse(Provider::Calendly.secret_var(), &v))
                .and_then(|keys| {
                    Ok(CalendlyAuth {
                        keys,
                        max_signature_age: CALENDLY_SIGNATURE_AGE
                            .read(lookup(CALENDLY_MAX_SIGNATURE_AGE_VAR).as_deref())?,
                    })
                }),
        }
    }

    /// The API keys of Omerlo or Mighty Networks.
    pub(crate) fn api_keys(&self, provider: Provider) -> Result<&ApiKeys, NotConfigured> {
        match provider {
            Provider::Omerlo => self.omerlo.as_ref(),
            Provider::MightyNetworks => self.mighty_networks.as_ref(),
            Provider::Wix | Provider::Calendly => {
                return Err(NotConfigured {
                    var: provider.secret_var(),
                    why: format!("{provider:?} deliveries are signed, not sent with an API key"),
                });
            }
        }
        .map_err(Clone::clone)
    }

    /// How Wix tokens are verified.
    pub fn wix(&self) -> Result<&WixAuth, NotConfigured> {
        self.wix.as_ref().map_err(Clone::clone)
    }

    /// How Calendly signatures are verified.
    pub fn calendly(&self) -> Result<&CalendlyAuth, NotConfigured> {
        self.calendly.as_ref().map_err(Clone::clone)
    }

    /// The providers whose secret is missing or unusable, with the reason.
    pub fn problems(&self) -> Vec<NotConfigured> {
        [
            self.omerlo.as_ref().err(),
            self.mighty_networks.as_ref().err(),
            self.wix.as_ref().err(),
            self.calendly.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }
}

/// The pipeline's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bodies above this many bytes are refused with 413 (`ROLLCALL_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// How long the queue may take before the answer is 503 (`ROLLCALL_QUEUE_DEADLINE_MS`).
    pub queue_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            queue_deadline: DEFAULT_QUEUE_DEADLINE,
        }
    }
}

/// The variable naming the topic.
pub const TOPIC_ARN_VAR: &str = "TOPIC_ARN";

/// An SNS topic's ARN, `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicArn {
    arn: String,
    region: String,
}

impl TopicArn {
    /// Reads an ARN: six `:`-separated fields, the service `sns`, a region, a 12-digit account and a topic name
    /// of 1 to 256 letters, digits, `-` and `_` (a FIFO topic's ending in `.fifo`).
    pub fn parse(arn: &str) -> Result<TopicArn, NotConfigured> {
        let invalid = |why: &str| NotConfigured {
            var: TOPIC_ARN_VAR,
            why: format!("not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): {why}"),
        };
        let arn = arn.trim();
        let fields: Vec<&str> = arn.split(':').collect();
        let [prefix, partition, service, region, account, name] = fields[..] else {
            return Err(invalid("it does not have six fields separated by `:`"));
        };
        if prefix != "arn" || partition.is_empty() || service != "sns" {
            return Err(invalid("it does not start with `arn:PARTITION:sns:`"));
        }
        if region.is_empty()
            || !region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(invalid("its region is not one"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("its account is not 12 digits"));
        }
        let stem = name.strip_suffix(".fifo").unwrap_or(name);
        let stem_fits = !stem.is_empty()
            && stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !stem_fits || name.len() > 256 {
            return Err(invalid(
                "its topic name is not 1 to 256 letters, digits, `-` or `_`",
            ));
        }
        Ok(TopicArn {
            arn: arn.to_owned(),
            region: region.to_owned(),
        })
    }

    /// The ARN as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The region the topic is in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether it is a FIFO topic (its name ends in `.fifo`): its publishes carry a group and a de-duplication id.
    pub fn is_fifo(&self) -> bool {
        self.arn.ends_with(".fifo")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_rotate() {
        let keys = ApiKeys::parse("K", " old , new ,").unwrap();
        assert!(keys.accepts(b"old"));
        assert!(keys.accepts(b"new"));
        assert!(!keys.accepts(b"ne"));
        assert!(!keys.accepts(b""));
        assert!(ApiKeys::parse("K", " , ").is_err());
    }

    #[test]
    fn a_function_reads_only_its_own_providers_secret() {
        let secrets = Secrets::from_lookup(only(Provider::Omerlo, |_| Some("key".into())));
        assert!(secrets.api_keys(Provider::Omerlo).is_ok());
        assert!(secrets.wix().is_err());
        assert_eq!(secrets.problems().len(), 3);
    }

    #[test]
    fn missing_secrets_name_their_variable() {
        let secrets = Secrets::from_lookup(|_| None);
        let vars: Vec<_> = secrets.problems().into_iter().map(|p| p.var).collect();
        assert_eq!(
            vars,
            [
                "OMERLO_API_KEY",
                "MIGHTY_NETWORKS_API_KEY",
                "WIX_PUBLIC_KEY",
                "CALENDLY_SIGNING_KEY"
            ]
        );
    }

    #[test]
    fn a_dedup_window_must_outlast_the_oldest_signature() {
        let day = Duration::from_secs(86_400);
        let wix = WIX_TOKEN_AGE;
        assert_eq!(wix.replay_gap(7 * day, Some(wix.default)), None);
        assert!(wix.replay_gap(3 * day, Some(wix.default)).is_some());
        assert!(wix.replay_gap(7 * day, Some(7 * day)).is_some());
        assert!(wix.replay_gap(7 * day, None).is_some());
        assert_eq!(wix.read(None).unwrap(), Some(DEFAULT_WIX_MAX_TOKEN_AGE));
        assert_eq!(wix.read(Some(" OFF ")).unwrap(), None);
        assert_eq!(wix.read(Some("60")).unwrap(), Some(Duration::from_secs(60)));
        let calendly = CALENDLY_SIGNATURE_AGE;
        assert_eq!(calendly.replay_gap(7 * day, Some(calendly.default)), None);
        assert!(
            calendly
                .replay_gap(day, Some(calendly.default))
                .is_some_and(|gap| gap.contains(CALENDLY_MAX_SIGNATURE_AGE_VAR))
        );
        assert_eq!(
            AgeBound::replay_gaps(7 * day, |_| None),
            Vec::<String>::new()
        );
        let off = AgeBound::replay_gaps(7 * day, |var| (var == calendly.var).then(|| "off".into()));
        assert_eq!(off.len(), 1, "{off:?}");
    }

    #[test]
    fn calendlys_default_accepts_a_retry_signed_at_its_first_attempt() {
        // Calendly retries for 24 hours; no source says a retry is signed anew.
        assert!(DEFAULT_CALENDLY_MAX_SIGNATURE_AGE > Duration::from_secs(24 * 3600 + 60));
        // The SQLite queue and the consumer's ledger remember ids for 7 days by default.
        assert!(DEFAULT_CALENDLY_MAX_SIGNATURE_AGE < Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn a_wix_function_reads_its_token_settings() {
        let secrets = Secrets::from_lookup(only(Provider::Wix, |var| match var {
            "WIX_PUBLIC_KEY" => Some(include_str!("../../events/wix-test-key.pub.pem").into()),
            "WIX_APP_ID" => Some("a, ,b".into()),
            "WIX_MAX_TOKEN_AGE_SECS" => Some("off".into()),
            _ => None,
        }));
        let wix = secrets.wix().unwrap();
        assert_eq!(wix.app_ids, ["a", "b"]);
        assert_eq!(wix.max_token_age(), None);
    }

    #[test]
    fn wix_keys_need_pem_blocks() {
        assert!(WixKeys::parse("W", "not a key").is_err());
        assert!(
            WixKeys::parse(
                "W",
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
            )
            .is_err()
        );
    }
}
