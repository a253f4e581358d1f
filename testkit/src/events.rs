//! The files of `events/`, built from the registry of kinds and the payload fixtures of `shared/tests/fixtures/`:
//! API Gateway HTTP API (payload format 2.0) proxy events, usable with `sam local invoke -e`, `rollcall send` and
//! the tests, plus the `sam local invoke --env-vars` file. `cargo xtask regenerate` writes what [`build`] makes
//! (and removes any other `*.json` file there); `--check`, which the suite runs, finds any that differs.
//!
//! A file's name says what the receiver must answer: `NAME.json` 200 queued, `NAME.quarantined.json` 200
//! quarantined, `NAME.<status>.json` that status. The output is deterministic (RS256 signatures are), and the
//! credentials are the public TEST samples of [`rollcall::config`].

use crate::deliveries::{
    SAMPLES_SIGNED_AT, WixSigner, fixture, fixture_text, kind_fixture, wix_claims_at,
};
use Credentials::{Sample, Wrong};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rollcall::config::{
    SAMPLE_CALENDLY_SIGNING_KEY, SAMPLE_MIGHTY_NETWORKS_API_KEY, SAMPLE_OMERLO_API_KEY,
    SAMPLE_SECRETS,
};
use rollcall::provider::calendly;
use rollcall::{Kind, Provider};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::Path;

/// The API id of the sample events' (made-up) API Gateway.
const API_ID: &str = "r0llca11";
const ACCOUNT_ID: &str = "123456789012";
const SOURCE_IP: &str = "203.0.113.10";
/// The API key header value of the deliveries that must be refused.
const WRONG_KEY: &str = "wrong-key";
/// An Omerlo body cut short.
const TRUNCATED_OMERLO: &str = r#"{"event_name": "participant_created", "data": {"#;
/// A Calendly body whose invitee has no URI (its id and subject).
const CALENDLY_WITHOUT_URI: &str = r#"{"event": "invitee.created", "created_at": "2026-01-01T00:00:00.000000Z", "created_by": "https://api.calendly.com/users/0b7d4b0e-2c55-4f7e-9a11-3f5e8c1d2a6b", "payload": {"email": "someone@example.com"}}"#;

/// Every file this generator writes into `events/`, by name, as its text: 2-space indented JSON with a trailing
/// newline. Panics naming the fixture or key that is missing or unreadable.
pub fn build() -> BTreeMap<String, String> {
    let mut files = Files::default();
    let signers = Signers {
        sample: WixSigner::new(),
        wrong: WixSigner::with_key("wix-other-key.pem"),
    };
    let not_json = json!({"data": "not json", "iat": SAMPLES_SIGNED_AT});

    // One valid delivery per kind.
    for kind in Kind::ALL {
        let body = signers.valid_body(kind, Sample);
        files.event(&format!("{}.json", kind.binary()), kind, &body, Sample);
    }

    let valid = |kind| signers.valid_body(kind, Sample);
    let omerlo = Kind::OmerloParticipantCreated;
    let removed = Kind::OmerloParticipantRemoved;
    let rsvp = Kind::MightyNetworksRsvpCreated;
    let wix = Kind::WixParticipationCreated;
    let calendly = Kind::CalendlyInviteeCreated;
    #[rustfmt::skip] // a table
    let special = [
        // Refused: wrong credentials.
        ("omerlo-wrong-key.401.json", omerlo, valid(omerlo), Wrong),
        ("mighty-networks-wrong-key.401.json", rsvp, valid(rsvp), Wrong),
        ("wix-bad-signature.401.json", wix, signers.valid_body(wix, Wrong), Wrong),
        ("calendly-wrong-key.401.json", calendly, valid(calendly), Wrong),
        // Quarantined: authentic, but unreadable as the route's kind.
        ("omerlo-malformed.quarantined.json", omerlo, TRUNCATED_OMERLO.to_owned(), Sample),
        ("omerlo-wrong-kind.quarantined.json", removed, valid(omerlo), Sample),
        ("mighty-networks-malformed.quarantined.json", rsvp, without_event_id(rsvp), Sample),
        ("mighty-networks-wrong-kind.quarantined.json", Kind::MightyNetworksEventCreated, valid(rsvp), Sample),
        ("wix-wrong-kind.quarantined.json", wix, valid(Kind::WixParticipationUpdated), Sample),
        ("wix-guest-wrong-kind.quarantined.json", Kind::WixGuestCreated, valid(Kind::WixGuestUpdated), Sample),
        ("wix-event-wrong-kind.quarantined.json", Kind::WixEventCanceled, valid(Kind::WixGuestDeleted), Sample),
        ("wix-malformed.quarantined.json", wix, signers.sample.sign(&not_json), Sample),
        ("calendly-malformed.quarantined.json", calendly, CALENDLY_WITHOUT_URI.to_owned(), Sample),
        ("calendly-wrong-kind.quarantined.json", calendly, valid(Kind::CalendlyInviteeCanceled), Sample),
    ];
    for (name, kind, body, credentials) in special {
        files.event(name, kind, &body, credentials);
    }

    // A base64-encoded body (as API Gateway sends binary media types): a distinct valid participant_removed.
    let name = format!("{}.json", removed.binary());
    let participant = fixture(&name)["data"]["participant"]["id"]
        .as_str()
        .map(str::to_owned)
        .expect("the fixture names its participant");
    let text = fixture_text(&name);
    assert_eq!(
        text.matches(&participant).count(),
        1,
        "{name}: the participant id must occur once"
    );
    let body = text.replace(&participant, "9b0e4c57-d2a8-4f61-8c3b-7e5a1f2d6c94");
    let name = "omerlo-participant-removed-base64.json";
    files.add(name, &event(name, removed, &body, Sample, Encoding::Base64));

    files.add("env.json", &sam_local_env());
    files.0
}

