//! Calendly end to end through each of its four function binaries, over the Lambda Runtime API against an
//! SQS-speaking server on loopback (the "Done means"): a signed delivery is queued as the message its
//! fixture must become; its retry, re-rendered and signed again at another `t`, gets the same id and is queued
//! once; a wrong key, a stale or future `t` and a missing signature get 401 and queue nothing; another kind's
//! event on the function's route is quarantined with a reason naming both events, without the signature.

use crate::events::drain;
use rollcall::Kind;
use rollcall::provider::calendly::SIGNATURE_HEADER;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::calendly::{
    assert_drained, assert_misrouted, kinds, misrouted, refusals, rerendered,
};
use rollcall_testkit::deliveries::{
    CALENDLY_KEY, WixSigner, api_gateway_event, calendly_signature, fixture_text, now, unique_body,
};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

/// How a delivery's signature header is set: as [`api_gateway_event`] signs it (now, sample key), replaced, or
/// removed.
enum Signature {
    Valid,
    Header(String),
    Missing,
}

/// The function's status and JSON answer to `body` on `kind`'s route.
async fn invoke(api: &RuntimeApi, kind: Kind, body: &[u8], signature: Signature) -> (u64, Value) {
    let mut event: Value = serde_json::from_slice(&api_gateway_event(kind, body)).unwrap();
    let headers = event["headers"].as_object_mut().unwrap();
    match signature {
        Signature::Valid => {}
        Signature::Header(value) => {
            headers.insert(SIGNATURE_HEADER.into(), value.into());
        }
        Signature::Missing => {
            headers.remove(SIGNATURE_HEADER);
        }
    }
    let Outcome::Response(response) = api.invoke(event.to_string().as_bytes()).await else {
        panic!("{kind}: no answer (the process died?)");
    };
    let answer = serde_json::from_str(response["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{kind}: {e}: {response}"));
    (response["statusCode"].as_u64().unwrap_or_default(), answer)
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendly_functions_queue_deduplicate_refuse_and_quarantine() {
    let endpoint = endpoint();
    let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    let mut env = aws::function_env(&endpoint, &fifo, &quarantine);
    // A rotation: the sample key beside a retired one; and a bound on `t` of a minute.
    env.retain(|(var, _)| *var != "CALENDLY_SIGNING_KEY");
    env.push((
        "CALENDLY_SIGNING_KEY",
        format!("retired-key,{CALENDLY_KEY}"),
    ));
    env.push(("CALENDLY_MAX_SIGNATURE_AGE_SECS", "60".into()));
    let signer = WixSigner::new();
    let mut ids = Vec::new();
    for (seq, kind) in kinds().into_iter().enumerate() {
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        let body = fixture_text(&format!("{}.json", kind.binary())).into_bytes();
        let (status, first) = invoke(&api, kind, &body, Signature::Valid).await;
        assert_eq!(
            (status, &first["status"]),
            (200, &"queued".into()),
            "{kind}: {first}"
        );

        // The retry: other whitespace and key order, signed again 30 s earlier (another `t`).
        let retry = rerendered(&body);
        let signature = Signature::Header(calendly_signature(now() - 30, &retry));
        let (status, again) = invoke(&api, kind, &retry, signature).await;
        assert_eq!(
            (status, &again["status"]),
            (200, &"queued".into()),
            "{kind}: {again}"
        );
        assert_eq!(again["id"], first["id"], "{kind}: the retry's id");
        ids.push(first["id"].clone());

        // Refused, and nothing queued: each a change of its own, so a queued one would be one message more.
        let fresh = unique_body(kind, seq as u64 + 1, &signer);
        for (case, signature) in refusals(&fresh) {
            let signature = signature.map_or(Signature::Missing, Signature::Header);
            let (status, answer) = invoke(&api, kind, &fresh, signature).await;
            assert_eq!(status, 401, "{kind}, {case}: {answer}");
        }

        // Another kind's event on this route: authentic, so quarantined, with both events named.
        let (other, misrouted) = misrouted(kind);
        let (status, answer) = invoke(&api, kind, &misrouted, Signature::Valid).await;
        assert_misrouted(kind, other, status, &answer);
        function.kill().await.unwrap();
    }

    assert_drained(
        &drain(&client, &fifo).await,
        &ids,
        &drain(&client, &quarantine).await,
    );
}
