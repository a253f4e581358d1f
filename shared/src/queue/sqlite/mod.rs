//! The embedded queue: one SQLite file (mode 0600) holding the messages, the quarantine and the de-duplication keys
//! (source + id per message, route + [`QuarantineRecord::delivery_key`] per quarantined delivery), for running
//! Rollcall on one machine without AWS. If the file is deleted or replaced while in use, every later write fails:
//! the queue is never recreated or reopened behind the operator's back. Durable in the full sense: an answer comes
//! only after a `synchronous=FULL` commit. Concurrent requests share commits: one writer thread takes every job
//! waiting and commits them together, so one fsync serves many deliveries. Checkpoints (copying the write-ahead log
//! into the database file, and its fsync) run on a thread of their own, off the commit path.
//!
//! Messages are kept per subscription ([`subscriptions`]): a publish stores one row for each subscription whose
//! filter policy takes the message, all in its commit. Reading tools read the `default` subscription unless
//! given another ([`SqliteQueue::subscription`], [`QueueReader::subscription`]).

mod file;
mod reader;
pub mod subscriptions;
#[cfg(test)]
mod tests;

pub use reader::QueueReader;
pub use subscriptions::{SubscriptionError, SubscriptionName, Subscriptions};

use super::{Inbox, Lane, Published, Queue, QueueError, Received};
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use file::{OpenedFiles, create_private};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subscriptions::Fanout;
use tokio::sync::{mpsc, oneshot};

