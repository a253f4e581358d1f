//! The tools that take from a queue, as SQS users expect them: `drain`, `peek` and `replay` stop quietly when
//! their reader goes (`… | head`), `drain --limit` takes no more than asked, on SQS `drain` and `replay` wait for
//! the queue to stay empty a while, and `replay` trusts only what it can check: a Wix record's token is verified
//! again (all but its age), a provider's records need its key, and what it prints steers no terminal.

use crate::common::*;
use rollcall::quarantine::QuarantineRecord;
use rollcall::{Kind, Message};
use rollcall_testkit::deliveries::{
    OMERLO_KEY, SAMPLES_SIGNED_AT, WixSigner, fixture_text, kind_fixture, unique_body, wix_claims,
    wix_claims_at, wix_public_key,
};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Stores `records` in the quarantine, and `messages` unique Omerlo messages, in the SQLite queue at `queue`.
fn fill(queue: &Path, records: &[QuarantineRecord], messages: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use rollcall::queue::Queue;
        let store =
            rollcall::queue::sqlite::SqliteQueue::open(queue, Duration::from_secs(3600)).unwrap();
        for record in records {
            store.quarantine(record).await.unwrap();
        }
        let kind = Kind::OmerloParticipantCreated;
        for seq in 0..messages {
            let body = unique_body(kind, seq as u64, &WixSigner::new());
            let change = rollcall::provider::parse(kind, &body).unwrap();
            let message = Message::build(kind, change, rollcall::message::UtcTime::now());
            store.publish(&message).await.unwrap();
        }
    });
}

fn record(kind: Kind, received_at: &str, body: &[u8]) -> QuarantineRecord {
    QuarantineRecord::new(
        kind,
        "refused by an older parser".into(),
        received_at.into(),
        &http::HeaderMap::new(),
        body,
    )
}

/// Runs `rollcall ARGS` whose standard output's reader is gone before the command writes anything.
fn with_stdout_closed(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(ROLLCALL);
    command.args(args).current_dir(dir);
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("rollcall runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("rollcall ends")
}

fn stats(dir: &Path) -> String {
    let out = rollcall(dir, &["queue", "stats"]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_tools_stop_quietly_on_a_closed_pipe_and_drain_deletes_only_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join(".rollcall/queue.db");
    let kind = Kind::OmerloParticipantCreated;
    // Bodies of their own: the SQLite quarantine keeps one record per body and route.
    let records: Vec<_> = (10..13)
        .map(|seq| {
            let body = unique_body(kind, seq, &WixSigner::new());
            record(kind, "2026-11-01T00:00:00Z", &body)
        })
        .collect();
    fill(&queue, &records, 3);
    let key = [("OMERLO_API_KEY", OMERLO_KEY)];
    for args in [
        &["queue", "drain"][..],
        &["queue", "drain", "--quarantine"],
        &["queue", "peek"],
        &["queue", "peek", "--quarantine"],
        &["quarantine", "replay"],
    ] {
        let out = with_stdout_closed(dir.path(), args, &key);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), ""),
            "{args:?}"
        );
    }
    // Nothing was written by drain, so nothing was deleted; replay moved the one record it could not report, and
    // stopped.
    assert_eq!(stats(dir.path()), r#"{"messages":4,"quarantine":2}"#);
}

#[test]
fn drain_takes_no_more_than_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    fill(&dir.path().join(".rollcall/queue.db"), &[], 5);
    let taken = drain(dir.path(), &["--limit", "2"], &[]);
    assert_eq!(taken.len(), 2);
    assert_eq!(stats(dir.path()), r#"{"messages":3,"quarantine":0}"#);
    assert_eq!(drain(dir.path(), &["--limit", "0"], &[]).len(), 0);
    assert_eq!(drain(dir.path(), &[], &[]).len(), 3);
}

/// A Wix token with the header `{"alg":"none"}` and no signature.
fn unsigned_token(claims: &serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims.to_string())
    )
}

