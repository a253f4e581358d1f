//! `rollcall serve` and a bug (issue 25 §2), with the test-only `fault-injection` feature: a panic while reading
//! a delivery quarantines it and the server serves on over the same connection, one while authenticating is
//! `500`, and `quarantine replay` recovers the delivery; a panic outside a delivery (the SQLite writer thread)
//! ends the process instead of leaving it answering 503 forever.

use crate::common::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rollcall::Kind;
use rollcall::fault::{HEADER, PANIC_IN_WRITER};
use rollcall_testkit::deliveries::{WixSigner, body, fixture};
use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn delivery(kind: Kind, fault: &str) -> Delivery {
    let mut delivery = Delivery::new(kind, body(kind, &WixSigner::new()));
    if !fault.is_empty() {
        delivery.headers.push((HEADER, fault.to_owned()));
    }
    delivery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_quarantines_what_a_bug_stops_serves_on_and_replay_recovers_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &["--dev"], &[]);
    // One client, one kept-alive connection: the panics do not close it.
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build_http::<Full<Bytes>>();
    for kind in [
        Kind::OmerloParticipantCreated,
        Kind::MightyNetworksRsvpCreated,
        Kind::WixParticipationCreated,
        Kind::CalendlyInviteeCreated,
    ] {
        let (status, answer) = post(&client, &server.url, &delivery(kind, "panic-in-read")).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("quarantined")),
            "{kind}: {answer}"
        );
        assert!(
            answer["reason"]
                .as_str()
                .unwrap()
                .contains("internal error"),
            "{answer}"
        );
        let (status, answer) = post(
            &client,
            &server.url,
            &delivery(kind, "panic-in-authenticate"),
        )
        .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (500, Some("internal_error")),
            "{kind}"
        );
    }
    let (status, _) = post(&client, &server.url, &delivery(Kind::WixGuestCreated, "")).await;
    assert_eq!(status, 200, "the server serves on");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server lives on"
    );
    let logs = server.logs.lock().unwrap().join("\n");
    assert_eq!(
        logs.matches("\"quarantined_internal_error\"").count(),
        4,
        "{logs}"
    );
    assert_eq!(logs.matches("panic_at").count(), 8, "{logs}");
    assert!(
        !logs.contains("fault injection"),
        "the panic message is not logged: {logs}"
    );
    drop(server);
    // Replay trusts a record only with its provider's key: these are `--dev`'s sample keys.
    let replay = rollcall_with(
        dir.path(),
        &["quarantine", "replay"],
        &rollcall::config::SAMPLE_SECRETS,
    );
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert_eq!(
        drain(dir.path(), &[], &[]).len(),
        5,
        "four replayed and the Wix guest"
    );
    assert!(drain(dir.path(), &["--quarantine"], &[]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_sqlite_writer_ends_serve_instead_of_answering_503_forever() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &["--dev"], &[]);
    let kind = Kind::MightyNetworksRsvpCreated;
    let mut doomed = fixture("mighty-networks-rsvp-created.json");
    doomed["event_id"] = PANIC_IN_WRITER.into();
    let doomed = Delivery::new(kind, doomed.to_string().into_bytes());
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let answers = load(&server.url, Arc::new(vec![doomed]), 1).await;
    assert_ne!(answers[0].0, 200, "nothing was stored: {answers:?}");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after the writer died"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(6), "aborted (SIGABRT): {status}");
    let (status, _) = post(&client, &server.url, &delivery(kind, "")).await;
    assert_eq!(
        status, 0,
        "nobody answers: the provider retries elsewhere or later"
    );
    let logs = server.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("panicked"),
        "the usual report before the abort: {logs}"
    );
}
