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

/// Dropping the last handle waits for the writer and the checkpointer: when it returns, every connection is
/// closed and the last one has removed the log and its index, so a process that exits at once leaves the file
/// alone (an exit while a thread was closing could leave a log without its index, which a read-only reader
/// cannot open). A handle for a subscription shares the threads: dropping it alone waits for nothing.
#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_last_handle_closes_the_file() {
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
        let other = queue.subscription("default").await.unwrap();
        let published = queue.publish(&message("/s", &round.to_string())).await;
        assert!(matches!(published, Ok(Published::Stored)), "{published:?}");
        drop(other);
        assert!(
            queue.publish(&message("/s", "after")).await.is_ok(),
            "the threads outlive a subscription's handle"
        );
        drop(queue);
        for suffix in ["-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            assert!(
                !std::path::Path::new(&side).exists(),
                "round {round}: {suffix} left after the last handle dropped"
            );
        }
    }
}

fn message(source: &str, id: &str) -> Message {
    message_of(crate::Kind::OmerloParticipantCreated, source, id)
}

fn message_of(kind: crate::Kind, source: &str, id: &str) -> Message {
    let change = crate::message::Change {
        id: id.into(),
        source: source.into(),
        subject: "participant/1".into(),
        time: None,
        event: None,
        person: None,
        participation: None,
        sequence: None,
        revision: None,
        changed_at: None,
        anonymize_request: None,
        original: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
    };
    Message::build(kind, change, crate::message::UtcTime::now())
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

/// The schema before subscriptions: one list of messages.
const BEFORE_SUBSCRIPTIONS_SCHEMA: &str = "
    CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT NOT NULL,
        message_type TEXT NOT NULL, group_id TEXT NOT NULL, enqueued_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE quarantine (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL,
        enqueued_at INTEGER NOT NULL, visible_at INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE dedup (source TEXT NOT NULL, id TEXT NOT NULL, seen_at INTEGER NOT NULL,
        PRIMARY KEY (source, id)) WITHOUT ROWID;
    CREATE INDEX dedup_seen_at ON dedup (seen_at);
    PRAGMA journal_mode = WAL;
";

fn name(text: &str) -> SubscriptionName {
    SubscriptionName::parse(text).unwrap()
}

/// The message bodies waiting for `subscription`, oldest first, read without taking them.
fn waiting(path: &Path, subscription: &str) -> Vec<String> {
    let reader = QueueReader::open(path)
        .unwrap()
        .subscription(subscription)
        .unwrap();
    let mut bodies = Vec::new();
    reader
        .peek(Lane::Messages, None, |body| {
            bodies.push(Message::from_body(body).unwrap().id);
            Ok::<_, QueueError>(())
        })
        .unwrap();
    bodies
}

#[tokio::test]
async fn the_default_subscription_takes_every_message_and_cannot_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    queue.publish(&message("/a", "1")).await.unwrap();
    let mut subscriptions = Subscriptions::open(&path).unwrap();
    let listed = subscriptions.list().unwrap();
    assert_eq!(
        listed,
        vec![subscriptions::SubscriptionInfo {
            name: "default".into(),
            filter_policy: None,
            scope: crate::filter::Scope::Attributes,
            waiting: 1,
        }]
    );
    let refused = subscriptions.remove(&name("default"), true);
    assert_eq!(refused, Err(SubscriptionError::Permanent));
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("cannot be removed")
    );
    // Reading `default` by name is reading the queue as before.
    let queue = queue.subscription("default").await.unwrap();
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 1);
    assert_eq!(waiting(&path, "default"), ["1"]);
}