#[test]
fn replay_trusts_only_what_it_can_check_and_prints_safely() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join(".rollcall/queue.db");
    let wix = Kind::WixParticipationCreated;
    let claims = wix_claims(&kind_fixture(wix));
    let at = "2026-11-01T00:00:00Z";
    let omerlo = fixture_text("omerlo-participant-created.json");
    fill(
        &queue,
        &[
            record(Kind::OmerloParticipantCreated, at, omerlo.as_bytes()),
            // Fresh on receipt, old now: replayed.
            record(
                wix,
                at,
                WixSigner::new()
                    .sign(&wix_claims_at(&kind_fixture(wix), SAMPLES_SIGNED_AT))
                    .as_bytes(),
            ),
            // Never authentic: kept.
            record(
                wix,
                at,
                WixSigner::with_key("wix-other-key.pem")
                    .sign(&claims)
                    .as_bytes(),
            ),
            record(wix, at, unsigned_token(&claims).as_bytes()),
            // A receipt time that would steer the operator's terminal: kept, and printed escaped.
            record(
                Kind::OmerloParticipantCreated,
                "\u{1b}[2J\u{9b}31mforged",
                &unique_body(Kind::OmerloParticipantCreated, 1, &WixSigner::new()),
            ),
        ],
        0,
    );

    // Without the providers' keys nothing is replayed, and the tool says why.
    let bare = rollcall(dir.path(), &["quarantine", "replay"]);
    let said = String::from_utf8_lossy(&bare.stderr);
    assert!(bare.status.success(), "{said}");
    assert!(said.contains("replayed 0, still quarantined 5"), "{said}");
    assert!(
        said.contains("OMERLO_API_KEY is not configured")
            && said.contains("WIX_PUBLIC_KEY is not configured"),
        "{said}"
    );

    let wix_key = wix_public_key();
    let keys = [
        ("OMERLO_API_KEY", OMERLO_KEY),
        ("WIX_PUBLIC_KEY", wix_key.as_str()),
        ("WIX_MAX_TOKEN_AGE_SECS", "300"),
    ];
    let replay = rollcall_with(dir.path(), &["quarantine", "replay"], &keys);
    let said = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{said}");
    assert!(said.contains("replayed 2, still quarantined 3"), "{said}");
    assert_eq!(said.matches("does not verify").count(), 2, "{said}");
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{9b}'),
        "{said:?}"
    );
    assert!(said.contains(r"received \u001b[2J\u009b31mforged: not replayed: its received_at"));
    let replayed = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replayed.lines().count(), 2, "{replayed}");

    let messages = drain(dir.path(), &[], &[]);
    let kinds: Vec<Kind> = messages
        .iter()
        .map(|body| Message::from_body(body).unwrap().kind)
        .collect();
    assert_eq!(kinds, [Kind::OmerloParticipantCreated, wix]);
    assert_eq!(stats(dir.path()), r#"{"messages":0,"quarantine":3}"#);
}

