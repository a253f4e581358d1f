//! A bug never loses an authentic delivery (issue 25 §2), through the pipeline and the SQLite queue, with the
//! test-only fault injection of the `fault-injection` feature: a panic while reading, mapping or building
//! quarantines the delivery (and `replay` queues it once the bug is gone), a panic while authenticating is
//! `500 internal_error` and stores nothing; either way the pipeline serves the next delivery.

use crate::common::*;
use http::HeaderValue;
use rollcall::fault::HEADER;
use rollcall::ingest::Replayed;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::{Inbox, Lane};
use rollcall::{Accepted, Kind, Rejected};

async fn post(
    pipeline: &rollcall::Pipeline<rollcall::queue::sqlite::SqliteQueue>,
    kind: Kind,
    headers: &http::HeaderMap,
) -> (u16, serde_json::Value) {
    let answer = post_with(pipeline, kind, headers, &body(kind)).await;
    (answer.status, serde_json::from_str(&answer.body).unwrap())
}

fn faulty(kind: Kind, fault: &'static str) -> http::HeaderMap {
    let mut headers = headers(kind.provider(), &body(kind));
    headers.insert(HEADER, HeaderValue::from_static(fault));
    headers
}

#[tokio::test]
async fn a_panic_while_reading_quarantines_the_delivery_and_replay_recovers_it() {
    let (_temp, pipeline) = pipeline();
    for kind in Kind::ALL {
        let accepted = pipeline
            .ingest(kind, &faulty(kind, "panic-in-read"), &body(kind))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let Accepted::Quarantined {
            reason,
            internal_error: true,
        } = accepted
        else {
            panic!("{kind}: {accepted:?}");
        };
        assert!(reason.contains(kind.message_type()), "{reason}");
        assert!(reason.contains("internal error"), "{reason}");
        assert!(
            !reason.contains("fault injection"),
            "never the panic's message: {reason}"
        );
    }
    let queue = pipeline.queue();
    assert_eq!(
        queue.count(Lane::Quarantine).await.unwrap(),
        Kind::ALL.len() as u64
    );
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 0);
    for stored in queue.receive(Lane::Quarantine, 100).await.unwrap() {
        let record: QuarantineRecord = serde_json::from_str(&stored.body).unwrap();
        // The bug is gone (no fault asked on replay): the delivery parses and is queued.
        let replayed = pipeline.replay(&record).await.unwrap();
        assert!(
            matches!(replayed, Replayed::Queued { .. }),
            "{}: {replayed:?}",
            record.kind
        );
    }
    assert_eq!(
        queue.count(Lane::Messages).await.unwrap(),
        Kind::ALL.len() as u64
    );
    // The same pipeline serves on: a retry of each delivery is the message already queued.
    for kind in Kind::ALL {
        let (status, answer) = post(&pipeline, kind, &headers(kind.provider(), &body(kind))).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("queued")),
            "{kind}"
        );
    }
    assert_eq!(
        queue.count(Lane::Messages).await.unwrap(),
        Kind::ALL.len() as u64
    );
}

#[tokio::test]
async fn a_panic_while_authenticating_is_500_internal_error_and_stores_nothing() {
    let (_temp, pipeline) = pipeline();
    for kind in Kind::ALL {
        let refused = pipeline
            .ingest(kind, &faulty(kind, "panic-in-authenticate"), &body(kind))
            .await;
        assert_eq!(refused, Err(Rejected::InternalError), "{kind}");
        let (status, answer) = post(&pipeline, kind, &faulty(kind, "panic-in-authenticate")).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (500, Some("internal_error"))
        );
    }
    let queue = pipeline.queue();
    assert_eq!(queue.count(Lane::Quarantine).await.unwrap(), 0);
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 0);
    let kind = Kind::OmerloParticipantCreated;
    let (status, _) = post(&pipeline, kind, &headers(kind.provider(), &body(kind))).await;
    assert_eq!(status, 200, "the pipeline serves on");
}
