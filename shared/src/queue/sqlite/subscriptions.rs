//! Named subscriptions of the queue file, the local counterpart of an SNS topic's subscriptions: each keeps its
//! own copy of every message its filter policy takes ([`crate::filter`]), stored in the same transaction as the
//! publish. The `default` subscription takes every message and cannot be removed: it is the queue as it was
//! before subscriptions, and what every reading tool uses unless told otherwise. A subscription added later
//! gets only the messages published after it, as in SNS.

use super::{DEFAULT_SUBSCRIPTION, connect, now_ms, prepare};
use crate::filter::{FilterPolicy, PolicyError, Scope};
use crate::message::Message;
use crate::queue::QueueError;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::path::Path;

/// The longest subscription name: SQS's limit on a queue name, so a name carries over to a `consumer.yaml` stack.
pub const MAX_NAME_LEN: usize = 80;

/// A subscription's name: 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-` and `_`, as an SQS queue name allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionName(String);

impl SubscriptionName {
    /// Checks `name` against the rules above.
    pub fn parse(name: &str) -> Result<SubscriptionName, SubscriptionError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if (1..=MAX_NAME_LEN).contains(&name.len()) && name.chars().all(allowed) {
            Ok(SubscriptionName(name.to_owned()))
        } else {
            Err(SubscriptionError::BadName(name.to_owned()))
        }
    }

    /// The `default` subscription's name.
    pub fn default_name() -> SubscriptionName {
        SubscriptionName(DEFAULT_SUBSCRIPTION.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SubscriptionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a subscription could not be added, removed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The name breaks the rules of [`SubscriptionName`].
    #[error(
        "bad subscription name `{0}`: use 1 to {MAX_NAME_LEN} ASCII letters, digits, `-` and `_` (as an SQS queue \
         name allows)"
    )]
    BadName(String),
    /// No subscription of that name.
    #[error("no subscription named `{0}` (`rollcall subscription list` shows them)")]
    Unknown(String),
    /// A subscription of that name exists already.
    #[error("a subscription named `{0}` exists already")]
    Exists(String),
    /// The `default` subscription is permanent.
    #[error("the `default` subscription takes every message and cannot be removed")]
    Permanent,
    /// Messages still wait for the subscription being removed.
    #[error(
        "{waiting} messages wait for `{name}`: drain them first (`rollcall queue drain --subscription {name}`), or \
         remove it with `--discard` to delete them"
    )]
    MessagesWaiting {
        /// The subscription.
        name: String,
        /// How many messages wait for it.
        waiting: u64,
    },
    /// The filter policy is refused.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A stored filter policy no longer reads (its scope or its JSON).
    #[error("the stored filter policy of `{name}` no longer reads: {why}")]
    Stored {
        /// The subscription.
        name: String,
        /// Why.
        why: String,
    },
    /// The queue file failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// A subscription as stored: its filter policy exactly as given, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// Its name.
    pub name: String,
    /// Its filter policy's JSON as given; none: every message.
    pub filter_policy: Option<String>,
    /// What the policy matches in.
    pub scope: Scope,
    /// How many messages wait for it.
    pub waiting: u64,
}

/// Managing the subscriptions of a queue file (`rollcall subscription`), beside a running server or not: a
/// running server applies each change from its next commit on.
pub struct Subscriptions {
    conn: Connection,
}

