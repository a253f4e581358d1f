//! Valid, authenticated sample deliveries of every kind, from the fixtures in `shared/tests/fixtures` (Wix ones
//! signed with the test key, as the tests do), and variants of them with distinct message ids, so that a durable
//! queue really stores each one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use rollcall::config::Secrets;
use rollcall::provider::calendly;
use rollcall::{Kind, Provider};
use serde_json::{Value, json};
use std::path::PathBuf;

pub use rollcall::config::{
    SAMPLE_CALENDLY_SIGNING_KEY as CALENDLY_KEY, SAMPLE_MIGHTY_NETWORKS_API_KEY as MIGHTY_KEY,
    SAMPLE_OMERLO_API_KEY as OMERLO_KEY,
};
use rollcall::config::{SAMPLE_SECRETS, SAMPLE_WIX_PUBLIC_KEY};

/// The workspace root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fixture's text.
pub fn fixture_text(name: &str) -> String {
    let path = repo().join("shared/tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture as JSON.
pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name)).expect("fixture is JSON")
}

/// The kind's fixture as JSON (for Wix: the decoded delivery).
pub fn kind_fixture(kind: Kind) -> Value {
    fixture(&format!("{}.json", kind.binary()))
}

/// The personal data and secrets the fixtures and `events/` carry: none may appear in a log line.
pub fn sensitive_values() -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    let personal = [
                        "email",
                        "phone",
                        "first_name",
                        "last_name",
                        "firstName",
                        "lastName",
                        "name",
                        // Calendly's: the reminder phone, hosts, the canceller, answers, the reason.
                        "text_reminder_number",
                        "user_email",
                        "user_name",
                        "canceled_by",
                        "answer",
                        "reason",
                    ]
                    .contains(&key.as_str());
                    match item {
                        Value::String(text)
                            if personal && text.len() > 3 && !text.starts_with('<') =>
                        {
                            out.push(text.clone())
                        }
                        _ => walk(item, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = vec![
        OMERLO_KEY.to_owned(),
        MIGHTY_KEY.to_owned(),
        CALENDLY_KEY.to_owned(),
    ];
    for kind in Kind::ALL {
        let mut found = Vec::new();
        walk(&kind_fixture(kind), &mut found);
        // Event and space names are not personal; people's are.
        found.retain(|v| !v.contains("Meetup") && !v.contains("Ale") && !v.contains("Event with"));
        out.extend(found);
    }
    out.sort();
    out.dedup();
    out
}

/// The test public key Wix deliveries are verified with (`events/wix-test-key.pub.pem`).
pub fn wix_public_key() -> String {
    SAMPLE_WIX_PUBLIC_KEY.to_owned()
}

/// The secrets that accept every delivery made here.
pub fn secrets() -> Secrets {
    let wix = wix_public_key();
    Secrets::from_lookup(move |var| match var {
        "OMERLO_API_KEY" => Some(OMERLO_KEY.to_owned()),
        "MIGHTY_NETWORKS_API_KEY" => Some(MIGHTY_KEY.to_owned()),
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        "CALENDLY_SIGNING_KEY" => Some(CALENDLY_KEY.to_owned()),
        _ => None,
    })
}

/// The environment variables a function or `rollcall serve` reads those secrets from.
pub fn secret_env() -> Vec<(&'static str, String)> {
    SAMPLE_SECRETS
        .iter()
        .map(|(var, value)| (*var, (*value).to_owned()))
        .collect()
}

/// The signing time of every committed signed sample of `events/` (a Wix token's `iat`, a Calendly signature's
/// `t`), 2026-01-01T00:00:00Z; with no `exp`, they never expire, but Rollcall refuses them unless
/// `WIX_MAX_TOKEN_AGE_SECS` and `CALENDLY_MAX_SIGNATURE_AGE_SECS` are `off` (`events/README.md`).
pub const SAMPLES_SIGNED_AT: i64 = 1_767_225_600;

/// Claims of a Wix delivery: the decoded delivery with `data` and `identity` encoded as JSON strings again,
/// issued now (Rollcall refuses tokens older than `WIX_MAX_TOKEN_AGE_SECS`).
pub fn wix_claims(delivery: &Value) -> Value {
    wix_claims_at(delivery, now() as i64)
}

/// [`wix_claims`] issued at `iat` (seconds since the epoch).
pub fn wix_claims_at(delivery: &Value, iat: i64) -> Value {
    let mut outer = delivery.clone();
    for key in ["data", "identity"] {
        if let Some(inner) = outer.get(key).cloned() {
            outer[key] = Value::String(inner.to_string());
        }
    }
    json!({"data": outer.to_string(), "iat": iat})
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

/// A signer of Wix tokens, with the test private key unless told otherwise.
pub struct WixSigner(EncodingKey);

impl WixSigner {
    /// Reads `shared/tests/fixtures/wix-test-key.pem`.
    pub fn new() -> WixSigner {
        WixSigner::with_key("wix-test-key.pem")
    }

    /// Reads the private key of the fixture `name` (`wix-other-key.pem` signs tokens that must be refused).
    pub fn with_key(name: &str) -> WixSigner {
        let pem = fixture_text(name);
        WixSigner(EncodingKey::from_rsa_pem(pem.as_bytes()).expect("a private RSA key"))
    }

    /// The compact RS256 token of `claims` (compact JSON, keys sorted), its header `{"alg":"RS256","typ":"JWT"}`.
    /// PKCS#1 v1.5 signatures are deterministic: the same claims give the same token.
    pub fn sign(&self, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{header}.{payload}");
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.0, Algorithm::RS256)
            .expect("signing");
        format!("{input}.{signature}")
    }
}

impl Default for WixSigner {
    fn default() -> WixSigner {
        WixSigner::new()
    }
}

/// The valid body of `kind` from its fixture, as the tests make it: fixture text for Omerlo, Mighty Networks and
/// Calendly (whose signature is a header, [`headers`]), a signed token for Wix.
pub fn body(kind: Kind, signer: &WixSigner) -> Vec<u8> {
    match kind.provider() {
        Provider::Wix => signer.sign(&wix_claims(&kind_fixture(kind))).into_bytes(),
        Provider::Omerlo | Provider::MightyNetworks | Provider::Calendly => {
            fixture_text(&format!("{}.json", kind.binary())).into_bytes()
        }
    }
}

/// A valid body of `kind` whose message id is unique to `seq`: Omerlo ids hash the body, so a `bench_seq` field
/// is added; Mighty Networks `event_id` and the Wix event `id` are set; Calendly ids name the invitee (and the
/// no-show), whose URIs are made unique. Compact JSON.
pub fn unique_body(kind: Kind, seq: u64, signer: &WixSigner) -> Vec<u8> {
    let mut value = kind_fixture(kind);
    let unique = format!("00000000-0000-4000-8000-{seq:012x}");
    match kind.provider() {
        Provider::Omerlo => {
            value["bench_seq"] = json!(seq);
            serde_json::to_vec(&value).expect("JSON")
        }
        Provider::MightyNetworks => {
            value["event_id"] = json!(unique);
            serde_json::to_vec(&value).expect("JSON")
        }
        Provider::Wix => {
            value["data"]["id"] = json!(unique);
            signer.sign(&wix_claims(&value)).into_bytes()
        }
        Provider::Calendly => {
            let payload = &mut value["payload"];
            payload["uri"] = json!(format!(
                "https://api.calendly.com/scheduled_events/bench/invitees/{unique}"
            ));
            if payload["no_show"].is_object() {
                payload["no_show"]["uri"] = json!(format!(
                    "https://api.calendly.com/invitee_no_shows/{unique}"
                ));
            }
            serde_json::to_vec(&value).expect("JSON")
        }
    }
}

/// The headers carrying valid credentials for `provider`'s delivery of `body`: an API key, or for Calendly the
/// body's signature with the sample key, made now.
pub fn headers(provider: Provider, body: &[u8]) -> Vec<(&'static str, String)> {
    match provider {
        Provider::Omerlo => vec![
            ("x-api-key", OMERLO_KEY.into()),
            ("content-type", "application/json".into()),
        ],
        Provider::MightyNetworks => vec![
            ("authorization", format!("Bearer {MIGHTY_KEY}")),
            ("content-type", "application/json".into()),
        ],
        Provider::Wix => vec![("content-type", "text/plain".into())],
        Provider::Calendly => vec![
            (calendly::SIGNATURE_HEADER, calendly_signature(now(), body)),
            ("content-type", "application/json".into()),
        ],
    }
}

/// The `Calendly-Webhook-Signature` of `body` with the sample key at `t` (seconds since the epoch).
pub fn calendly_signature(t: u64, body: &[u8]) -> String {
    calendly::signature_header(CALENDLY_KEY.as_bytes(), t, body)
}

/// The same headers as an [`http::HeaderMap`].
pub fn header_map(provider: Provider, body: &[u8]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers(provider, body) {
        map.insert(name, value.parse().expect("a header value"));
    }
    map
}

/// The API Gateway (HTTP API, payload 2.0) event of `kind` from `events/<binary>.json`, carrying `body` with
/// valid credentials for it ([`headers`]: the sample file's signature is for the sample's body).
pub fn api_gateway_event(kind: Kind, body: &[u8]) -> Vec<u8> {
    let path = repo()
        .join("events")
        .join(format!("{}.json", kind.binary()));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut event: Value = serde_json::from_str(&text).expect("event is JSON");
    event["body"] = Value::String(String::from_utf8_lossy(body).into_owned());
    event["isBase64Encoded"] = Value::Bool(false);
    for (name, value) in headers(kind.provider(), body) {
        event["headers"][name] = value.into();
    }
    serde_json::to_vec(&event).expect("JSON")
}
