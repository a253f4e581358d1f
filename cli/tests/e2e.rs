//! End to end, as a user runs it: `rollcall serve` as a real process, `rollcall send events/`, then
//! `rollcall queue drain` and `stats`, with every drained message checked against the contract. Also: Ctrl-C /
//! SIGTERM shutdown, durability across `kill -9`, `--help` everywhere, and one-line errors.

use rollcall::{Kind, Message};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ROLLCALL: &str = env!("CARGO_BIN_EXE_rollcall");

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn rollcall(dir: &Path, args: &[&str]) -> Output {
    Command::new(ROLLCALL)
        .args(args)
        .current_dir(dir)
        .env_remove("ROLLCALL_QUEUE")
        .env_remove("OMERLO_API_KEY")
        .env_remove("MIGHTY_NETWORKS_API_KEY")
        .env_remove("WIX_PUBLIC_KEY")
        .output()
        .expect("rollcall runs")
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rollcall serve` on a free port and waits until it says where it listens.
fn serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(ROLLCALL);
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir)
        .env_remove("ROLLCALL_QUEUE")
        .env_remove("OMERLO_API_KEY")
        .env_remove("MIGHTY_NETWORKS_API_KEY")
        .env_remove("WIX_PUBLIC_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("serve says where it listens").unwrap();
        if let Some(rest) = line.split("on http://").nth(1) {
            break format!(
                "http://{}",
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches(',')
            );
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

fn drain(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["queue", "drain"];
    args.extend_from_slice(extra);
    let out = rollcall(dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn event_files(expect: &str) -> usize {
    std::fs::read_dir(events_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && name != "env.json")
        .filter(|name| match expect {
            "queued" => name.matches('.').count() == 1,
            other => name.contains(&format!(".{other}.")),
        })
        .count()
}

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

    let messages = drain(dir.path(), &[]);
    assert_eq!(messages.len(), event_files("queued"));
    let mut kinds = std::collections::BTreeSet::new();
    for body in &messages {
        let message = Message::from_body(body).expect("every message reads as the contract");
        message.payload().expect("and its original as its kind");
        assert_eq!(
            message.to_body(),
            *body,
            "the contract round-trips byte for byte"
        );
        kinds.insert(message.kind);
    }
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind is in the queue");
    assert_eq!(
        drain(dir.path(), &["--quarantine"]).len(),
        event_files("quarantined")
    );
    let stats = rollcall(dir.path(), &["queue", "stats"]);
    assert_eq!(
        String::from_utf8_lossy(&stats.stdout).trim(),
        r#"{"messages":0,"quarantine":0}"#
    );

    // Replaying the same files: duplicates are answered 200 and stored no second time.
    let again = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    assert!(again.status.success());
    assert_eq!(drain(dir.path(), &[]).len(), 0);
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
    assert_eq!(drain(dir.path(), &[]).len(), event_files("queued"));
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

#[test]
fn serve_and_drain_through_sqs() {
    let Ok(endpoint) = std::env::var("ROLLCALL_TEST_AWS_ENDPOINT") else {
        assert!(
            std::env::var_os("ROLLCALL_TEST_REQUIRE_AWS").is_none(),
            "no ROLLCALL_TEST_AWS_ENDPOINT"
        );
        eprintln!("skipped: no ROLLCALL_TEST_AWS_ENDPOINT (scripts/test starts one)");
        return;
    };
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let account = format!("{endpoint}/123456789012");
    let (fifo, quarantine) = (
        format!("{account}/cli-{unique}.fifo"),
        format!("{account}/cli-q-{unique}"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(&endpoint)
            .build();
        let client = aws_sdk_sqs::Client::from_conf(config);
        client
            .create_queue()
            .queue_name(format!("cli-{unique}.fifo"))
            .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .unwrap();
        client
            .create_queue()
            .queue_name(format!("cli-q-{unique}"))
            .send()
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("ROLLCALL_QUEUE", fifo.as_str()),
        ("ROLLCALL_QUARANTINE_QUEUE", quarantine.as_str()),
    ];
    let server = serve(dir.path(), &["--dev"], &env);
    let sent = rollcall(
        dir.path(),
        &["send", events_dir().to_str().unwrap(), "--to", &server.url],
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    let read = |quarantined: bool| {
        let mut command = Command::new(ROLLCALL);
        command.args([
            "queue",
            "drain",
            "--queue",
            &fifo,
            "--quarantine-queue",
            &quarantine,
        ]);
        if quarantined {
            command.arg("--quarantine");
        }
        for (key, value) in &env[..3] {
            command.env(key, value);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    assert_eq!(read(false), event_files("queued"));
    assert_eq!(read(true), event_files("quarantined"));
}