/// How long an id is remembered: providers retry for up to two days.
pub const DEFAULT_DEDUP_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a received message stays hidden before it can be received again.
const LEASE: Duration = Duration::from_secs(30);
/// The most jobs one commit takes.
const MAX_BATCH: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    message_type TEXT NOT NULL,
    group_id TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL DEFAULT 0,
    subscription TEXT NOT NULL DEFAULT 'default'
);
CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dedup (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_seen_at ON dedup (seen_at);
CREATE TABLE IF NOT EXISTS subscriptions (
    name TEXT PRIMARY KEY,
    filter_policy TEXT,
    filter_scope TEXT NOT NULL DEFAULT 'MessageAttributes',
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO subscriptions (name, created_at) VALUES ('default', 0);
";

/// The index each subscription reads its messages by; made once the `subscription` column exists (files made
/// before subscriptions get it from [`MIGRATE_SUBSCRIPTIONS`]).
const SUBSCRIPTION_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS messages_by_subscription ON messages (subscription, seq);";

/// Files made before subscriptions held one list of messages: each waiting message belongs to `default`.
const MIGRATE_SUBSCRIPTIONS: &str =
    "ALTER TABLE messages ADD COLUMN subscription TEXT NOT NULL DEFAULT 'default';";

/// The subscription that takes every message and that the reading tools use unless told otherwise.
pub const DEFAULT_SUBSCRIPTION: &str = "default";

/// Files of the first version keyed `dedup` on `id` alone. Their ids move under [`LEGACY_SOURCE`] (a source no
/// message has: every source starts with `/`), where they count as seen from any source until they expire, so
/// an upgrade stores no retry of an earlier delivery twice.
const MIGRATE_DEDUP_BY_ID: &str = "
ALTER TABLE dedup RENAME TO dedup_by_id;
DROP INDEX IF EXISTS dedup_seen_at;
CREATE TABLE dedup (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
INSERT INTO dedup (source, id, seen_at) SELECT '', id, seen_at FROM dedup_by_id;
DROP TABLE dedup_by_id;
";

/// The source under which the ids of a first-version file are kept (see [`MIGRATE_DEDUP_BY_ID`]).
const LEGACY_SOURCE: &str = "";

enum Job {
    Publish {
        /// What the subscriptions' filter policies match, and its source and id (the de-duplication key).
        message: Box<Message>,
        body: String,
        group_id: String,
        done: oneshot::Sender<Result<Published, QueueError>>,
    },
    Quarantine {
        /// The route and the delivery's key ([`QuarantineRecord::delivery_key`]): the same delivery is kept once.
        key: (String, String),
        body: String,
        done: oneshot::Sender<Result<Published, QueueError>>,
    },
}

/// The embedded SQLite queue.
pub struct SqliteQueue {
    jobs: mpsc::Sender<Job>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// The subscription whose messages [`Inbox`] reads and removes.
    subscription: SubscriptionName,
    /// Last, so that it drops after `jobs`: the last handle's drop waits for the threads.
    threads: Arc<Threads>,
}

/// The writer and checkpointer threads, waited for when the last handle on the queue drops (its `jobs` sender,
/// dropped first, ends the writer; the writer's end ends the checkpointer). Their connections then close before
/// the process can exit: the last one to close removes the log's index, then the log, and an exit between the
/// two left a log that a read-only `queue stats` or `peek` could not open.
struct Threads(Vec<std::thread::JoinHandle<()>>);

impl Drop for Threads {
    fn drop(&mut self) {
        for thread in self.0.drain(..) {
            // A panicked thread has nothing more to close.
            let _ = thread.join();
        }
    }
}

impl SqliteQueue {
    /// Opens (creating on demand, owner-only) the queue file at `path`, remembering ids for `dedup_window`.
    pub fn open(path: &Path, dedup_window: Duration) -> Result<SqliteQueue, QueueError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            QueueError::Unavailable(format!("{what} {}: {e}", path.display()))
        };
        create_private(path).map_err(|e| unavailable("cannot create", &e))?;
        let mut writer = connect(path).map_err(|e| unavailable("cannot open", &e))?;
        prepare(&mut writer).map_err(|e| unavailable("cannot prepare", &e))?;
        let files = OpenedFiles::of(path).map_err(|e| unavailable("cannot inspect", &e))?;
        // The writer never checkpoints: SQLite's automatic checkpoint would run inside the commit that crosses
        // its threshold, and every delivery waiting for the next commit would wait for it (BENCHMARKS.md).
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| unavailable("cannot prepare", &e))?;
        let checkpointer = connect(path).map_err(|e| unavailable("cannot open", &e))?;
        let reader = connect(path).map_err(|e| unavailable("cannot open", &e))?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let (committed, commits) = std::sync::mpsc::sync_channel(1);
        let checkpoints = std::thread::Builder::new()
            .name("rollcall-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, commits))
            .map_err(|e| unavailable("cannot start the checkpointer for", &e))?;
        let writes = std::thread::Builder::new()
            .name("rollcall-sqlite-writer".into())
            .spawn(move || write_loop(writer, queue, committed, dedup_window, files))
            .map_err(|e| unavailable("cannot start the writer for", &e))?;
        Ok(SqliteQueue {
            jobs,
            reader: Arc::new(Mutex::new(reader)),
            path: path.to_owned(),
            subscription: SubscriptionName::default_name(),
            threads: Arc::new(Threads(vec![writes, checkpoints])),
        })
    }

    /// The queue file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The same queue (its writer and reader shared), reading ([`Inbox`]) the messages of the subscription
    /// `name` instead of `default`'s; the quarantine and publishing are the same for every subscription.
    /// Refused when no such subscription exists.
    pub async fn subscription(&self, name: &str) -> Result<SqliteQueue, SubscriptionError> {
        let name = SubscriptionName::parse(name)?;
        let wanted = name.clone();
        if !self
            .read(move |conn| subscriptions::exists(conn, &wanted))
            .await?
        {
            return Err(SubscriptionError::Unknown(name.to_string()));
        }
        Ok(SqliteQueue {
            jobs: self.jobs.clone(),
            reader: Arc::clone(&self.reader),
            path: self.path.clone(),
            subscription: name,
            threads: Arc::clone(&self.threads),
        })
    }

    async fn submit(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<Published, QueueError>>) -> Job,
    ) -> Result<Published, QueueError> {
        let (done, answer) = oneshot::channel();
        let stopped = || QueueError::Unavailable("the SQLite writer has stopped".into());
        self.jobs.send(job(done)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn read<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, QueueError> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .map_err(|_| QueueError::Unavailable("SQLite reader poisoned".into()))?;
            op(&conn).map_err(|e| QueueError::Unavailable(e.to_string()))
        })
        .await
        .map_err(|e| QueueError::Unavailable(e.to_string()))?
    }
}

impl Queue for SqliteQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        let body = message.to_body()?.into_string();
        let group_id = super::group_id(message);
        let message = Box::new(message.clone());
        self.submit(|done| Job::Publish {
            message,
            body,
            group_id,
            done,
        })
        .await
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        let body = record.to_body()?.into_string();
        let key = (
            format!("quarantine:{}", record.kind.route()),
            record.delivery_key(),
        );
        self.submit(|done| Job::Quarantine { key, body, done })
            .await
            .map(drop)
    }
}