/// Sends `body` to the SQS queue at `url` (a FIFO queue, as the quarantine is, gets a group and a
/// de-duplication id of its own).
async fn send(endpoint: &str, url: &str, body: &str) {
    let mut send = rollcall_testkit::aws::sqs(endpoint, rollcall_testkit::aws::SETUP_DEADLINE)
        .send_message()
        .queue_url(url)
        .message_body(body);
    if url.ends_with(".fifo") {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        send = send
            .message_group_id(unique.clone())
            .message_deduplication_id(unique);
    }
    send.send().await.expect("sent");
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_on_sqs_waits_for_the_queue_to_stay_empty() {
    let endpoint = endpoint();
    let (fifo, quarantine) = create_queues(&endpoint).await;
    let env = sqs_env(&endpoint, &fifo, &quarantine);
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(ROLLCALL);
    command
        .args(["queue", "drain", "--quarantine", "--wait", "4"])
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = command.spawn().expect("rollcall runs");
    // A record that arrives while drain is waiting on an empty queue.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send(&endpoint, &quarantine, r#"{"late":true}"#).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"late\":true}\n",
        "{said}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(30),
        "{took:?}"
    );
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_on_sqs_ends_and_gives_back_what_it_keeps() {
    let endpoint = endpoint();
    let (fifo, quarantine) = create_queues(&endpoint).await;
    let env = sqs_env(&endpoint, &fifo, &quarantine);
    let omerlo = fixture_text("omerlo-participant-created.json");
    let kind = Kind::OmerloParticipantCreated;
    for body in [omerlo.as_bytes(), b"{\"truncated\""] {
        let record = record(kind, "2026-11-01T00:00:00Z", body);
        send(
            &endpoint,
            &quarantine,
            &serde_json::to_string(&record).unwrap(),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let with_key = [env.as_slice(), &[("OMERLO_API_KEY", OMERLO_KEY)]].concat();
    let replay = rollcall_with(
        dir.path(),
        &["quarantine", "replay", "--wait", "2"],
        &with_key,
    );
    let said = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{said}");
    assert!(said.contains("replayed 1, still quarantined 1"), "{said}");
    // The kept record is visible again at once, not after its lease: a short poll finds it.
    let kept = drain(dir.path(), &["--quarantine", "--wait", "0"], &env);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let moved = drain(dir.path(), &["--wait", "1"], &env);
    assert_eq!(moved.len(), 1);
    assert_eq!(Message::from_body(&moved[0]).unwrap().kind, kind);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_with_a_topic_publishes_there_and_keeps_the_rest_in_the_quarantine() {
    use rollcall_testkit::topic::{FanOut, Subscription, sns, take_all};
    let endpoint = endpoint();
    let sqs = rollcall_testkit::aws::sqs(&endpoint, rollcall_testkit::aws::SETUP_DEADLINE);
    let (_, quarantine) = rollcall_testkit::aws::create_queues(&sqs).await;
    let fan_out = FanOut::create(
        &sns(&endpoint),
        &sqs,
        &[Subscription {
            name: "all",
            filter: None,
        }],
    )
    .await;
    let kind = Kind::OmerloParticipantCreated;
    let omerlo = fixture_text("omerlo-participant-created.json");
    for body in [omerlo.as_bytes(), b"{\"truncated\""] {
        let record = record(kind, "2026-11-01T00:00:00Z", body);
        send(
            &endpoint,
            &quarantine,
            &serde_json::to_string(&record).unwrap(),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    // No messages queue: the topic alone, from the functions' variable.
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("ROLLCALL_QUARANTINE_QUEUE", quarantine.as_str()),
        ("TOPIC_ARN", fan_out.topic.as_str()),
        ("OMERLO_API_KEY", OMERLO_KEY),
    ];
    let replay = rollcall_with(dir.path(), &["quarantine", "replay", "--wait", "2"], &env);
    let said = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{said}");
    assert!(said.contains("replayed 1, still quarantined 1"), "{said}");
    let moved = take_all(&sqs, &fan_out.queues[0]).await;
    assert_eq!(moved.len(), 1);
    assert_eq!(
        Message::from_body(moved[0].body().unwrap()).unwrap().kind,
        kind
    );
    assert_eq!(
        take_all(&sqs, &quarantine).await.len(),
        1,
        "the kept record"
    );
}

#[test]
fn replay_with_a_topic_needs_an_arn_and_the_sqs_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let arn = "arn:aws:sns:us-east-1:123456789012:messages.fifo";
    for (args, env, says) in [
        (
            vec![
                "--topic",
                "messages.fifo",
                "--quarantine-queue",
                "http://127.0.0.1:9/q",
            ],
            vec![],
            "TOPIC_ARN is not configured: not an SNS topic ARN",
        ),
        (
            vec![],
            vec![("TOPIC_ARN", "messages.fifo")],
            "TOPIC_ARN is not configured: not an SNS topic ARN",
        ),
        (
            vec!["--topic", arn],
            vec![],
            "--topic needs --quarantine-queue",
        ),
    ] {
        let replay = rollcall_with(
            dir.path(),
            &[&["quarantine", "replay", "--wait", "0"], &args[..]].concat(),
            &env,
        );
        let said = String::from_utf8_lossy(&replay.stderr);
        assert!(!replay.status.success(), "{args:?}");
        assert!(said.contains(says), "{args:?}: {said}");
    }
}
