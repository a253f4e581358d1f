//! Calendly end to end through `rollcall serve` (the "Done means"): a signed delivery of each kind is
//! queued as the message its fixture must become; its retry, re-rendered and signed again at another `t`, gets
//! the same id and is stored once; a wrong key, a stale or future `t` and a missing signature get 401 and store
//! nothing; another kind's event on a route is quarantined with a reason naming both events, without the signature.

use crate::common::*;
use rollcall::Kind;
use rollcall::provider::calendly::SIGNATURE_HEADER;
use rollcall_testkit::calendly::{
    assert_drained, assert_misrouted, kinds, misrouted, refusals, rerendered,
};
use rollcall_testkit::deliveries::{
    CALENDLY_KEY, WixSigner, calendly_signature, fixture_text, now, unique_body,
};
use std::sync::Arc;

/// The bound on `t` the server runs with: a minute.
const MAX_AGE: &str = "60";

/// `body` on `kind`'s route with `signature` (none when `None`).
fn signed(kind: Kind, body: Vec<u8>, signature: Option<String>) -> Delivery {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(signature.map(|s| (SIGNATURE_HEADER, s)));
    Delivery {
        kind,
        headers,
        body,
    }
}

async fn answer(server: &Server, delivery: Delivery) -> Answer {
    let [answer] = load(&server.url, Arc::new(vec![delivery]), 1)
        .await
        .try_into()
        .expect("one answer");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendly_deliveries_through_serve_are_queued_deduplicated_refused_or_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    // A rotation: the sample key beside a retired one; the signatures are checked against both.
    let keys = format!("retired-key,{CALENDLY_KEY}");
    let server = serve(
        dir.path(),
        &[],
        &[
            ("CALENDLY_SIGNING_KEY", &keys),
            ("CALENDLY_MAX_SIGNATURE_AGE_SECS", MAX_AGE),
        ],
    );
    let signer = WixSigner::new();
    let mut ids = Vec::new();
    for (seq, kind) in kinds().into_iter().enumerate() {
        let body = fixture_text(&format!("{}.json", kind.binary())).into_bytes();
        let (status, first) = answer(&server, Delivery::new(kind, body.clone())).await;
        assert_eq!(
            (status, &first["status"]),
            (200, &"queued".into()),
            "{kind}: {first}"
        );

        // The retry: other whitespace and key order, signed again 30 s earlier (another `t`).
        let retry = rerendered(&body);
        let t = now() - 30;
        let (status, again) = answer(
            &server,
            signed(kind, retry.clone(), Some(calendly_signature(t, &retry))),
        )
        .await;
        assert_eq!(
            (status, &again["status"]),
            (200, &"queued".into()),
            "{kind}: {again}"
        );
        assert_eq!(again["id"], first["id"], "{kind}: the retry's id");
        ids.push(first["id"].clone());

        // Refused, and nothing stored: each a change of its own, so a stored one would be one message more.
        let fresh = unique_body(kind, seq as u64 + 1, &signer);
        for (case, signature) in refusals(&fresh) {
            let (status, body) = answer(&server, signed(kind, fresh.clone(), signature)).await;
            assert_eq!(status, 401, "{kind}, {case}: {body}");
        }

        // Another kind's event on this route: authentic, so quarantined, with both events named.
        let (other, misrouted) = misrouted(kind);
        let (status, body) = answer(&server, Delivery::new(kind, misrouted)).await;
        assert_misrouted(kind, other, status.into(), &body);
    }
    drop(server);

    assert_drained(
        &drain(dir.path(), &[], &[]),
        &ids,
        &drain(dir.path(), &["--quarantine"], &[]),
    );
}
