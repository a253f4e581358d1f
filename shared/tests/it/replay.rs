//! `Pipeline::replay` re-checks what it can: a Wix record's token is verified again (signature, header, `iss`,
//! `aud`) but not its age, a provider whose key is not configured keeps its records, and a replayed message is
//! dated by its record's receipt time, never by "now".

use crate::common::*;
use http::HeaderMap;
use rollcall::config::{Limits, Secrets};
use rollcall::ingest::{Refusal, Replayed};
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::sqlite::SqliteQueue;
use rollcall::queue::{Inbox, Lane};
use rollcall::{Kind, Message, Pipeline};
use serde_json::{Value, json};

fn record(kind: Kind, received_at: &str, body: &[u8]) -> QuarantineRecord {
    QuarantineRecord::new(
        kind,
        "refused by an older parser".into(),
        received_at.into(),
        &HeaderMap::new(),
        body,
    )
}

/// A pipeline whose secrets are the test kit's, with `extra` variables (e.g. the Wix app id and token age).
fn pipeline_with(
    extra: &'static [(&'static str, &'static str)],
) -> (TempQueue, Pipeline<SqliteQueue>) {
    let (temp, queue) = temp_queue();
    let wix = wix_public_key();
    let secrets = Secrets::from_lookup(move |var| match var {
        "OMERLO_API_KEY" => Some(OMERLO_KEY.to_owned()),
        "MIGHTY_NETWORKS_API_KEY" => Some(MIGHTY_KEY.to_owned()),
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        _ => extra
            .iter()
            .find(|(v, _)| *v == var)
            .map(|(_, value)| (*value).to_owned()),
    });
    (temp, Pipeline::new(secrets, queue, Limits::default()))
}

async fn messages(pipeline: &Pipeline<SqliteQueue>) -> Vec<Message> {
    pipeline
        .queue()
        .receive(Lane::Messages, 100)
        .await
        .unwrap()
        .iter()
        .map(|received| Message::from_body(&received.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_replayed_message_keeps_its_records_receipt_time() {
    let (_temp, pipeline) = pipeline_with(&[]);
    let kind = Kind::OmerloParticipantCreated;
    // No time of its own in the delivery: the message's `time` is when it was received.
    let mut delivery = fixture("omerlo-participant-created.json");
    let participant = &mut delivery["data"]["participant"];
    for field in ["inserted_at", "updated_at"] {
        participant.as_object_mut().unwrap().remove(field);
    }
    let body = serde_json::to_vec(&delivery).unwrap();
    let replayed = pipeline
        .replay(&record(kind, "2026-11-01T09:30:00+02:00", &body))
        .await
        .unwrap();
    assert!(matches!(replayed, Replayed::Queued { .. }), "{replayed:?}");
    assert_eq!(messages(&pipeline).await[0].time, "2026-11-01T07:30:00Z");

    // An unreadable receipt time fails the replay with its reason: the record stays, nothing is queued.
    for unreadable in ["", "yesterday", "2026-11-01 09:30:00"] {
        assert_eq!(
            pipeline
                .replay(&record(kind, unreadable, &body))
                .await
                .unwrap(),
            Replayed::Refused(Refusal::ReceivedAt),
            "{unreadable:?}"
        );
    }
    assert!(messages(&pipeline).await.is_empty());
}

/// `claims` with the header `{"alg":"none"}` and no signature.
fn unsigned(claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = |text: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#.into()),
        b64(claims.to_string())
    )
}

#[tokio::test]
async fn replay_verifies_a_wix_token_again_but_not_its_age() {
    let (_temp, pipeline) =
        pipeline_with(&[("WIX_APP_ID", "the-app"), ("WIX_MAX_TOKEN_AGE_SECS", "300")]);
    let kind = Kind::WixParticipationCreated;
    let at = "2026-11-01T00:00:00Z";
    let claims = |extra: Value| {
        let mut claims = wix_claims(&fixture("wix-participation-created.json"));
        // Issued a year ago and expired since: it was fresh on receipt.
        claims["iat"] = json!(1_700_000_000);
        claims["exp"] = json!(1_700_000_300);
        claims["aud"] = json!("the-app");
        claims["iss"] = json!("wix.com");
        for (key, value) in extra.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    let refused = [
        ("another key", sign(&claims(json!({})), "wix-other-key.pem")),
        ("alg none", unsigned(&claims(json!({})))),
        (
            "another app",
            sign(&claims(json!({"aud": "other-app"})), "wix-test-key.pem"),
        ),
        (
            "another issuer",
            sign(&claims(json!({"iss": "example.com"})), "wix-test-key.pem"),
        ),
    ];
    for (case, token) in &refused {
        assert_eq!(
            pipeline
                .replay(&record(kind, at, token.as_bytes()))
                .await
                .unwrap(),
            Replayed::Refused(Refusal::NotAuthentic),
            "{case}"
        );
    }
    assert!(messages(&pipeline).await.is_empty());
    let old = sign(&claims(json!({})), "wix-test-key.pem");
    let replayed = pipeline
        .replay(&record(kind, at, old.as_bytes()))
        .await
        .unwrap();
    assert!(matches!(replayed, Replayed::Queued { .. }), "{replayed:?}");
    assert_eq!(messages(&pipeline).await.len(), 1);
}

#[tokio::test]
async fn a_provider_without_a_key_keeps_its_records() {
    let (_temp, queue) = temp_queue();
    let pipeline = Pipeline::new(Secrets::from_lookup(|_| None), queue, Limits::default());
    for kind in [
        Kind::OmerloParticipantCreated,
        Kind::MightyNetworksRsvpCreated,
        Kind::WixParticipationCreated,
        Kind::CalendlyInviteeCreated,
    ] {
        let replayed = pipeline
            .replay(&record(kind, "2026-11-01T00:00:00Z", &body(kind)))
            .await
            .unwrap();
        match replayed {
            Replayed::Refused(Refusal::NoKey(missing)) => {
                assert_eq!(missing.var, kind.provider().secret_var(), "{kind}")
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
    assert!(messages(&pipeline).await.is_empty());
}