impl Subscriptions {
    /// Opens the queue file at `path`, creating it (owner-only) when absent and upgrading an older one.
    pub fn open(path: &Path) -> Result<Subscriptions, SubscriptionError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            QueueError::Unavailable(format!("{what} {}: {e}", path.display()))
        };
        super::file::create_private(path).map_err(|e| unavailable("cannot create", &e))?;
        let mut conn = connect(path).map_err(|e| unavailable("cannot open", &e))?;
        prepare(&mut conn).map_err(|e| unavailable("cannot prepare", &e))?;
        Ok(Subscriptions { conn })
    }

    /// Adds a subscription that takes the messages `policy` matches (none: every message) from now on.
    pub fn add(
        &mut self,
        name: &SubscriptionName,
        policy: Option<&FilterPolicy>,
    ) -> Result<(), SubscriptionError> {
        let tx = immediate(&mut self.conn)?;
        let inserted = tx
            .execute(
                "INSERT INTO subscriptions (name, filter_policy, filter_scope, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
                params![
                    name.as_str(),
                    policy.map(FilterPolicy::as_json),
                    policy.map_or(Scope::default(), FilterPolicy::scope).sns_name(),
                    now_ms()
                ],
            )
            .map_err(failed)?;
        if inserted == 0 {
            return Err(SubscriptionError::Exists(name.to_string()));
        }
        tx.commit().map_err(failed)
    }

    /// Every subscription, by name, with how many messages wait for each.
    pub fn list(&self) -> Result<Vec<SubscriptionInfo>, SubscriptionError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT name, filter_policy, filter_scope,
                        (SELECT COUNT(*) FROM messages WHERE subscription = subscriptions.name)
                 FROM subscriptions ORDER BY name",
            )
            .map_err(failed)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .map_err(failed)?;
        rows.map(|row| {
            let (name, filter_policy, scope, waiting) = row.map_err(failed)?;
            let scope = read_scope(&name, &scope)?;
            Ok(SubscriptionInfo {
                name,
                filter_policy,
                scope,
                waiting: waiting.max(0) as u64,
            })
        })
        .collect()
    }

    /// Removes a subscription. Messages waiting for it are deleted with it only when `discard` says so; else
    /// its removal is refused while any wait. Returns how many were deleted.
    pub fn remove(
        &mut self,
        name: &SubscriptionName,
        discard: bool,
    ) -> Result<u64, SubscriptionError> {
        if name.as_str() == DEFAULT_SUBSCRIPTION {
            return Err(SubscriptionError::Permanent);
        }
        let tx = immediate(&mut self.conn)?;
        let removed = tx
            .execute("DELETE FROM subscriptions WHERE name = ?1", [name.as_str()])
            .map_err(failed)?;
        if removed == 0 {
            return Err(SubscriptionError::Unknown(name.to_string()));
        }
        let waiting: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM messages WHERE subscription = ?1",
                [name.as_str()],
                |row| row.get(0),
            )
            .map_err(failed)?;
        let waiting = waiting.max(0) as u64;
        if waiting > 0 && !discard {
            return Err(SubscriptionError::MessagesWaiting {
                name: name.to_string(),
                waiting,
            });
        }
        tx.execute(
            "DELETE FROM messages WHERE subscription = ?1",
            [name.as_str()],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(waiting)
    }
}

/// Whether the subscription `name` exists in the file `conn` reads.
pub(super) fn exists(conn: &Connection, name: &SubscriptionName) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM subscriptions WHERE name = ?1",
        [name.as_str()],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// The writer's view of the subscriptions: read again whenever another connection has committed (SQLite's
/// `data_version`), so a running server applies an added or removed subscription from its next commit on.
#[derive(Default)]
pub(super) struct Fanout {
    /// The `data_version` the list was read at.
    version: Option<i64>,
    /// Each subscription with its policy (none: every message).
    subscriptions: Vec<(String, Option<FilterPolicy>)>,
}

impl Fanout {
    /// Reads the subscriptions again if another connection has committed since they were read; within `tx`, so
    /// the list is the one this commit's messages are stored under.
    pub(super) fn refresh(&mut self, tx: &Transaction<'_>) -> Result<(), SubscriptionError> {
        let version: i64 = tx
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(failed)?;
        if self.version == Some(version) {
            return Ok(());
        }
        let mut statement = tx
            .prepare("SELECT name, filter_policy, filter_scope FROM subscriptions ORDER BY name")
            .map_err(failed)?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(failed)?;
        let mut subscriptions = Vec::new();
        for row in rows {
            let (name, policy, scope) = row.map_err(failed)?;
            let policy = match policy {
                None => None,
                Some(json) => Some(
                    FilterPolicy::parse(&json, read_scope(&name, &scope)?).map_err(|e| {
                        SubscriptionError::Stored {
                            name: name.clone(),
                            why: e.to_string(),
                        }
                    })?,
                ),
            };
            subscriptions.push((name, policy));
        }
        self.subscriptions = subscriptions;
        self.version = Some(version);
        Ok(())
    }

    /// The subscriptions that take `message`.
    pub(super) fn targets<'a>(&'a self, message: &'a Message) -> impl Iterator<Item = &'a str> {
        self.subscriptions
            .iter()
            .filter(|(_, policy)| policy.as_ref().is_none_or(|p| p.matches(message)))
            .map(|(name, _)| name.as_str())
    }
}

fn read_scope(name: &str, scope: &str) -> Result<Scope, SubscriptionError> {
    Scope::parse(scope).ok_or_else(|| SubscriptionError::Stored {
        name: name.to_owned(),
        why: format!("unknown scope `{scope}`"),
    })
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, SubscriptionError> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(failed)
}

fn failed(e: rusqlite::Error) -> SubscriptionError {
    SubscriptionError::Queue(QueueError::Unavailable(e.to_string()))
}
