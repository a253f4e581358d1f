//! Extreme but legal values through the real `rollcall serve --dev`: `ROLLCALL_EXTREME_PROCESS_CASES` (10 by
//! default) authentic mutants of every kind's fixture (`rollcall_testkit::extreme`, the edits of the pipeline's
//! property test in `shared/tests/it/extreme.rs`), four in flight. Each gets `200`, queued or quarantined (a
//! dropped connection would be status 0), and every queued id is in the queue file afterwards.

use crate::common::*;
use rollcall::Kind;
use rollcall::message::Message;
use rollcall_testkit::deliveries::WixSigner;
use rollcall_testkit::extreme::{Fixture, cases_from_env, mutants};
use std::collections::BTreeSet;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_values_are_queued_or_quarantined_by_serve() {
    let dir = tempfile::tempdir().expect("a folder");
    let server = serve(dir.path(), &["--dev"], &[]);
    let signer = WixSigner::new();
    let count = cases_from_env("ROLLCALL_EXTREME_PROCESS_CASES", 10);
    let mut sent = Vec::new();
    let mut deliveries = Vec::new();
    for kind in Kind::ALL {
        let fixture = Fixture::new(kind, &signer);
        for (edits, body) in mutants(&fixture, count, 2, &signer) {
            sent.push(format!("{kind} {edits:?}"));
            deliveries.push(Delivery::new(kind, body));
        }
    }
    let answers = load(&server.url, Arc::new(deliveries), 4).await;
    let mut queued = BTreeSet::new();
    let mut quarantined = 0;
    for (at, (status, answer)) in sent.iter().zip(&answers) {
        assert_eq!(*status, 200, "{at}: {answer}");
        match answer["status"].as_str() {
            Some("queued") => {
                queued.insert(answer["id"].as_str().unwrap_or_default().to_owned());
            }
            Some("quarantined") => quarantined += 1,
            _ => panic!("{at}: {answer}"),
        }
    }
    assert!(
        !queued.is_empty() && quarantined > 0,
        "{} queued, {quarantined} quarantined",
        queued.len()
    );
    drop(server);
    let stored: BTreeSet<String> = drain(dir.path(), &[], &[])
        .iter()
        .map(|body| {
            Message::from_body(body)
                .unwrap_or_else(|e| panic!("a stored message reads back: {e}"))
                .id
        })
        .collect();
    let missing: Vec<&String> = queued.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "answered queued, not stored: {missing:?}"
    );
}
