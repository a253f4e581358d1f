//! The SQLite queue's own tests (they read its tables and files directly).

use super::*;

#[tokio::test]
async fn commits_reach_the_database_file_through_the_checkpointer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    // 8 MiB: twice SQLite's automatic checkpoint threshold, which the writer does not use.
    let body = "x".repeat(4096);
    for i in 0..2048 {
        let body = body.clone();
        let key = ("test".to_owned(), i.to_string());
        let stored = queue
            .submit(|done| Job::Quarantine { key, body, done })
            .await;
        assert!(matches!(stored, Ok(Published::Stored)));
    }
    let database_size = || std::fs::metadata(&path).unwrap().len();
    for _ in 0..200 {
        if database_size() > 8 << 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(database_size() > 8 << 20, "{} bytes", database_size());
    drop(queue);
}

fn message(source: &str, id: &str) -> Message {
    let change = crate::message::Change {
        id: id.into(),
        source: source.into(),
        subject: "participant/1".into(),
        time: None,
        event: None,
        person: None,
        participation: None,
        sequence: None,
        changed_at: None,
        anonymize_request: None,
        original: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
    };
    Message::build(
        crate::Kind::OmerloParticipantCreated,
        change,
        crate::message::UtcTime::now(),
    )
}

/// The schema of the first version, which de-duplicated on `id` alone.
const FIRST_VERSION_SCHEMA: &str = "
    CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT NOT NULL,
        message_type TEXT NOT NULL, group_id TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE quarantine (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL,
        enqueued_at INTEGER NOT NULL, visible_at INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE dedup (id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX dedup_seen_at ON dedup (seen_at);
    PRAGMA journal_mode = WAL;
";

#[tokio::test]
async fn the_same_id_from_two_sources_is_two_messages() {
    let dir = tempfile::tempdir().unwrap();
    let queue = SqliteQueue::open(&dir.path().join("q.db"), DEFAULT_DEDUP_WINDOW).unwrap();
    let a = queue.publish(&message("/a", "1")).await.unwrap();
    let b = queue.publish(&message("/b", "1")).await.unwrap();
    let again = queue.publish(&message("/a", "1")).await.unwrap();
    assert_eq!(
        (a, b, again),
        (Published::Stored, Published::Stored, Published::Duplicate)
    );
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 2);
}

#[tokio::test]
async fn a_first_version_file_is_migrated_and_its_ids_stay_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let old = Connection::open(&path).unwrap();
    old.execute_batch(FIRST_VERSION_SCHEMA).unwrap();
    old.execute(
        "INSERT INTO dedup (id, seen_at) VALUES ('seen', ?1), ('expired', 0)",
        [now_ms()],
    )
    .unwrap();
    old.execute(
        "INSERT INTO messages (id, body, message_type, group_id, enqueued_at) VALUES ('seen', '{}', 't', 'g', 1)",
        [],
    )
    .unwrap();
    drop(old);

    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 1, "kept");
    // A retry of what the first version stored, from any source, is still a duplicate until it expires.
    for source in ["/a", "/b"] {
        let retry = queue.publish(&message(source, "seen")).await.unwrap();
        assert_eq!(retry, Published::Duplicate, "{source}");
    }
    let expired = queue.publish(&message("/a", "expired")).await.unwrap();
    assert_eq!(expired, Published::Stored);
    let a = queue.publish(&message("/a", "new")).await.unwrap();
    let b = queue.publish(&message("/b", "new")).await.unwrap();
    assert_eq!((a, b), (Published::Stored, Published::Stored));
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 4);
    drop(queue);
    // Opening the migrated file again changes nothing.
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    let again = queue.publish(&message("/b", "new")).await.unwrap();
    assert_eq!(again, Published::Duplicate);
}

#[tokio::test]
async fn the_same_delivery_to_the_same_route_is_quarantined_once() {
    let dir = tempfile::tempdir().unwrap();
    let queue = SqliteQueue::open(&dir.path().join("q.db"), DEFAULT_DEDUP_WINDOW).unwrap();
    let record = |kind, body: &[u8], at: &str| {
        QuarantineRecord::new(kind, "r".into(), at.into(), &http::HeaderMap::new(), body)
    };
    let kind = crate::Kind::OmerloParticipantCreated;
    for i in 0..50 {
        let at = format!("2026-01-01T00:00:{i:02}Z");
        queue.quarantine(&record(kind, b"{", &at)).await.unwrap();
    }
    queue.quarantine(&record(kind, b"{}", "t")).await.unwrap();
    let other = crate::Kind::OmerloParticipantRemoved;
    queue.quarantine(&record(other, b"{", "t")).await.unwrap();
    assert_eq!(queue.count(Lane::Quarantine).await.unwrap(), 3);
}

#[tokio::test]
async fn a_deleted_or_replaced_file_fails_every_later_write() {
    for lose in ["delete", "delete-wal", "delete-shm", "replace"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
        queue.publish(&message("/a", "before")).await.unwrap();
        let wal = dir.path().join("q.db-wal");
        match lose {
            "delete" => std::fs::remove_file(&path).unwrap(),
            "delete-wal" => std::fs::remove_file(&wal).unwrap(),
            "delete-shm" => std::fs::remove_file(dir.path().join("q.db-shm")).unwrap(),
            _ => {
                std::fs::copy(&path, dir.path().join("copy")).unwrap();
                std::fs::rename(dir.path().join("copy"), &path).unwrap();
            }
        }
        for i in 0..3 {
            let result = queue.publish(&message("/a", &i.to_string())).await;
            assert!(
                matches!(&result, Err(QueueError::Unavailable(why)) if why.contains("q.db")),
                "{lose}: {result:?}"
            );
        }
        assert_eq!(path.exists(), lose != "delete", "{lose}: never recreated");
    }
}

#[tokio::test]
async fn the_reader_sees_what_is_still_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    // A writer that never checkpoints holds the rows in the log only.
    let writer = connect(&path).unwrap();
    writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    for i in 0..3 {
        writer
            .execute(
                "INSERT INTO messages (id, body, message_type, group_id, enqueued_at) VALUES (?1, ?1, 't', 'g', 1)",
                [i.to_string()],
            )
            .unwrap();
    }
    let reader = QueueReader::open(&path).unwrap();
    assert_eq!(reader.count(Lane::Messages).unwrap(), 3);
    let mut bodies = Vec::new();
    let peeked = reader
        .peek(Lane::Messages, Some(2), |body| {
            bodies.push(body.to_owned());
            Ok::<_, QueueError>(())
        })
        .unwrap();
    assert_eq!((peeked, bodies), (2, vec!["0".to_owned(), "1".to_owned()]));
    assert_eq!(
        queue.count(Lane::Messages).await.unwrap(),
        3,
        "nothing taken"
    );
    assert!(QueueReader::open(&dir.path().join("missing.db")).is_err());
    assert!(!dir.path().join("missing.db").exists(), "nothing created");
}
