//! End to end, as a user runs it: `rollcall serve` as a real process, `rollcall send events/`, then
//! `rollcall queue drain` and `stats`, with every drained message checked against the contract. Also: Ctrl-C /
//! SIGTERM shutdown, durability across `kill -9`, `--help` everywhere, and one-line errors.

use crate::common::*;
use rollcall::{Kind, Message};
use rollcall_testkit::deliveries::{CALENDLY_KEY, MIGHTY_KEY, OMERLO_KEY, sensitive_values};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn serve_send_drain_with_the_embedded_queue() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let sent = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    let report = String::from_utf8_lossy(&sent.stdout);
    assert!(sent.status.success(), "{report}");
    assert!(report.contains(" 0 failed"), "{report}");

    let messages = drain(dir.path(), &[], &[]);
    assert_eq!(messages.len(), event_files("queued"));
    let mut kinds = std::collections::BTreeSet::new();
    for body in &messages {
        let message = Message::from_body(body).expect("every message reads as the contract");
        message.payload().expect("and its original as its kind");
        assert_eq!(
            message.to_body().unwrap().into_string(),
            *body,
            "the contract round-trips byte for byte"
        );
        kinds.insert(message.kind);
    }
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind is in the queue");
    assert_eq!(
        drain(dir.path(), &["--quarantine"], &[]).len(),
        event_files("quarantined")
    );
    let stats = rollcall(dir.path(), &["queue", "stats"]);
    assert_eq!(
        String::from_utf8_lossy(&stats.stdout).trim(),
        r#"{"messages":0,"quarantine":0}"#
    );

    // No secret and no personal data in any log line of the whole replay.
    let logs = server.logs.lock().unwrap().join("\n");
    assert!(
        logs.matches("\"status\":").count() >= 20,
        "one line per request: {logs}"
    );
    let sensitive = sensitive_values();
    assert!(sensitive.len() > 8, "{sensitive:?}");
    for value in &sensitive {
        assert!(!logs.contains(value.as_str()), "the logs contain {value:?}");
    }

    // Replaying the same files: duplicates are answered 200 and stored no second time.
    let again = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    assert!(again.status.success());
    assert_eq!(drain(dir.path(), &[], &[]).len(), 0);
}

#[test]
fn send_fails_when_an_answer_differs_from_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    // No --dev and no secrets: every provider answers 503, so the valid files fail their expectation.
    let server = serve(dir.path(), &[], &[]);
    let file = events_dir().join("omerlo-participant-created.json");
    let out = rollcall(
        dir.path(),
        &["send", file.to_str().unwrap(), "--to", &server.url],
    );
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("FAIL") && report.contains("OMERLO_API_KEY"),
        "{report}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &["--dev"], &[]);
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn what_was_answered_200_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let sent = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    assert!(sent.status.success());
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    drop(server);
    assert_eq!(drain(dir.path(), &[], &[]).len(), event_files("queued"));
}

