//! The queue tools work when they are most needed: `queue stats` and `queue peek` read a queue file on a
//! read-only mount and on a full disk, after a clean stop and after `kill -9`, and take nothing; `peek` refuses
//! SQS. The read-only and full-disk cases mount a read-only bind and a small tmpfs, which needs root; without
//! it the read-only case falls back to file modes, and a case that cannot be set up says so and is skipped.
#![cfg(unix)]

use crate::common::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rollcall::Kind;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const MESSAGES: usize = 5;

/// A mount made for one test; unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn new(args: &[&str], target: &Path) -> Option<Mount> {
        std::fs::create_dir_all(target).unwrap();
        let out = Command::new("mount").args(args).arg(target).output().ok()?;
        if out.status.success() {
            Some(Mount(target.to_owned()))
        } else {
            eprintln!(
                "cannot mount ({}): {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.0).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// How the server left the queue: stopped cleanly (the file alone), or killed (the file, its log and index).
#[derive(Debug, Clone, Copy)]
enum Left {
    Stopped,
    Killed,
}

/// Runs `rollcall serve` on the queue file `queue`, stores `MESSAGES` messages and one quarantined delivery,
/// and stops it as `left` says.
async fn fill(dir: &Path, queue: &Path, left: Left) {
    let server = serve(dir, &["--dev", "--queue", queue.to_str().unwrap()], &[]);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let mut deliveries = unique_deliveries(MESSAGES);
    deliveries.push(Delivery::new(
        Kind::OmerloParticipantCreated,
        b"{\"not\": \"a participant\"}".to_vec(),
    ));
    for delivery in &deliveries {
        let (status, body) = post(&client, &server.url, delivery).await;
        assert_eq!(status, 200, "{body}");
    }
    let signal = match left {
        Left::Stopped => "-TERM",
        Left::Killed => "-KILL",
    };
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut server = server;
    server.child.wait().unwrap();
}

fn tool(dir: &Path, queue: &Path, args: &[&str]) -> (String, String) {
    let mut all = args.to_vec();
    all.extend(["--queue", queue.to_str().unwrap()]);
    let out = rollcall(dir, &all);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

/// `stats` and `peek` read everything, and nothing is taken.
fn check_tools(dir: &Path, queue: &Path, case: &str) {
    let stats = r#"{"messages":5,"quarantine":1}"#;
    assert_eq!(
        tool(dir, queue, &["queue", "stats"]).0.trim(),
        stats,
        "{case}"
    );
    let (peeked, said) = tool(dir, queue, &["queue", "peek"]);
    let bodies: Vec<&str> = peeked.lines().collect();
    assert_eq!(bodies.len(), MESSAGES, "{case}: {said}");
    for body in &bodies {
        rollcall::Message::from_body(body).expect("a message body, as drain prints it");
    }
    let (first, _) = tool(dir, queue, &["queue", "peek", "--limit", "2"]);
    assert_eq!(first.lines().collect::<Vec<_>>(), bodies[..2], "{case}");
    let (quarantined, _) = tool(dir, queue, &["queue", "peek", "--quarantine"]);
    assert_eq!(quarantined.lines().count(), 1, "{case}");
    assert!(quarantined.contains("\"reason\""), "{case}");
    assert_eq!(
        tool(dir, queue, &["queue", "stats"]).0.trim(),
        stats,
        "{case}"
    );
}

/// Whether `dir` refuses a new file.
fn refuses_writes(dir: &Path) -> bool {
    std::fs::File::create(dir.join("probe")).is_err()
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_and_peek_work_on_a_read_only_queue() {
    for left in [Left::Stopped, Left::Killed] {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("queue");
        fill(dir.path(), &folder.join("queue.db"), left).await;
        let view = dir.path().join("read-only");
        let mount = Mount::new(&["-o", "bind,ro", folder.to_str().unwrap()], &view);
        let readable = if mount.is_some() {
            view.clone()
        } else {
            set_modes(&folder, 0o500, 0o400);
            folder.clone()
        };
        if refuses_writes(&readable) {
            check_tools(dir.path(), &readable.join("queue.db"), &format!("{left:?}"));
        } else {
            eprintln!(
                "skipped ({left:?}): cannot make a read-only folder here (root without mount)"
            );
        }
        drop(mount);
        set_modes(&folder, 0o700, 0o600);
    }
}

fn set_modes(folder: &Path, dir: u32, file: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(file)).unwrap();
    }
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(dir)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_and_peek_work_on_a_full_disk() {
    for left in [Left::Stopped, Left::Killed] {
        let dir = tempfile::tempdir().unwrap();
        let disk = dir.path().join("disk");
        let Some(mount) = Mount::new(&["-t", "tmpfs", "-o", "size=4m", "tmpfs"], &disk) else {
            eprintln!("skipped ({left:?}): mounting a small tmpfs needs root");
            return;
        };
        let queue = disk.join("queue.db");
        fill(dir.path(), &queue, left).await;
        // Fill what is left of the disk.
        let mut filler = std::fs::File::create(disk.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while filler.write_all(&chunk).is_ok() {}
        drop(filler);
        assert!(
            std::fs::File::create(disk.join("one-more"))
                .and_then(|mut f| f.write_all(&chunk))
                .is_err()
        );
        check_tools(dir.path(), &queue, &format!("{left:?}"));
        drop(mount);
    }
}

#[test]
fn peek_refuses_sqs_and_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let out = rollcall(dir.path(), &["queue", "peek", "--help"]);
    assert!(out.status.success());
    let out = rollcall(
        dir.path(),
        &[
            "queue",
            "peek",
            "--queue",
            "http://127.0.0.1:9/000000000000/q.fifo",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("receive limit"),
        "{stderr}"
    );
    // Nothing to read is said, and nothing is created.
    let out = rollcall(dir.path(), &["queue", "peek"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join(".rollcall").exists());
}
