//! Issue 26's smaller leaks through `rollcall serve`: what an unauthenticated request can put in the logs and
//! answers, an out-of-range body limit, padded Wix tokens in the quarantine, and deliveries refused from their
//! headers before their body is read.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends `raw` on a new connection to `server` and reads until the server closes it or 10 s pass.
fn exchange(server: &Server, raw: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.url.trim_start_matches("http://")).unwrap();
    stream.write_all(raw).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

/// The server's log lines once one contains `text` (all of them after 10 s).
fn logs_with(server: &Server, text: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = server.logs.lock().unwrap().clone();
        if logs.iter().any(|l| l.contains(text)) || Instant::now() > deadline {
            return logs;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_refused_path_reaches_logs_and_answers_percent_encoded_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    // NEL, C1 CSI, U+2028, a bidi override, as UTF-8 in the request target, then a long tail.
    let spoof = "/x\u{85}\u{9b}31m\u{2028}\u{202e}fake-log-line".to_owned() + &"y".repeat(4000);
    let mut request = b"POST ".to_vec();
    request.extend_from_slice(spoof.as_bytes());
    request.extend_from_slice(
        b" HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let answer = exchange(&server, &request);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(
        answer.contains("/x%C2%85%C2%9B31m%E2%80%A8%E2%80%AEfake-log-line"),
        "{answer}"
    );
    let logs = logs_with(&server, "not_found");
    let line = logs
        .iter()
        .find(|l| l.contains("not_found"))
        .expect("the 404 is logged");
    assert!(
        line.contains("/x%C2%85%C2%9B31m%E2%80%A8%E2%80%AE"),
        "{line}"
    );
    for raw in ['\u{85}', '\u{9b}', '\u{2028}', '\u{202e}'] {
        assert!(!line.contains(raw), "{line}");
        assert!(!answer.contains(raw), "{answer}");
    }
    assert!(!line.contains(&"y".repeat(300)), "the path is cut: {line}");
}

/// `ROLLCALL_MAX_BODY_BYTES=18446744073709551615` made `limit + 1` wrap to 0: every body read as empty, and an
/// Omerlo delivery was quarantined without its body. A limit above what a queue message holds stops the server
/// at its start, naming the variable; the largest accepted still reads a body whole.
#[test]
fn an_out_of_range_body_limit_stops_serve_at_its_start() {
    let (status, stderr) = serve_exit(
        &["--dev"],
        &[("ROLLCALL_MAX_BODY_BYTES", "18446744073709551615")],
    );
    assert!(!status.success());
    assert!(
        stderr.contains("ROLLCALL_MAX_BODY_BYTES") && stderr.contains("18446744073709551615"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let server = serve(
        dir.path(),
        &["--dev"],
        &[("ROLLCALL_MAX_BODY_BYTES", "186240")],
    );
    let delivery = unique_deliveries(1).remove(0);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, body) =
        runtime.block_on(load(&server.url, std::sync::Arc::new(vec![delivery]), 1))[0].clone();
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("queued")),
        "{body}"
    );
}

/// A captured Wix token posted with different whitespace around it is one delivery: the quarantine keeps one
/// record of it, the token alone. More than a little whitespace, or another whitespace character (U+000B made a
/// 771 KB row of one post), is refused with `401` and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padded_repeats_of_a_wix_token_are_quarantined_once() {
    use rollcall::Kind;
    use rollcall_testkit::deliveries::{WixSigner, body};
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    // Authentic, but of another kind than its route: quarantined.
    let token = body(Kind::WixParticipationUpdated, &WixSigner::new());
    let post = |padded: Vec<u8>| Delivery::new(Kind::WixParticipationCreated, padded);
    let mut accepted = Vec::new();
    for (before, after) in [
        ("", ""),
        ("", "\n"),
        ("", "\r\n"),
        (" ", " "),
        ("\r\n", "\r\n"),
    ] {
        accepted.push(post([before.as_bytes(), &token, after.as_bytes()].concat()));
    }
    for answer in load(&server.url, std::sync::Arc::new(accepted), 1).await {
        assert_eq!(answer.1["status"], "quarantined", "{answer:?}");
    }
    let refused: Vec<Delivery> = [&b"\x0b"[..], b"\xc2\xa0", b"     ", b"\x0c"]
        .into_iter()
        .map(|padding| post([&token, padding].concat()))
        .collect();
    for answer in load(&server.url, std::sync::Arc::new(refused), 1).await {
        assert_eq!(answer.0, 401, "{answer:?}");
    }
    drop(server);
    let peek = rollcall(dir.path(), &["queue", "peek", "--quarantine"]);
    let records: Vec<serde_json::Value> = String::from_utf8(peek.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["body"].as_str().unwrap().as_bytes(), token);
}

/// `queue peek` into a pager that reads nothing kept its read snapshot open, so the server's checkpoints could not
/// empty the write-ahead log, which grew with every commit. Peek reads a page into memory and ends its statement
/// before writing: behind a stalled peek, a checkpoint still takes the whole log, commits made after the peek
/// began included. (Measured by the checkpoint, not by the log's size, which also depends on how the server's
/// checkpoints and commits interleave on a busy machine.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_peek_holds_no_read_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let deliveries = unique_deliveries(400);
    let (first, second) = deliveries.split_at(200);
    load(&server.url, std::sync::Arc::new(first.to_vec()), 1).await;
    // A pager that reads nothing: peek fills the pipe and waits.
    let mut peek = std::process::Command::new(ROLLCALL)
        .args(["queue", "peek"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        peek.try_wait().unwrap().is_none(),
        "peek waits on its stdout"
    );
    load(&server.url, std::sync::Arc::new(second.to_vec()), 1).await;
    // The server is idle now: a checkpoint copies every frame of the log unless a reader's snapshot holds some.
    let db = rusqlite::Connection::open(dir.path().join(".rollcall/queue.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (log, checkpointed) = loop {
        let (log, checkpointed): (i64, i64) = db
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .unwrap();
        if log == checkpointed || Instant::now() > deadline {
            break (log, checkpointed);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let waiting = peek.try_wait().unwrap().is_none();
    let _ = peek.kill();
    let _ = peek.wait();
    assert!(waiting, "peek still waits on its stdout");
    assert_eq!(
        checkpointed, log,
        "behind a stalled peek, a checkpoint copied {checkpointed} of the log's {log} frames"
    );
}

/// Omerlo and Mighty Networks authenticate by header, and Calendly's signature header has a form: a delivery
/// with a wrong key or a malformed signature is refused from its head, at once, before any of its body is read (here the body never comes; it used to be waited for until the body
/// timeout, then read whole).
#[test]
fn wrong_api_keys_are_refused_before_the_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    for (route, credential) in [
        ("/webhooks/omerlo/participant-created", "X-Api-Key: wrong"),
        (
            "/webhooks/mighty-networks/rsvp-created",
            "Authorization: Bearer wrong",
        ),
        (
            "/webhooks/calendly/invitee-created",
            "Calendly-Webhook-Signature: t=now,v1=wrong",
        ),
    ] {
        let head = format!(
            "POST {route} HTTP/1.1\r\nHost: a\r\n{credential}\r\nContent-Type: application/json\r\n\
             Content-Length: 100000\r\n\r\n"
        );
        let started = Instant::now();
        let answer = String::from_utf8_lossy(&exchange(&server, head.as_bytes())).into_owned();
        assert!(answer.starts_with("HTTP/1.1 401"), "{route}: {answer:?}");
        assert!(
            answer.to_lowercase().contains("connection: close"),
            "{answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{route}");
    }
}