impl Inbox for SqliteQueue {
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
        let (table, owned) = (table(lane), owned_by(lane, true, 4));
        let subscription = self.subscription.clone();
        self.read(move |conn| {
            let now = now_ms();
            let mut statement = conn.prepare(&format!(
                "UPDATE {table} SET visible_at = ?1 WHERE seq IN
                   (SELECT seq FROM {table} WHERE {owned} AND visible_at <= ?2 ORDER BY seq LIMIT ?3)
                 RETURNING seq, body"
            ))?;
            let mut rows: Vec<(i64, String)> = statement
                .query_map(
                    params![
                        now + LEASE.as_millis() as i64,
                        now,
                        max as i64,
                        subscription.as_str()
                    ],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?
                .collect::<Result<_, _>>()?;
            rows.sort_by_key(|(seq, _)| *seq);
            Ok(rows
                .into_iter()
                .map(|(seq, body)| Received {
                    id: seq.to_string(),
                    handle: seq.to_string(),
                    body,
                })
                .collect())
        })
        .await
    }

    async fn delete(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        let seq = sequence(handle)?;
        let table = table(lane);
        self.read(move |conn| {
            conn.execute(&format!("DELETE FROM {table} WHERE seq = ?1"), [seq])
                .map(drop)
        })
        .await
    }

    async fn release(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        let seq = sequence(handle)?;
        let table = table(lane);
        self.read(move |conn| {
            conn.execute(
                &format!("UPDATE {table} SET visible_at = 0 WHERE seq = ?1"),
                [seq],
            )
            .map(drop)
        })
        .await
    }

    async fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        let (table, owned) = (table(lane), owned_by(lane, true, 1));
        let subscription = self.subscription.clone();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE {owned}"),
                [subscription.as_str()],
                |r| r.get::<_, i64>(0),
            )
        })
        .await
        .map(|n| n.max(0) as u64)
    }
}

fn sequence(handle: &str) -> Result<i64, QueueError> {
    handle
        .parse()
        .map_err(|_| QueueError::Unavailable(format!("bad handle `{handle}`")))
}

pub(super) fn table(lane: Lane) -> &'static str {
    match lane {
        Lane::Messages => "messages",
        Lane::Quarantine => "quarantine",
    }
}

/// The SQL condition for the rows of `lane` a reader of one subscription sees, the subscription's name bound
/// as parameter `?{param}`: its messages, or the whole quarantine, which every subscription shares (its
/// condition takes the parameter too, so both lanes bind the same ones). A file made before subscriptions
/// (`upgraded` false, read without writing) holds `default`'s messages only.
pub(super) fn owned_by(lane: Lane, upgraded: bool, param: usize) -> String {
    match (lane, upgraded) {
        (Lane::Messages, true) => format!("subscription = ?{param}"),
        (Lane::Messages, false) => format!("?{param} = '{DEFAULT_SUBSCRIPTION}'"),
        (Lane::Quarantine, _) => format!("?{param} IS NOT NULL"),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // After a burst, the log file is cut back to this size once a checkpoint has emptied it.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    Ok(conn)
}

/// The write-ahead log's size once a checkpoint has emptied it (bytes).
const WAL_SIZE_LIMIT: i64 = 64 << 20;

/// Checkpoints after commits, as often as they complete: commits made during one checkpoint are taken by the
/// next. `PASSIVE` never blocks the writer. Ends with a last checkpoint when the writer stops.
fn checkpoint_loop(conn: Connection, commits: std::sync::mpsc::Receiver<()>) {
    let checkpoint = || {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next commit retries it");
        }
    };
    while commits.recv().is_ok() {
        checkpoint();
    }
    checkpoint();
}