/// The `sam local invoke --env-vars` file (not an event: it has no `routeKey`): every function's environment.
fn sam_local_env() -> SamLocalEnv {
    let mut parameters: Vec<(String, String)> = SAMPLE_SECRETS
        .iter()
        .map(|(var, value)| ((*var).to_owned(), (*value).to_owned()))
        .collect();
    let host = "http://host.docker.internal:4566";
    parameters.extend([
        // The samples are signed at the fixed, old `SAMPLES_SIGNED_AT` (events/README.md).
        ("WIX_MAX_TOKEN_AGE_SECS".to_owned(), "off".to_owned()),
        (
            "CALENDLY_MAX_SIGNATURE_AGE_SECS".to_owned(),
            "off".to_owned(),
        ),
        (
            "QUEUE_URL".to_owned(),
            format!("{host}/{ACCOUNT_ID}/rollcall-messages.fifo"),
        ),
        (
            "QUARANTINE_QUEUE_URL".to_owned(),
            format!("{host}/{ACCOUNT_ID}/rollcall-quarantine"),
        ),
        ("AWS_ENDPOINT_URL".to_owned(), host.to_owned()),
        // Empty, so unset: the template points it at the stack's topic, which a local invoke does not have; the
        // function then publishes to QUEUE_URL.
        ("TOPIC_ARN".to_owned(), String::new()),
    ]);
    SamLocalEnv {
        parameters: Members(parameters),
    }
}

/// The `--env-vars` file's shape: variables for every function under `Parameters`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SamLocalEnv {
    parameters: Members<String>,
}

/// The `*.json` files of `dir`, by name, as their text.
pub fn read(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    json_file_names(dir)?
        .into_iter()
        .map(|name| Ok((name.clone(), std::fs::read_to_string(dir.join(name))?)))
        .collect()
}

fn json_file_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            names.push(name);
        }
    }
    Ok(names)
}

/// Which credentials a delivery presents: the samples the receiver is configured with, or others it must refuse
/// (a wrong API key, or a Wix token signed with another key).
#[derive(Clone, Copy)]
enum Credentials {
    Sample,
    Wrong,
}

impl Credentials {
    fn api_key(self, sample: &'static str) -> &'static str {
        match self {
            Sample => sample,
            Wrong => WRONG_KEY,
        }
    }
}

/// How a provider's deliveries look on the wire, besides their payload.
struct Wire {
    user_agent: &'static str,
    content_type: &'static str,
    auth: Auth,
}

/// Where a delivery carries its credentials.
enum Auth {
    /// In this header, with this value; the body is the fixture's text.
    Header(&'static str, String),
    /// In the body: an RS256 token whose claims hold the delivery.
    SignedBody,
    /// In this header: the body's HMAC signature with this key (Calendly's), made at the samples' signing time.
    SignedHeader(&'static str, &'static str),
}

/// The one place that says, per provider, how its deliveries look.
fn wire(provider: Provider, credentials: Credentials) -> Wire {
    match provider {
        Provider::Omerlo => Wire {
            user_agent: "Omerlo-Webhooks/1.0",
            content_type: "application/json",
            auth: Auth::Header(
                "x-api-key",
                credentials.api_key(SAMPLE_OMERLO_API_KEY).to_owned(),
            ),
        },
        Provider::MightyNetworks => Wire {
            user_agent: "MightyNetworks-Webhooks/1.0",
            content_type: "application/json",
            auth: Auth::Header(
                "authorization",
                format!(
                    "Bearer {}",
                    credentials.api_key(SAMPLE_MIGHTY_NETWORKS_API_KEY)
                ),
            ),
        },
        Provider::Wix => Wire {
            user_agent: "Wix-Webhooks/1.0",
            content_type: "text/plain",
            auth: Auth::SignedBody,
        },
        Provider::Calendly => Wire {
            user_agent: "Calendly-Webhooks/1.0",
            content_type: "application/json",
            auth: Auth::SignedHeader(
                calendly::SIGNATURE_HEADER,
                credentials.api_key(SAMPLE_CALENDLY_SIGNING_KEY),
            ),
        },
    }
}

/// The Wix signers: the sample key the receiver trusts, and another one.
struct Signers {
    sample: WixSigner,
    wrong: WixSigner,
}

impl Signers {
    /// The body of a valid delivery of `kind` from its fixture; where the body is signed, with `credentials`.
    fn valid_body(&self, kind: Kind, credentials: Credentials) -> String {
        match wire(kind.provider(), credentials).auth {
            Auth::Header(..) | Auth::SignedHeader(..) => {
                fixture_text(&format!("{}.json", kind.binary()))
            }
            Auth::SignedBody => {
                let signer = match credentials {
                    Sample => &self.sample,
                    Wrong => &self.wrong,
                };
                signer.sign(&wix_claims_at(&kind_fixture(kind), SAMPLES_SIGNED_AT))
            }
        }
    }
}

/// The files built so far, by name.
#[derive(Default)]
struct Files(BTreeMap<String, String>);

impl Files {
    /// Adds the event `name`: `body` as is, delivered to `kind`'s route with `credentials`.
    fn event(&mut self, name: &str, kind: Kind, body: &str, credentials: Credentials) {
        self.add(name, &event(name, kind, body, credentials, Encoding::Text));
    }

