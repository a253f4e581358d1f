//! A lost queue file is never answered 200: the SQLite file (or its write-ahead log) deleted or replaced while
//! `rollcall serve` runs makes every later delivery a 503 with an ERROR log line, until a restart. The file is
//! never recreated.

use crate::common::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::path::Path;
use std::time::{Duration, Instant};

fn lose(how: &str, queue: &Path) {
    let wal = queue.with_file_name("queue.db-wal");
    match how {
        "delete the file" => std::fs::remove_file(queue).unwrap(),
        "delete its log" => std::fs::remove_file(wal).unwrap(),
        "replace the file" => {
            let copy = queue.with_file_name("copy.db");
            std::fs::copy(queue, &copy).unwrap();
            std::fs::rename(&copy, queue).unwrap();
        }
        other => unreachable!("{other}"),
    }
}

/// Waits (up to a generous bound) for a log line with `needle`.
fn wait_for_log(server: &Server, needle: &str) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if server
            .logs
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains(needle))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_queue_file_is_503_with_an_error_until_restart() {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    for how in ["delete the file", "delete its log", "replace the file"] {
        let dir = tempfile::tempdir().unwrap();
        let queue = dir.path().join(".rollcall/queue.db");
        let deliveries = unique_deliveries(8);
        let server = serve(dir.path(), &["--dev"], &[]);
        assert_eq!(post(&client, &server.url, &deliveries[0]).await.0, 200);

        lose(how, &queue);
        for delivery in &deliveries[1..] {
            let (status, body) = post(&client, &server.url, delivery).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (503, Some("queue_unavailable")),
                "{how}: {body}"
            );
        }
        // A retry of what was stored before is no exception.
        assert_eq!(post(&client, &server.url, &deliveries[0]).await.0, 503);
        assert!(
            wait_for_log(&server, r#""level":"ERROR""#),
            "{how}: {:?}",
            server.logs.lock().unwrap()
        );
        let errors = server
            .logs
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(r#""level":"ERROR""#) && l.contains("queue.db"))
            .count();
        assert!(errors >= 1, "{how}");
        if how == "delete the file" {
            assert!(!queue.exists(), "never recreated");
        }
        drop(server);

        // A restart opens what is at the path now, and deliveries are stored again.
        let server = serve(dir.path(), &["--dev"], &[]);
        assert_eq!(post(&client, &server.url, &deliveries[1]).await.0, 200);
    }
}