fn write_loop(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    committed: std::sync::mpsc::SyncSender<()>,
    dedup_window: Duration,
    files: OpenedFiles,
) {
    let mut last_purge = 0;
    let mut fanout = Fanout::default();
    // Set once the files are no longer the ones opened; never cleared: only a restart opens the queue again.
    let mut lost: Option<String> = None;
    while let Some(first) = jobs.blocking_recv() {
        #[cfg(feature = "fault-injection")]
        if let Job::Publish { message, .. } = &first
            && message.id == crate::fault::PANIC_IN_WRITER
        {
            panic!("fault injection: the SQLite writer thread panics");
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = match &lost {
            Some(why) => Err(why.clone()),
            None => {
                let now = now_ms();
                let horizon = now - dedup_window.as_millis() as i64;
                let purge = now - last_purge > 60_000;
                let outcome = commit(&mut conn, &mut fanout, &batch, (now, horizon), purge);
                if outcome.is_ok() {
                    if purge {
                        last_purge = now;
                    }
                    // A checkpoint is already due when the channel is full: this commit joins it.
                    let _ = committed.try_send(());
                }
                // Checked after the commit: a file lost before or during it fails this batch and every later one.
                lost = files.changed();
                match (&lost, outcome) {
                    (Some(why), _) => Err(why.clone()),
                    (None, Ok(results)) => Ok(results),
                    (None, Err(e)) => {
                        tracing::error!(error = %e, "SQLite commit failed");
                        Err(e.to_string())
                    }
                }
            }
        };
        if let Some(why) = &lost {
            tracing::error!(
                refused = batch.len(),
                "{why}: nothing is stored and every delivery is answered 503 until rollcall is restarted"
            );
        }
        let results =
            outcome.unwrap_or_else(|e| vec![Err(QueueError::Unavailable(e)); batch.len()]);
        for (job, result) in batch.into_iter().zip(results) {
            let (Job::Publish { done, .. } | Job::Quarantine { done, .. }) = job;
            let _ = done.send(result);
        }
    }
}

/// Creates the tables, migrating the de-duplication table of a first-version file and the messages of a file
/// made before subscriptions, in one transaction.
fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let keyed_by_id_alone: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('dedup'))
            AND NOT EXISTS (SELECT 1 FROM pragma_table_info('dedup') WHERE name = 'source')",
        [],
        |row| row.get(0),
    )?;
    if keyed_by_id_alone {
        tx.execute_batch(MIGRATE_DEDUP_BY_ID)?;
        tracing::info!("SQLite queue: de-duplication is now scoped by source (table migrated)");
    }
    tx.execute_batch(SCHEMA)?;
    if !has_subscriptions(&tx)? {
        tx.execute_batch(MIGRATE_SUBSCRIPTIONS)?;
        tracing::info!(
            "SQLite queue: messages are now kept per subscription; those waiting belong to `default`"
        );
    }
    tx.execute_batch(SUBSCRIPTION_INDEX)?;
    tx.commit()
}

/// Whether the file keeps messages per subscription (made or upgraded by this version).
fn has_subscriptions(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('messages') WHERE name = 'subscription')",
        [],
        |row| row.get(0),
    )
}

/// Why a commit failed.
#[derive(Debug, thiserror::Error)]
enum CommitError {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The subscriptions could not be read.
    #[error(transparent)]
    Subscriptions(#[from] SubscriptionError),
}

/// Records a de-duplication key: true when it is new (or its earlier sighting has expired).
fn first_sighting(
    tx: &rusqlite::Transaction<'_>,
    (source, id): (&str, &str),
    now: i64,
    horizon: i64,
) -> rusqlite::Result<bool> {
    let inserted = tx.execute(
        "INSERT INTO dedup (source, id, seen_at)
         SELECT ?1, ?2, ?3 WHERE NOT EXISTS
             (SELECT 1 FROM dedup WHERE source = ?5 AND id = ?2 AND seen_at >= ?4)
         ON CONFLICT (source, id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedup.seen_at < ?4",
        params![source, id, now, horizon, LEGACY_SOURCE],
    )?;
    Ok(inserted == 1)
}

/// Commits `batch` in one transaction at `now`, remembering ids seen since `horizon`: each new message once
/// for every subscription that takes it ([`Fanout`], read within the transaction).
fn commit(
    conn: &mut Connection,
    fanout: &mut Fanout,
    batch: &[Job],
    (now, horizon): (i64, i64),
    purge: bool,
) -> Result<Vec<Result<Published, QueueError>>, CommitError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    fanout.refresh(&tx)?;
    if purge {
        tx.execute("DELETE FROM dedup WHERE seen_at < ?1", [horizon])?;
    }
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let fresh = match job {
            Job::Publish {
                message,
                body,
                group_id,
                ..
            } => {
                let fresh = first_sighting(&tx, (&message.source, &message.id), now, horizon)?;
                if fresh {
                    let mut insert = tx.prepare_cached(
                        "INSERT INTO messages (id, body, message_type, group_id, enqueued_at, subscription)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?;
                    for subscription in fanout.targets(message) {
                        insert.execute(params![
                            message.id,
                            body,
                            message.kind.message_type(),
                            group_id,
                            now,
                            subscription
                        ])?;
                    }
                }
                fresh
            }
            Job::Quarantine {
                key: (route, digest),
                body,
                ..
            } => {
                let fresh = first_sighting(&tx, (route, digest), now, horizon)?;
                if fresh {
                    tx.execute(
                        "INSERT INTO quarantine (body, enqueued_at) VALUES (?1, ?2)",
                        params![body, now],
                    )?;
                }
                fresh
            }
        };
        results.push(Ok(if fresh {
            Published::Stored
        } else {
            Published::Duplicate
        }));
    }
    tx.commit()?;
    Ok(results)
}