#[test]
fn every_command_has_help_and_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["send", "--help"],
        vec!["queue", "--help"],
        vec!["queue", "drain", "--help"],
        vec!["queue", "stats", "--help"],
        vec!["quarantine", "--help"],
        vec!["quarantine", "replay", "--help"],
    ] {
        let out = rollcall(dir.path(), &args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let out = rollcall(
        dir.path(),
        &["send", "no-such-file.json", "--to", "http://127.0.0.1:9"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    let out = rollcall(
        dir.path(),
        &["queue", "stats", "--queue", "/proc/no/such/dir/queue.db"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[test]
fn serve_and_drain_through_sqs() {
    let endpoint = endpoint();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (fifo, quarantine) = runtime.block_on(create_queues(&endpoint));
    let mut env = sqs_env(&endpoint, &fifo, &quarantine);
    // The loopback stand-in for SQS may be busy with other tests; this test is about the path, not the deadline.
    env.push(("ROLLCALL_QUEUE_DEADLINE_MS", "10000"));
    let dir = tempfile::tempdir().unwrap();
    // At the finest level, where the SDK logs each request and response it sends and receives (test builds keep
    // `trace`): still no secret and no personal data in the logs.
    let server = serve(
        dir.path(),
        &["--dev"],
        &[env.as_slice(), &[("ROLLCALL_LOG", "trace")]].concat(),
    );
    let sent = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    assert_eq!(drain(dir.path(), &[], &env).len(), event_files("queued"));
    assert_eq!(
        drain(dir.path(), &["--quarantine"], &env).len(),
        event_files("quarantined")
    );
    let logs = server.logs.lock().unwrap().join("\n");
    assert!(
        logs.contains("\"level\":\"TRACE\"") && logs.contains("AmazonSQS.SendMessage"),
        "the SDK's requests are logged: {logs}"
    );
    for value in &sensitive_values() {
        assert!(!logs.contains(value.as_str()), "the logs contain {value:?}");
    }
}

#[test]
fn smoke_test_against_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let key = repo().join("shared/tests/fixtures/wix-test-key.pem");
    let env = [
        ("OMERLO_API_KEY", OMERLO_KEY),
        ("MIGHTY_NETWORKS_API_KEY", MIGHTY_KEY),
        ("CALENDLY_SIGNING_KEY", CALENDLY_KEY),
    ];
    let signed = rollcall_with(
        dir.path(),
        &[
            "smoke",
            "--to",
            &server.url,
            "--wix-private-key",
            key.to_str().unwrap(),
            "--check-queue",
        ],
        &env,
    );
    let report = String::from_utf8_lossy(&signed.stdout);
    assert!(
        signed.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert!(report.contains("every smoke message arrived"), "{report}");
    assert_eq!(
        drain(dir.path(), &[], &[]).len(),
        0,
        "the smoke messages were removed"
    );
    // Without the Wix private key, the stack must refuse an unsigned Wix delivery.
    let unsigned = rollcall_with(dir.path(), &["smoke", "--to", &server.url], &env);
    assert!(
        unsigned.status.success(),
        "{}",
        String::from_utf8_lossy(&unsigned.stdout)
    );
    assert!(
        String::from_utf8_lossy(&unsigned.stdout)
            .contains("/webhooks/wix/participation-created 401")
    );
    // Without the deployment's credentials it says so in one line.
    let bare = rollcall(dir.path(), &["smoke", "--to", &server.url]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("OMERLO_API_KEY is not set"));
}

/// On AWS the smoke check reads the smoke queue, which only smoke messages reach; pointed at a queue that holds
/// other messages (the messages queue of the README before issue 27), it leaves them and says so.
#[test]
fn smoke_check_says_when_the_queue_holds_other_messages() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let real = events_dir().join("omerlo-participant-created.json");
    let sent = rollcall(
        dir.path(),
        &["send", real.to_str().unwrap(), "--to", &server.url],
    );
    assert!(sent.status.success(), "{sent:?}");
    let env = [
        ("OMERLO_API_KEY", OMERLO_KEY),
        ("MIGHTY_NETWORKS_API_KEY", MIGHTY_KEY),
        ("CALENDLY_SIGNING_KEY", CALENDLY_KEY),
    ];
    let checked = rollcall_with(
        dir.path(),
        &["smoke", "--to", &server.url, "--check-queue"],
        &env,
    );
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{report}");
    assert!(report.contains("every smoke message arrived"), "{report}");
    assert!(
        report.contains("1 message(s) other than smoke ones") && report.contains("$SmokeQueueUrl"),
        "{report}"
    );
}

#[test]
fn quarantine_replay_moves_what_parses_now() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join(".rollcall/queue.db");
    // A delivery an older parser refused, and one that still does not parse.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use rollcall::queue::Queue;
        let store =
            rollcall::queue::sqlite::SqliteQueue::open(&queue, Duration::from_secs(3600)).unwrap();
        let body =
            std::fs::read(repo().join("shared/tests/fixtures/omerlo-participant-created.json"))
                .unwrap();
        for (reason, body) in [
            ("an older parser refused it", &body[..]),
            ("truncated", &b"{\"event_name\""[..]),
        ] {
            let record = rollcall::quarantine::QuarantineRecord::new(
                Kind::OmerloParticipantCreated,
                reason.into(),
                "2026-11-01T00:00:00Z".into(),
                &http::HeaderMap::new(),
                body,
            );
            store.quarantine(&record).await.unwrap();
        }
    });
    let replay = rollcall_with(
        dir.path(),
        &["quarantine", "replay"],
        &[("OMERLO_API_KEY", OMERLO_KEY)],
    );
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(String::from_utf8_lossy(&replay.stderr).contains("replayed 1, still quarantined 1"));
    let messages = drain(dir.path(), &[], &[]);
    assert_eq!(messages.len(), 1);
    assert_eq!(
        Message::from_body(&messages[0]).unwrap().kind,
        Kind::OmerloParticipantCreated
    );
    assert_eq!(
        drain(dir.path(), &["--quarantine"], &[]).len(),
        1,
        "the unparsable one stays"
    );
}

#[tokio::test]
async fn http_edge_cases_get_json_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let omerlo =
        std::fs::read(repo().join("shared/tests/fixtures/omerlo-participant-created.json"))
            .unwrap();
    let send = |path: &str, method: &str, headers: Vec<(&str, String)>, body: Vec<u8>| {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", server.url));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let client = client.clone();
        async move {
            use http_body_util::BodyExt;
            let response = client.request(request).await.unwrap();
            let status = response.status().as_u16();
            let connection = response.headers().get("connection").cloned();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let body = serde_json::from_slice::<serde_json::Value>(&body).expect("a JSON answer");
            (status, body, connection)
        }
    };
    let key = || ("x-api-key", OMERLO_KEY.to_string());
    let route = "/webhooks/omerlo/participant-created";
    // A provider that labels JSON wrongly is still understood: the body is what counts.
    let (status, body, _) = send(
        route,
        "POST",
        vec![key(), ("content-type", "text/plain".into())],
        omerlo.clone(),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("queued")));
    let (status, _, connection) = send(route, "POST", vec![key()], vec![b'['; 200_000]).await;
    assert_eq!(status, 413);
    // The rest of that body is never read: the connection closes, and the answer says so, so that the client
    // does not reuse it for the next request.
    assert_eq!(
        connection.as_ref().map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    let (status, _, _) = send(route, "POST", vec![key(), key()], omerlo.clone()).await;
    assert_eq!(status, 401, "a repeated credential header is ambiguous");
    let (status, _, _) = send(
        route,
        "POST",
        vec![("x-api-key", "x".repeat(8_000))],
        omerlo.clone(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = send(route, "GET", vec![key()], Vec::new()).await;
    assert_eq!(status, 405);
    let (status, _, _) = send("/nope", "POST", vec![key()], omerlo).await;
    assert_eq!(status, 404);
    let (status, body, _) = send(route, "POST", vec![key()], Vec::new()).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("quarantined")),
        "an authentic empty body"
    );
}
