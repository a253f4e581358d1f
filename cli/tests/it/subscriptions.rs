//! `rollcall subscription` and the queue tools' `--subscription`: subscriptions are added, listed and removed
//! from the command line (a bad name or filter policy refused with exit status 2, `default` kept), a running
//! `serve` applies them without a restart, each subscription gets its own copy of what is published while it
//! exists (and nothing published before), and `--subscription` is refused on SQS.

use crate::common::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// `rollcall ARGS` on the queue file `queue.db` of `dir`.
fn tool(dir: &Path, args: &[&str]) -> Output {
    rollcall_with(dir, args, &[("ROLLCALL_QUEUE", "queue.db")])
}

/// `rollcall ARGS`, which must succeed: its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = tool(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `rollcall ARGS`, which must fail with `code`: its standard error.
fn refused(dir: &Path, args: &[&str], code: i32) -> String {
    let out = tool(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

/// `subscription list`: (name, waiting) per line.
fn listed(dir: &Path) -> Vec<(String, u64)> {
    ok(dir, &["subscription", "list"])
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap();
            (
                line["name"].as_str().unwrap().to_owned(),
                line["waiting"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The message ids `queue drain ARGS` prints.
fn drained_ids(dir: &Path, args: &[&str]) -> Vec<String> {
    drain(dir, args, &[("ROLLCALL_QUEUE", "queue.db")])
        .iter()
        .map(|body| serde_json::from_str::<Value>(body).unwrap()["id"].to_string())
        .collect()
}

#[test]
fn subscriptions_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    // The file is created when absent, with its default subscription.
    let list = ok(dir.path(), &["subscription", "list"]);
    assert_eq!(
        serde_json::from_str::<Value>(list.trim()).unwrap(),
        serde_json::json!({"name": "default", "filter_policy": null, "scope": "MessageAttributes", "waiting": 0})
    );
    assert!(dir.path().join("queue.db").exists());

    ok(dir.path(), &["subscription", "add", "crm"]);
    ok(dir.path(), &["subscription", "add", "mail_tool-2"]);
    let exists = refused(dir.path(), &["subscription", "add", "crm"], 1);
    assert!(exists.contains("exists already"), "{exists}");
    assert_eq!(
        listed(dir.path()),
        [
            ("crm".into(), 0),
            ("default".into(), 0),
            ("mail_tool-2".into(), 0)
        ]
    );

    for bad in ["with space", "dot.ted", &"x".repeat(81)] {
        let stderr = refused(dir.path(), &["subscription", "add", bad], 2);
        assert!(stderr.contains("bad subscription name"), "{stderr}");
    }
    let stderr = refused(dir.path(), &["subscription", "remove", "default"], 1);
    assert!(stderr.contains("cannot be removed"), "{stderr}");
    let stderr = refused(dir.path(), &["subscription", "remove", "nope"], 1);
    assert!(stderr.contains("no subscription named `nope`"), "{stderr}");

    ok(dir.path(), &["subscription", "remove", "crm"]);
    assert_eq!(
        listed(dir.path()),
        [("default".into(), 0), ("mail_tool-2".into(), 0)]
    );
}

#[test]
fn the_subscription_commands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["subscription", "--help"][..],
        &["subscription", "add", "--help"],
        &["subscription", "list", "--help"],
        &["subscription", "remove", "--help"],
        &["queue", "peek", "--help"],
    ] {
        let out = tool(dir.path(), args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("Usage"), "{args:?}");
    }
    let add =
        String::from_utf8(tool(dir.path(), &["subscription", "add", "--help"]).stdout).unwrap();
    assert!(
        add.contains("--filter <FILE>") && add.contains("--scope"),
        "{add}"
    );
}

#[test]
fn a_malformed_or_unsupported_filter_policy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (file, policy) in [
        ("malformed.json", r#"{"type": ["#),
        ("cidr.json", r#"{"source": [{"cidr": "10.0.0.0/24"}]}"#),
        ("unknown.json", r#"{"type": [{"wildcard": "com.*"}]}"#),
    ] {
        std::fs::write(dir.path().join(file), policy).unwrap();
        let stderr = refused(
            dir.path(),
            &["subscription", "add", "crm", "--filter", file],
            2,
        );
        assert!(
            stderr.starts_with("error: filter policy refused")
                && stderr.trim().lines().count() == 1,
            "{file}: {stderr}"
        );
    }
    let stderr = refused(
        dir.path(),
        &["subscription", "add", "crm", "--filter", "missing.json"],
        1,
    );
    assert!(stderr.contains("missing.json"), "{stderr}");
    // A scope without a filter is a usage error.
    refused(
        dir.path(),
        &["subscription", "add", "crm", "--scope", "body"],
        2,
    );
    assert_eq!(listed(dir.path()), [("default".into(), 0)], "nothing added");
}

#[test]
fn subscriptions_and_subscription_reads_are_refused_on_sqs() {
    let dir = tempfile::tempdir().unwrap();
    let sqs = "http://127.0.0.1:9/queue.fifo";
    for args in [
        &["subscription", "list", "--queue", sqs][..],
        &["subscription", "add", "crm", "--queue", sqs],
        &["queue", "drain", "--subscription", "crm", "--queue", sqs],
        &["queue", "stats", "--subscription", "crm", "--queue", sqs],
    ] {
        let stderr = refused(dir.path(), args, 1);
        assert!(stderr.contains("queue of its own"), "{args:?}: {stderr}");
    }
    let stderr = refused(dir.path(), &["queue", "drain", "--subscription", "nope"], 1);
    assert!(stderr.contains("no subscription named `nope`"), "{stderr}");
    let stderr = refused(
        dir.path(),
        &["queue", "drain", "--subscription", "crm", "--quarantine"],
        2,
    );
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_serve_applies_added_and_removed_subscriptions() {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev", "--queue", "queue.db"], &[]);
    let deliveries = unique_deliveries(4);
    let post_ok = |i: usize| {
        let (client, url, delivery) = (&client, &server.url, &deliveries[i]);
        async move {
            let (status, body) = post(client, url, delivery).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    post_ok(0).await;
    ok(dir.path(), &["subscription", "add", "crm"]);
    post_ok(1).await;
    post_ok(2).await;
    // The retry of a message already stored is stored for no one, the new subscription included.
    post_ok(1).await;

    let stats: Value =
        serde_json::from_str(ok(dir.path(), &["queue", "stats", "--subscription", "crm"]).trim())
            .unwrap();
    assert_eq!(
        stats,
        serde_json::json!({"messages": 2, "quarantine": 0, "subscription": "crm"})
    );
    let peeked = ok(dir.path(), &["queue", "peek", "--subscription", "crm"]);
    assert_eq!(peeked.lines().count(), 2);
    let stderr = refused(dir.path(), &["subscription", "remove", "crm"], 1);
    assert!(stderr.contains("2 messages wait for `crm`"), "{stderr}");

    // `crm` got what was published after it was added, and nothing from before.
    let crm = drained_ids(dir.path(), &["--subscription", "crm"]);
    assert_eq!(crm.len(), 2);
    ok(dir.path(), &["subscription", "remove", "crm"]);
    post_ok(3).await;
    assert_eq!(listed(dir.path()), [("default".into(), 4)]);
    let default = drained_ids(dir.path(), &[]);
    assert_eq!(default.len(), 4);
    assert_eq!(crm, default[1..3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filtered_subscription_gets_only_what_its_policy_takes() {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wix.json"),
        r#"{"type": [{"prefix": "com.wix."}]}"#,
    )
    .unwrap();
    ok(
        dir.path(),
        &["subscription", "add", "wix", "--filter", "wix.json"],
    );
    let listed = ok(dir.path(), &["subscription", "list"]);
    let wix: Value = serde_json::from_str(listed.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        wix,
        serde_json::json!({"name": "wix", "filter_policy": {"type": [{"prefix": "com.wix."}]},
            "scope": "MessageAttributes", "waiting": 0})
    );
    let server = serve(dir.path(), &["--dev", "--queue", "queue.db"], &[]);
    let deliveries = unique_deliveries(2 * rollcall::Kind::ALL.len());
    for delivery in &deliveries {
        let (status, body) = post(&client, &server.url, delivery).await;
        assert_eq!(status, 200, "{body}");
    }
    let types = |args: &[&str]| -> Vec<String> {
        drain(dir.path(), args, &[("ROLLCALL_QUEUE", "queue.db")])
            .iter()
            .map(|body| serde_json::from_str::<Value>(body).unwrap()["type"].to_string())
            .collect()
    };
    let all = types(&[]);
    let wix = types(&["--subscription", "wix"]);
    assert_eq!(all.len(), deliveries.len());
    let expected: Vec<_> = all
        .into_iter()
        .filter(|t| t.starts_with("\"com.wix."))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(wix, expected);
}