#[tokio::test]
async fn a_file_from_before_subscriptions_keeps_its_messages_in_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let old = Connection::open(&path).unwrap();
    old.execute_batch(BEFORE_SUBSCRIPTIONS_SCHEMA).unwrap();
    for id in ["1", "2"] {
        let body = message("/a", id).to_body().unwrap().into_string();
        old.execute(
            "INSERT INTO messages (id, body, message_type, group_id, enqueued_at) VALUES (?1, ?2, 't', 'g', 1)",
            params![id, body],
        )
        .unwrap();
        old.execute(
            "INSERT INTO dedup (source, id, seen_at) VALUES ('/a', ?1, ?2)",
            params![id, now_ms()],
        )
        .unwrap();
    }
    drop(old);

    // Read as it is, before any upgrade: its messages are `default`'s, and no other subscription exists.
    assert_eq!(waiting(&path, "default"), ["1", "2"]);
    let reader = QueueReader::open(&path).unwrap();
    assert_eq!(reader.count(Lane::Messages).unwrap(), 2);
    assert_eq!(
        reader.subscription("crm").err(),
        Some(SubscriptionError::Unknown("crm".into()))
    );

    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 2);
    let received = queue.receive(Lane::Messages, 10).await.unwrap();
    let ids: Vec<_> = received
        .iter()
        .map(|r| Message::from_body(&r.body).unwrap().id)
        .collect();
    assert_eq!(ids, ["1", "2"]);
    let names: Vec<_> = Subscriptions::open(&path)
        .unwrap()
        .list()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.waiting))
        .collect();
    assert_eq!(names, [("default".to_owned(), 2)]);
    // Its de-duplication keys still hold.
    let retry = queue.publish(&message("/a", "1")).await.unwrap();
    assert_eq!(retry, Published::Duplicate);
    drop(queue);
    // Opening the upgraded file again changes nothing.
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 2);
}

#[tokio::test]
async fn subscriptions_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut subscriptions = Subscriptions::open(&path).unwrap();
    subscriptions.add(&name("crm"), None).unwrap();
    subscriptions.add(&name("Mail_tool-2"), None).unwrap();
    assert_eq!(
        subscriptions.add(&name("crm"), None),
        Err(SubscriptionError::Exists("crm".into()))
    );
    let names = |s: &Subscriptions| -> Vec<String> {
        s.list().unwrap().into_iter().map(|s| s.name).collect()
    };
    assert_eq!(names(&subscriptions), ["Mail_tool-2", "crm", "default"]);

    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    queue.publish(&message("/a", "1")).await.unwrap();
    let refused = subscriptions.remove(&name("crm"), false).unwrap_err();
    assert_eq!(
        refused,
        SubscriptionError::MessagesWaiting {
            name: "crm".into(),
            waiting: 1
        }
    );
    assert!(refused.to_string().contains("--discard"), "{refused}");
    assert_eq!(names(&subscriptions), ["Mail_tool-2", "crm", "default"]);
    assert_eq!(subscriptions.remove(&name("crm"), true), Ok(1));
    assert_eq!(subscriptions.remove(&name("Mail_tool-2"), true), Ok(1));
    assert_eq!(names(&subscriptions), ["default"]);
    assert_eq!(
        subscriptions.remove(&name("crm"), true),
        Err(SubscriptionError::Unknown("crm".into()))
    );
    assert_eq!(waiting(&path, "default"), ["1"], "default keeps its own");
    assert!(matches!(
        queue.subscription("crm").await,
        Err(SubscriptionError::Unknown(n)) if n == "crm"
    ));
}