    fn add(&mut self, name: &str, value: &impl Serialize) {
        let text = serde_json::to_string_pretty(value).expect("JSON") + "\n";
        self.0.insert(name.to_owned(), text);
    }
}

/// How an event carries its body.
#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Text,
    /// Base64, as API Gateway sends binary media types.
    Base64,
}

/// An API Gateway HTTP API (payload format 2.0) proxy event, with the fields `sam local generate-event` writes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    version: &'static str,
    route_key: String,
    raw_path: String,
    raw_query_string: &'static str,
    headers: BTreeMap<&'static str, String>,
    request_context: RequestContext,
    body: String,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext {
    account_id: &'static str,
    api_id: &'static str,
    domain_name: String,
    domain_prefix: &'static str,
    http: Http,
    request_id: String,
    route_key: String,
    stage: &'static str,
    time: String,
    time_epoch: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Http {
    method: &'static str,
    path: String,
    protocol: &'static str,
    source_ip: &'static str,
    user_agent: &'static str,
}

/// The event `name` delivering `body` to `kind`'s route with `credentials`, received at the sample issue time.
fn event(
    name: &str,
    kind: Kind,
    body: &str,
    credentials: Credentials,
    encoding: Encoding,
) -> Event {
    let wire = wire(kind.provider(), credentials);
    let path = kind.route();
    let route_key = format!("POST {path}");
    let domain = format!("{API_ID}.execute-api.us-east-1.amazonaws.com");
    let mut headers = BTreeMap::from([
        ("content-type", wire.content_type.to_owned()),
        ("host", domain.clone()),
        ("user-agent", wire.user_agent.to_owned()),
        ("x-forwarded-for", SOURCE_IP.to_owned()),
        ("x-forwarded-port", "443".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
    ]);
    match wire.auth {
        Auth::Header(header, value) => {
            headers.insert(header, value);
        }
        Auth::SignedHeader(header, key) => {
            let t = SAMPLES_SIGNED_AT.unsigned_abs();
            let signature = calendly::signature_header(key.as_bytes(), t, body.as_bytes());
            headers.insert(header, signature);
        }
        Auth::SignedBody => {}
    }
    let time =
        time::OffsetDateTime::from_unix_timestamp(SAMPLES_SIGNED_AT).expect("a valid issue time");
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    // A made-up but stable request id, shaped like API Gateway's.
    let hash: String = digest(&SHA256, format!("request {name}").as_bytes())
        .as_ref()
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Event {
        version: "2.0",
        route_key: route_key.clone(),
        raw_path: path.clone(),
        raw_query_string: "",
        headers,
        request_context: RequestContext {
            account_id: ACCOUNT_ID,
            api_id: API_ID,
            domain_name: domain,
            domain_prefix: API_ID,
            http: Http {
                method: "POST",
                path,
                protocol: "HTTP/1.1",
                source_ip: SOURCE_IP,
                user_agent: wire.user_agent,
            },
            request_id: format!("{}{}EMVA=", &hash[..6], hash[6..8].to_uppercase()),
            route_key,
            stage: "$default",
            time: time.format(format).expect("formatting"),
            time_epoch: SAMPLES_SIGNED_AT * 1000,
        },
        body: match encoding {
            Encoding::Text => body.to_owned(),
            Encoding::Base64 => STANDARD.encode(body),
        },
        is_base64_encoded: encoding == Encoding::Base64,
    }
}

/// The fixture of `kind` (a Mighty Networks delivery) without its `event_id`, 2-space indented, members in their
/// order, values as written.
fn without_event_id(kind: Kind) -> String {
    let (name, key) = (format!("{}.json", kind.binary()), "event_id");
    let Members(mut members) = serde_json::from_str::<Members<Box<RawValue>>>(&fixture_text(&name))
        .expect("a JSON object");
    let before = members.len();
    members.retain(|(member, _)| member != key);
    assert_eq!(members.len() + 1, before, "{name} has one `{key}`");
    serde_json::to_string_pretty(&Members(members)).expect("JSON") + "\n"
}

/// A JSON object's members in their order (serde_json's own map sorts them).
struct Members<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for Members<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (key, value)))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Members<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MembersVisitor<V> {
            type Value = Members<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<V>, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}
