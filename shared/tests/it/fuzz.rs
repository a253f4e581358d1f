//! Property-based fuzzing of every provider parser and of the Wix JWT path: arbitrary bytes, arbitrary JSON,
//! and mutations of the real fixtures never panic, and random tokens never authenticate. CI runs a bounded
//! number of cases; `PROPTEST_CASES=100000 cargo test -p rollcall --test it --release fuzz::` runs long.

use crate::common::*;
use proptest::prelude::*;
use rollcall::Kind;
use rollcall::provider::{parse, receive};
use serde_json::Value;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    (0..Kind::ALL.len()).prop_map(|i| Kind::ALL[i])
}

/// Arbitrary JSON, biased toward the keys the parsers look for.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("event_name".to_owned()),
        Just("data".to_owned()),
        Just("participant".to_owned()),
        Just("invitation".to_owned()),
        Just("id".to_owned()),
        Just("event_id".to_owned()),
        Just("payload".to_owned()),
        Just("event".to_owned()),
        Just("space_id".to_owned()),
        Just("profile".to_owned()),
        Just("workspace_id".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("participant_created".into())),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A real fixture body of `kind`, with up to eight bytes replaced and possibly truncated.
fn mutated(kind: Kind) -> impl Strategy<Value = Vec<u8>> {
    let body = body(kind);
    let len = body.len();
    (prop::collection::vec((0..len, any::<u8>()), 0..8), 0..=len).prop_map(move |(edits, cut)| {
        let mut bytes = body.clone();
        for (at, byte) in edits {
            bytes[at] = byte;
        }
        bytes.truncate(cut.max(1));
        bytes
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsers_never_panic_on_bytes(kind in kind(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(kind, &bytes);
    }

    #[test]
    fn parsers_never_panic_on_json(kind in kind(), value in json()) {
        let _ = parse(kind, value.to_string().as_bytes());
        // Wix bodies are tokens: the same JSON as the delivery inside unsigned claims.
        let claims = serde_json::json!({"data": value.to_string()});
        use base64::Engine as _;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let token = format!("{}.{}.sig", b64(&serde_json::json!({"alg": "RS256"})), b64(&claims));
        let _ = parse(kind, token.as_bytes());
    }

    #[test]
    fn parsers_never_panic_on_mutated_fixtures(
        (kind, bytes) in kind().prop_flat_map(|k| (Just(k), mutated(k)))
    ) {
        let _ = parse(kind, &bytes);
    }

    #[test]
    fn random_tokens_never_authenticate(
        parts in prop::collection::vec("[A-Za-z0-9_=-]{0,64}", 0..5),
        claims in json(),
    ) {
        use base64::Engine as _;
        let secrets = secrets();
        let headers = http::HeaderMap::new();
        let joined = parts.join(".");
        prop_assert!(receive(Kind::WixParticipationCreated, &secrets, &headers, joined.as_bytes()).is_err());
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        for alg in ["RS256", "none", "HS256", "PS256", "ES256"] {
            let forged = format!("{}.{}.{}", b64(&serde_json::json!({"alg": alg})), b64(&claims), parts.join(""));
            prop_assert!(receive(Kind::WixParticipationCreated, &secrets, &headers, forged.as_bytes()).is_err());
        }
    }

    #[test]
    fn mutated_tokens_never_authenticate(bytes in mutated(Kind::WixParticipationCreated)) {
        prop_assume!(bytes != body(Kind::WixParticipationCreated));
        let verdict = receive(Kind::WixParticipationCreated, &secrets(), &http::HeaderMap::new(), &bytes);
        prop_assert!(verdict.is_err());
    }
}
