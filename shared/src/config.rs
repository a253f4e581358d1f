//! Configuration from the environment: the providers' secrets (several values at once, for rotation) and the
//! pipeline's limits. A missing or unusable secret is not fatal at start: its provider answers 503 naming it.

use crate::kind::Provider;
use crate::provider::AuthError;
use jsonwebtoken::DecodingKey;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The public sample Omerlo key that `events/` and the tests carry. Anyone can forge deliveries with the sample
/// credentials: `rollcall serve --dev` fills missing secrets with them, nothing else uses them.
pub const SAMPLE_OMERLO_API_KEY: &str = "rollcall-dev-omerlo-key";
/// The public sample Mighty Networks key (see [`SAMPLE_OMERLO_API_KEY`]).
pub const SAMPLE_MIGHTY_NETWORKS_API_KEY: &str = "rollcall-dev-mighty-networks-key";
/// The public half of the sample Wix key (see [`SAMPLE_OMERLO_API_KEY`]); its private half signs the tests' tokens.
pub const SAMPLE_WIX_PUBLIC_KEY: &str = include_str!("../../events/wix-test-key.pub.pem");
/// Every sample credential with the variable it stands in for.
pub const SAMPLE_SECRETS: [(&str, &str); 3] = [
    ("OMERLO_API_KEY", SAMPLE_OMERLO_API_KEY),
    ("MIGHTY_NETWORKS_API_KEY", SAMPLE_MIGHTY_NETWORKS_API_KEY),
    ("WIX_PUBLIC_KEY", SAMPLE_WIX_PUBLIC_KEY),
];

/// Default body limit: 128 KiB keeps every message (body, base64 in the quarantine, envelope) under SQS's 256 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 128 * 1024;
/// Default time the queue gets before the answer is 503: Wix waits only 1250 ms for the whole answer.
pub const DEFAULT_QUEUE_DEADLINE: Duration = Duration::from_millis(800);

/// The shared API keys of Omerlo or Mighty Networks: any one of them is accepted.
pub struct ApiKeys(Vec<Vec<u8>>);

impl ApiKeys {
    /// Reads comma-separated keys; blank entries are ignored.
    pub fn parse(var: &'static str, value: &str) -> Result<ApiKeys, AuthError> {
        let keys: Vec<Vec<u8>> = value
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| k.as_bytes().to_vec())
            .collect();
        if keys.is_empty() {
            return Err(AuthError::NotConfigured {
                var,
                why: "it holds no key".into(),
            });
        }
        Ok(ApiKeys(keys))
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
pub struct WixKeys(pub(crate) Vec<DecodingKey>);

impl WixKeys {
    /// Reads one or more PEM public-key blocks (`-----BEGIN PUBLIC KEY-----` …). Literal `\n` sequences are
    /// read as newlines, so a key can sit on one line of an env file.
    pub fn parse(var: &'static str, value: &str) -> Result<WixKeys, AuthError> {
        let text = value.replace("\\n", "\n");
        let invalid = |why: String| AuthError::NotConfigured { var, why };
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

/// `lookup` restricted to `provider`'s secret variable.
fn only(
    provider: Provider,
    lookup: impl Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> {
    move |var| {
        (var == provider.secret_var())
            .then(|| lookup(var))
            .flatten()
    }
}

/// The providers' secrets, each read once at start.
pub struct Secrets {
    omerlo: Result<ApiKeys, AuthError>,
    mighty_networks: Result<ApiKeys, AuthError>,
    wix: Result<WixKeys, AuthError>,
}

impl Secrets {
    /// Reads every provider's secret from its environment variable.
    pub fn from_env() -> Secrets {
        Secrets::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads only `provider`'s secret from its environment variable, as a function of that provider needs (it
    /// is given no other): the other providers are not configured, and no time goes to parsing their keys.
    pub fn from_env_for(provider: Provider) -> Secrets {
        Secrets::from_lookup(only(provider, |var| std::env::var(var).ok()))
    }

    /// Reads the secrets through `lookup` (a variable name to its value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Secrets {
        let read = |provider: Provider| {
            let var = provider.secret_var();
            match lookup(var) {
                Some(value) if !value.trim().is_empty() => Ok(value),
                _ => Err(AuthError::NotConfigured {
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
            wix: read(Provider::Wix).and_then(|v| WixKeys::parse(Provider::Wix.secret_var(), &v)),
        }
    }

    /// The API keys of Omerlo or Mighty Networks.
    pub(crate) fn api_keys(&self, provider: Provider) -> Result<&ApiKeys, AuthError> {
        match provider {
            Provider::Omerlo => self.omerlo.as_ref(),
            _ => self.mighty_networks.as_ref(),
        }
        .map_err(Clone::clone)
    }

    /// The Wix public keys.
    pub(crate) fn wix_keys(&self) -> Result<&WixKeys, AuthError> {
        self.wix.as_ref().map_err(Clone::clone)
    }

    /// The providers whose secret is missing or unusable, with the reason.
    pub fn problems(&self) -> Vec<AuthError> {
        [
            self.omerlo.as_ref().err(),
            self.mighty_networks.as_ref().err(),
            self.wix.as_ref().err(),
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

impl Limits {
    /// Reads the limits from the environment, falling back to the defaults (with a warning) on bad values.
    pub fn from_env() -> Limits {
        let mut limits = Limits::default();
        if let Some(bytes) = env_number("ROLLCALL_MAX_BODY_BYTES") {
            limits.max_body_bytes = bytes as usize;
        }
        if let Some(ms) = env_number("ROLLCALL_QUEUE_DEADLINE_MS") {
            limits.queue_deadline = Duration::from_millis(ms);
        }
        limits
    }
}

fn env_number(var: &str) -> Option<u64> {
    let value = std::env::var(var).ok()?;
    match value.trim().parse() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            tracing::warn!(var, value, "not a positive whole number; using the default");
            None
        }
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
        assert!(secrets.wix_keys().is_err());
        assert_eq!(secrets.problems().len(), 2);
    }

    #[test]
    fn missing_secrets_name_their_variable() {
        let secrets = Secrets::from_lookup(|_| None);
        let vars: Vec<_> = secrets
            .problems()
            .into_iter()
            .map(|p| match p {
                AuthError::NotConfigured { var, .. } => var,
                AuthError::Unauthorized => "",
            })
            .collect();
        assert_eq!(
            vars,
            [
                "OMERLO_API_KEY",
                "MIGHTY_NETWORKS_API_KEY",
                "WIX_PUBLIC_KEY"
            ]
        );
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
