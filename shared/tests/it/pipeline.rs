//! The HTTP contract, end to end through the pipeline and the embedded SQLite queue: each answer has a test,
//! and each test checks what was (or was not) stored.

use crate::common::*;
use http::{HeaderMap, Method};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rollcall::config::{Limits, Secrets};
use rollcall::ingest::Replayed;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::sqlite::SqliteQueue;
use rollcall::queue::{Inbox, Lane};
use rollcall::{Answer, Kind, Pipeline, Provider, Request, Route};
use serde_json::{Value, json};

async fn post(
    pipeline: &Pipeline<SqliteQueue>,
    kind: Kind,
    headers: &HeaderMap,
    body: &[u8],
) -> (u16, Value) {
    answer_json(post_with(pipeline, kind, headers, body).await)
}

fn answer_json(answer: Answer) -> (u16, Value) {
    (
        answer.status,
        serde_json::from_str(&answer.body).expect("every answer is JSON"),
    )
}

async fn counts(pipeline: &Pipeline<SqliteQueue>) -> (u64, u64) {
    let q = pipeline.queue();
    (
        q.count(Lane::Messages).await.unwrap(),
        q.count(Lane::Quarantine).await.unwrap(),
    )
}

#[tokio::test]
async fn valid_deliveries_are_queued_once() {
    let (_temp, pipeline) = pipeline();
    for kind in Kind::ALL {
        let (status, body) = post(
            &pipeline,
            kind,
            &headers(kind.provider(), &body(kind)),
            &body(kind),
        )
        .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("queued")),
            "{kind}: {body}"
        );
    }
    assert_eq!(counts(&pipeline).await, (Kind::ALL.len() as u64, 0));
    // Providers retry: the same deliveries again are answered the same and stored no second time.
    for kind in Kind::ALL {
        let (status, _) = post(
            &pipeline,
            kind,
            &headers(kind.provider(), &body(kind)),
            &body(kind),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(counts(&pipeline).await, (Kind::ALL.len() as u64, 0));
    let received = pipeline
        .queue()
        .receive(Lane::Messages, Kind::ALL.len())
        .await
        .unwrap();
    let types: Vec<String> = received
        .iter()
        .map(|r| {
            rollcall::Message::from_body(&r.body)
                .unwrap()
                .kind
                .message_type()
                .to_owned()
        })
        .collect();
    let expected: Vec<&str> = Kind::ALL.iter().map(|k| k.message_type()).collect();
    assert_eq!(types, expected, "the queue keeps arrival order");
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401_and_store_nothing() {
    let (_temp, pipeline) = pipeline();
    let mut wrong = HeaderMap::new();
    wrong.insert("x-api-key", "nope".parse().unwrap());
    wrong.insert("authorization", "Bearer nope".parse().unwrap());
    let mut repeated = headers(Provider::Omerlo, &[]);
    repeated.append("x-api-key", "another".parse().unwrap());
    let mut basic = HeaderMap::new();
    basic.insert(
        "authorization",
        format!("Basic {MIGHTY_KEY}").parse().unwrap(),
    );
    for kind in Kind::ALL {
        for headers in [&HeaderMap::new(), &wrong, &repeated, &basic] {
            let body = if kind.provider() == Provider::Wix {
                b"not.a.jwt".to_vec()
            } else {
                body(kind)
            };
            let (status, answer) = post(&pipeline, kind, headers, &body).await;
            assert_eq!(status, 401, "{kind}: {answer}");
            assert_eq!(answer["error"], "unauthorized");
        }
    }
    // The Omerlo key list rotates: the old key still works.
    let mut old = HeaderMap::new();
    old.insert("x-api-key", "old-key".parse().unwrap());
    let kind = Kind::OmerloParticipantCreated;
    assert_eq!(post(&pipeline, kind, &old, &body(kind)).await.0, 200);
    assert_eq!(counts(&pipeline).await, (1, 0));
}

#[tokio::test]
async fn a_missing_secret_is_503_naming_it() {
    let (_temp, queue) = temp_queue();
    let pipeline = Pipeline::new(Secrets::from_lookup(|_| None), queue, Limits::default());
    for provider in Provider::ALL {
        let kind = provider.kinds().next().unwrap();
        let (status, answer) = post(
            &pipeline,
            kind,
            &headers(provider, &body(kind)),
            &body(kind),
        )
        .await;
        assert_eq!(status, 503);
        assert_eq!(answer["variable"], provider.secret_var());
    }
    assert_eq!(counts(&pipeline).await, (0, 0));
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let (_temp, queue) = temp_queue();
    let limits = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    let pipeline = Pipeline::new(secrets(), queue, limits);
    let kind = Kind::OmerloParticipantCreated;
    let (status, answer) = post(
        &pipeline,
        kind,
        &headers(kind.provider(), &[]),
        &vec![b'['; 1025],
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (413, Some("payload_too_large"))
    );
    assert_eq!(counts(&pipeline).await, (0, 0));
}

#[tokio::test]
async fn wrong_method_is_405_and_unknown_route_404() {
    let (_temp, pipeline) = pipeline();
    let headers = headers(Provider::Omerlo, &[]);
    let get = pipeline
        .handle(
            Route::Any,
            Request {
                method: &Method::GET,
                path: "/webhooks/omerlo/participant-created",
                headers: &headers,
                body: b"",
            },
        )
        .await;
    assert_eq!(answer_json(get).0, 405);
    let unknown = pipeline
        .handle(
            Route::Any,
            Request {
                method: &Method::POST,
                path: "/webhooks/omerlo/nope",
                headers: &headers,
                body: b"{}",
            },
        )
        .await;
    assert_eq!(answer_json(unknown).0, 404);
    let other_route = pipeline
        .handle(
            Route::Only(Kind::OmerloParticipantCreated),
            Request {
                method: &Method::POST,
                path: "/webhooks/omerlo/participant-removed",
                headers: &headers,
                body: b"{}",
            },
        )
        .await;
    assert_eq!(answer_json(other_route).0, 404);
}

#[tokio::test]
async fn authentic_but_unreadable_deliveries_are_quarantined_without_credentials() {
    let (_temp, pipeline) = pipeline();
    let cases: Vec<(Kind, Vec<u8>)> = vec![
        (Kind::OmerloParticipantCreated, b"".to_vec()),
        (
            Kind::OmerloParticipantCreated,
            b"\xff\xfe not utf-8".to_vec(),
        ),
        (Kind::OmerloParticipantCreated, b"not json".to_vec()),
        (Kind::OmerloParticipantCreated, vec![b'['; 100_000]),
        (
            Kind::OmerloParticipantRemoved,
            body(Kind::OmerloParticipantCreated),
        ),
        (
            Kind::MightyNetworksEventCreated,
            body(Kind::MightyNetworksRsvpCreated),
        ),
        (
            Kind::WixParticipationCreated,
            body(Kind::WixParticipationDeleted),
        ),
        (Kind::WixGuestCreated, body(Kind::WixParticipationCreated)),
        (Kind::WixEventUpdated, body(Kind::WixGuestUpdated)),
    ];
    for (kind, body) in &cases {
        let (status, answer) = post(&pipeline, *kind, &headers(kind.provider(), body), body).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("quarantined")),
            "{kind}: {answer}"
        );
        assert!(!answer["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(counts(&pipeline).await, (0, cases.len() as u64));
    let records = pipeline
        .queue()
        .receive(Lane::Quarantine, 100)
        .await
        .unwrap();
    for (record, (kind, body)) in records.iter().zip(&cases) {
        assert!(!record.body.contains(OMERLO_KEY) && !record.body.contains(MIGHTY_KEY));
        let record: QuarantineRecord = serde_json::from_str(&record.body).unwrap();
        assert_eq!(record.kind, *kind);
        assert_eq!(
            &record.body_bytes().unwrap(),
            body,
            "the body is kept byte for byte"
        );
        assert!(
            !record.headers.contains_key("x-api-key")
                && !record.headers.contains_key("authorization")
        );
    }
}

/// The delivery of issue 25: a legal time whose UTC year is 10000 aborted the process.
#[tokio::test]
async fn a_time_past_year_9999_in_utc_is_queued_with_the_time_of_receipt() {
    let (_temp, pipeline) = pipeline();
    let kind = Kind::MightyNetworksRsvpCreated;
    let mut delivery = fixture("mighty-networks-rsvp-created.json");
    delivery["event_timestamp"] = "9999-12-31T23:59:59-01:00".into();
    delivery["payload"]["updated"] = "9999-12-31T23:59:59-01:00".into();
    let before = rollcall::message::UtcTime::now();
    let delivery = delivery.to_string();
    let (status, body) = post(
        &pipeline,
        kind,
        &headers(kind.provider(), delivery.as_bytes()),
        delivery.as_bytes(),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("queued")),
        "{body}"
    );
    let received = pipeline.queue().receive(Lane::Messages, 1).await.unwrap();
    let message = rollcall::Message::from_body(&received[0].body).unwrap();
    let time = rollcall::message::UtcTime::parse(&message.time).expect("RFC 3339 UTC");
    assert!(
        time >= before && time <= rollcall::message::UtcTime::now(),
        "{}",
        message.time
    );
    assert_eq!(message.data.changed_at, None);
    assert!(
        received[0].body.contains("9999-12-31T23:59:59-01:00"),
        "`original` as sent"
    );
}

#[tokio::test]
async fn replay_moves_what_parses_now_and_keeps_the_rest() {
    let (_temp, pipeline) = pipeline();
    let kind = Kind::MightyNetworksRsvpCreated;
    // As if an older parser had refused a valid delivery.
    let fixed = QuarantineRecord::new(
        kind,
        "old parser".into(),
        "2026-01-01T00:00:00Z".into(),
        &HeaderMap::new(),
        &body(kind),
    );
    let still = QuarantineRecord::new(
        kind,
        "bad".into(),
        "2026-01-01T00:00:00Z".into(),
        &HeaderMap::new(),
        b"{",
    );
    assert!(matches!(
        pipeline.replay(&fixed).await.unwrap(),
        Replayed::Queued { .. }
    ));
    assert!(matches!(
        pipeline.replay(&still).await.unwrap(),
        Replayed::StillUnparsable(_)
    ));
    assert_eq!(counts(&pipeline).await, (1, 0));
}

async fn wix_post_status(token: &str) -> (u16, u64) {
    let (_temp, pipeline) = pipeline();
    let kind = Kind::WixParticipationCreated;
    let (status, _) = post(
        &pipeline,
        kind,
        &headers(Provider::Wix, &[]),
        token.as_bytes(),
    )
    .await;
    let (messages, quarantined) = counts(&pipeline).await;
    (status, messages + quarantined)
}

fn b64(value: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn wix_token_attacks_are_401_and_store_nothing() {
    let claims = wix_claims(&fixture("wix-participation-created.json"));
    let valid = sign(&claims, "wix-test-key.pem");
    assert_eq!(wix_post_status(&valid).await, (200, 1));

    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims)
    );
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(wix_public_key().as_bytes()),
    )
    .unwrap();
    let other_key = sign(&claims, "wix-other-key.pem");
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(1_600_000_000);
    let expired = sign(&expired_claims, "wix-test-key.pem");
    let mut future_claims = claims.clone();
    future_claims["nbf"] = json!(4_000_000_000u64);
    let not_yet = sign(&future_claims, "wix-test-key.pem");
    let parts: Vec<&str> = valid.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["iat"] = json!(1);
    let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]);
    let truncated = &valid[..valid.len() - 10];
    let unsigned = format!("{}.{}", parts[0], parts[1]);
    for (name, token) in [
        ("alg none", none.as_str()),
        ("HS256 with the public key", &hs256),
        ("another key", &other_key),
        ("expired", &expired),
        ("not yet valid", &not_yet),
        ("tampered", &tampered),
        ("truncated", truncated),
        ("no signature", &unsigned),
        ("empty", ""),
    ] {
        assert_eq!(wix_post_status(token).await, (401, 0), "{name}");
    }
}

#[tokio::test]
async fn the_queue_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (temp, _pipeline) = pipeline();
    let mode = std::fs::metadata(&temp.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(temp.path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
}
