//! Reading a queue file without writing to it: `rollcall queue stats` and `queue peek`.

use super::subscriptions::{self, SubscriptionError, SubscriptionName};
use super::{has_subscriptions, owned_by, table};
use crate::queue::{Lane, QueueError};
use rusqlite::{Connection, OpenFlags, params};
use std::path::Path;
use std::time::Duration;

/// A queue file opened read-only, for `rollcall queue stats` and `queue peek`: it writes nothing (no table made,
/// no lease taken), so it works on a read-only file or folder, on a full disk, and beside a running server.
pub struct QueueReader {
    conn: Connection,
    /// Whether the file keeps messages per subscription (a file made before them is read as it is).
    upgraded: bool,
    /// The subscription whose messages are read.
    subscription: SubscriptionName,
}

impl QueueReader {
    /// Opens the queue file at `path` for reading; it must exist.
    pub fn open(path: &Path) -> Result<QueueReader, QueueError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            QueueError::Unavailable(format!("{what} {}: {e}", path.display()))
        };
        std::fs::metadata(path).map_err(|e| unavailable("cannot read", &e))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let reader = |conn: Connection| {
            Ok(QueueReader {
                upgraded: has_subscriptions(&conn)?,
                conn,
                subscription: SubscriptionName::default_name(),
            })
        };
        match Connection::open_with_flags(path, flags)
            .and_then(readable)
            .and_then(reader)
        {
            Ok(reader) => Ok(reader),
            // To read a WAL-mode file SQLite creates its log and the log's index when they are missing, which a
            // read-only folder or a full disk refuses. A missing or empty log holds nothing: the file alone is the
            // whole queue, and `immutable` reads just the file.
            Err(_) if wal_is_empty(path) => {
                let uri = immutable_uri(path).map_err(|e| unavailable("cannot read", &e))?;
                Connection::open_with_flags(uri, flags)
                    .and_then(readable)
                    .and_then(reader)
                    .map_err(|e| unavailable("cannot read", &e))
            }
            Err(e) => Err(unavailable("cannot read", &e)),
        }
    }

    /// The same file, reading the messages of the subscription `name` instead of `default`'s (the quarantine is
    /// the same for every subscription). Refused when no such subscription exists.
    pub fn subscription(self, name: &str) -> Result<QueueReader, SubscriptionError> {
        let name = SubscriptionName::parse(name)?;
        let exists = if self.upgraded {
            subscriptions::exists(&self.conn, &name)
                .map_err(|e| QueueError::Unavailable(e.to_string()))?
        } else {
            name == SubscriptionName::default_name()
        };
        if !exists {
            return Err(SubscriptionError::Unknown(name.to_string()));
        }
        Ok(QueueReader {
            subscription: name,
            ..self
        })
    }

    /// How many messages wait in `lane` (leased ones included).
    pub fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        let owned = owned_by(lane, self.upgraded, 1);
        self.conn
            .query_row(
                &format!("SELECT COUNT(*) FROM {} WHERE {owned}", table(lane)),
                [self.subscription.as_str()],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| QueueError::Unavailable(e.to_string()))
    }

    /// Hands the bodies waiting in `lane` to `each`, oldest first, at most `limit` of them; returns how many.
    /// The bodies are read a page at a time, and each page's statement ends before `each` sees its bodies: a
    /// slow `each` (stdout into a pager) holds no read snapshot, which would keep the server's checkpoints from
    /// emptying the write-ahead log.
    pub fn peek<E: From<QueueError>>(
        &self,
        lane: Lane,
        limit: Option<u64>,
        mut each: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut after = i64::MIN;
        let mut seen = 0;
        loop {
            let left = limit.map_or(PEEK_PAGE, |limit| limit.saturating_sub(seen).min(PEEK_PAGE));
            if left == 0 {
                return Ok(seen);
            }
            let page = self.page(lane, after, left)?;
            if page.is_empty() {
                return Ok(seen);
            }
            for (seq, body) in page {
                each(&body)?;
                seen += 1;
                after = seq;
            }
        }
    }

    /// Up to `count` rows of `lane` after sequence number `after`, read in one statement that ends here.
    fn page(&self, lane: Lane, after: i64, count: u64) -> Result<Vec<(i64, String)>, QueueError> {
        let failed = |e: rusqlite::Error| QueueError::Unavailable(e.to_string());
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT seq, body FROM {} WHERE seq > ?1 AND {} ORDER BY seq LIMIT ?2",
                table(lane),
                owned_by(lane, self.upgraded, 3)
            ))
            .map_err(failed)?;
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![after, count, self.subscription.as_str()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }
}

/// How many bodies `queue peek` reads at a time.
const PEEK_PAGE: u64 = 64;

/// Reads the queue's tables once: SQLite opens files lazily, so this is where opening fails.
fn readable(conn: Connection) -> rusqlite::Result<Connection> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row(
        "SELECT (SELECT COUNT(*) FROM messages) + (SELECT COUNT(*) FROM quarantine)",
        [],
        |_| Ok(()),
    )?;
    Ok(conn)
}

fn wal_is_empty(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::metadata(wal) {
        Ok(metadata) => metadata.len() == 0,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// An SQLite URI that opens `path` as a file nothing changes (no locks, no log).
fn immutable_uri(path: &Path) -> std::io::Result<String> {
    let absolute = std::path::absolute(path)?;
    let text = absolute.to_str().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path is not UTF-8")
    })?;
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3F"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Ok(uri)
}