#[test]
fn subscription_names_are_what_an_sqs_queue_name_allows() {
    for good in ["a", "crm", "Mail_tool-2", &"x".repeat(80)] {
        assert!(SubscriptionName::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "with space",
        "dot.ted",
        "slash/",
        "é",
        "quote'",
        &"x".repeat(81),
    ] {
        let refused = SubscriptionName::parse(bad).unwrap_err();
        assert_eq!(refused, SubscriptionError::BadName(bad.into()));
        assert!(refused.to_string().contains("letters, digits"), "{refused}");
    }
}

#[tokio::test]
async fn a_publish_is_stored_for_every_subscription_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut subscriptions = Subscriptions::open(&path).unwrap();
    subscriptions.add(&name("crm"), None).unwrap();
    subscriptions.add(&name("mail"), None).unwrap();
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    assert_eq!(
        queue.publish(&message("/a", "1")).await.unwrap(),
        Published::Stored
    );
    // A duplicate is stored for none.
    assert_eq!(
        queue.publish(&message("/a", "1")).await.unwrap(),
        Published::Duplicate
    );
    for subscription in ["default", "crm", "mail"] {
        assert_eq!(waiting(&path, subscription), ["1"], "{subscription}");
    }
    // Each subscription's copy is its own: taking it from one leaves the others'.
    let crm = queue.subscription("crm").await.unwrap();
    let taken = crm.receive(Lane::Messages, 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    crm.delete(Lane::Messages, &taken[0].handle).await.unwrap();
    assert_eq!(crm.count(Lane::Messages).await.unwrap(), 0);
    assert_eq!(waiting(&path, "default"), ["1"]);
    assert_eq!(waiting(&path, "mail"), ["1"]);

    // One commit: when storing one subscription's copy fails, no subscription gets the message, and it is not
    // remembered as seen (its retry is stored).
    let sabotage = Connection::open(&path).unwrap();
    sabotage
        .execute_batch(
            "CREATE TRIGGER refuse_mail BEFORE INSERT ON messages WHEN NEW.subscription = 'mail'
             BEGIN SELECT RAISE(ABORT, 'mail refused'); END;",
        )
        .unwrap();
    let failed = queue.publish(&message("/a", "2")).await;
    assert!(
        matches!(&failed, Err(QueueError::Unavailable(why)) if why.contains("mail refused")),
        "{failed:?}"
    );
    for subscription in ["default", "crm", "mail"] {
        assert!(
            !waiting(&path, subscription).contains(&"2".to_owned()),
            "{subscription}"
        );
    }
    sabotage.execute_batch("DROP TRIGGER refuse_mail").unwrap();
    assert_eq!(
        queue.publish(&message("/a", "2")).await.unwrap(),
        Published::Stored
    );
    assert_eq!(waiting(&path, "mail"), ["1", "2"]);
}

#[tokio::test]
async fn a_subscription_gets_only_what_is_published_while_it_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    queue.publish(&message("/a", "before")).await.unwrap();
    // Added beside the open queue, through another connection: the writer sees it at its next commit.
    let mut subscriptions = Subscriptions::open(&path).unwrap();
    subscriptions.add(&name("crm"), None).unwrap();
    queue.publish(&message("/a", "during")).await.unwrap();
    assert_eq!(waiting(&path, "crm"), ["during"]);
    assert_eq!(subscriptions.remove(&name("crm"), true), Ok(1));
    queue.publish(&message("/a", "after")).await.unwrap();
    subscriptions.add(&name("crm"), None).unwrap();
    assert!(
        waiting(&path, "crm").is_empty(),
        "removed, then added again"
    );
    assert_eq!(waiting(&path, "default"), ["before", "during", "after"]);
}

#[tokio::test]
async fn a_stored_policy_that_no_longer_reads_fails_the_publish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    // As if written by a version whose filter engine accepted what this one refuses: never matched as "all".
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO subscriptions (name, filter_policy, created_at)
             VALUES ('lan', '{\"source\":[{\"cidr\":\"10.0.0.0/24\"}]}', 1)",
            [],
        )
        .unwrap();
    let failed = queue.publish(&message("/a", "1")).await;
    assert!(
        matches!(&failed, Err(QueueError::Unavailable(why)) if why.contains("`lan`")),
        "{failed:?}"
    );
    assert_eq!(queue.count(Lane::Messages).await.unwrap(), 0);
}

#[tokio::test]
async fn a_filtered_subscription_gets_only_what_its_policy_matches() {
    use crate::filter::{FilterPolicy, Scope};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut subscriptions = Subscriptions::open(&path).unwrap();
    let wix =
        FilterPolicy::parse(r#"{"type":[{"prefix":"com.wix."}]}"#, Scope::Attributes).unwrap();
    subscriptions.add(&name("wix"), Some(&wix)).unwrap();
    let going = FilterPolicy::parse(r#"{"source":[{"prefix":"/omerlo/"}]}"#, Scope::Body).unwrap();
    subscriptions.add(&name("omerlo"), Some(&going)).unwrap();
    let listed = subscriptions.list().unwrap();
    assert_eq!(
        listed[2].filter_policy.as_deref(),
        Some(r#"{"type":[{"prefix":"com.wix."}]}"#),
        "stored as given"
    );
    assert_eq!(listed[1].scope, Scope::Body);
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    let wix_message = message_of(
        crate::Kind::WixParticipationCreated,
        "/wix/instances/i",
        "w",
    );
    queue.publish(&wix_message).await.unwrap();
    queue
        .publish(&message("/omerlo/workspaces/1", "o"))
        .await
        .unwrap();
    assert_eq!(waiting(&path, "default"), ["w", "o"]);
    assert_eq!(waiting(&path, "wix"), ["w"]);
    assert_eq!(waiting(&path, "omerlo"), ["o"]);
}
