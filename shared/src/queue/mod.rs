//! The queue port: where messages and quarantine records go ([`Queue`]) and how tools read them back
//! ([`Inbox`]). Two adapters: Amazon SQS (`sqs`) and an embedded, durable SQLite queue (`sqlite`).

#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqs")]
pub mod sqs;

use crate::config::NotConfigured;
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use std::future::Future;

/// Why a queue did not take or give a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue's address is not configured.
    #[error(transparent)]
    NotConfigured(#[from] NotConfigured),
    /// The queue could not be reached or refused the operation.
    #[error("{0}")]
    Unavailable(String),
    /// The queue did not answer within the deadline.
    #[error("no answer within the deadline")]
    TimedOut,
}

/// What the queue did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Stored as a new message.
    Stored,
    /// Already stored within the de-duplication window: not stored again.
    Duplicate,
}

/// Where accepted deliveries go. `publish` and `quarantine` return only once the queue holds the item durably.
pub trait Queue: Send + Sync {
    /// Stores a message for consumers.
    fn publish(
        &self,
        message: &Message,
    ) -> impl Future<Output = Result<Published, QueueError>> + Send;
    /// Stores a quarantine record.
    fn quarantine(
        &self,
        record: &QuarantineRecord,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// One of the two queues an adapter holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// The messages for consumers.
    Messages,
    /// The quarantine.
    Quarantine,
}

/// A message taken from a lane: hidden from other readers until deleted or until its lease runs out.
#[derive(Debug, Clone)]
pub struct Received {
    /// What `delete` takes.
    pub handle: String,
    /// The message body, exactly as a consumer receives it.
    pub body: String,
}

/// Reading a queue back: what `rollcall queue drain`, `stats` and `quarantine replay` use.
pub trait Inbox: Send + Sync {
    /// Up to `max` waiting messages, oldest first where the queue keeps an order.
    fn receive(
        &self,
        lane: Lane,
        max: usize,
    ) -> impl Future<Output = Result<Vec<Received>, QueueError>> + Send;
    /// Removes a received message.
    fn delete(
        &self,
        lane: Lane,
        handle: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
    /// Makes a received message visible again at once (its lease ends).
    fn release(
        &self,
        lane: Lane,
        handle: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
    /// How many messages wait (approximate on SQS).
    fn count(&self, lane: Lane) -> impl Future<Output = Result<u64, QueueError>> + Send;
}

/// The ordering group of a message: its source and subject (a FIFO `MessageGroupId`), kept within SQS's
/// 128-character limit of visible ASCII by hashing longer or unusual values.
pub fn group_id(message: &Message) -> String {
    fifo_token(&format!("{}/{}", message.source, message.subject))
}

/// The de-duplication id of a message: its id, within SQS's limits. An event is identified by source + id; with
/// `DeduplicationScope: messageGroup` SQS de-duplicates within the group ([`group_id`]: source + subject), so the
/// same id from another source is never dropped.
pub fn deduplication_id(message: &Message) -> String {
    fifo_token(&message.id)
}

/// The FIFO `MessageGroupId` and `MessageDeduplicationId` of a quarantine record: its route and
/// [`QuarantineRecord::delivery_key`], hashed (36 characters).
pub fn quarantine_key(record: &QuarantineRecord) -> String {
    crate::message::uuid_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("{}/{}", record.kind.route(), record.delivery_key()).as_bytes(),
    )
}

fn fifo_token(value: &str) -> String {
    let fits = value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    if fits {
        value.to_owned()
    } else {
        crate::message::uuid_v5(&uuid::Uuid::NAMESPACE_OID, value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_tokens_stay_within_limits() {
        assert_eq!(
            fifo_token("/wix/instances/a/participation/b"),
            "/wix/instances/a/participation/b"
        );
        let long = "x".repeat(200);
        assert_eq!(fifo_token(&long).len(), 36);
        assert_eq!(fifo_token(&long), fifo_token(&long));
        assert_ne!(fifo_token("with space"), "with space");
        // Python: uuid.uuid5(uuid.NAMESPACE_OID, "with space")
        assert_eq!(
            fifo_token("with space"),
            "20e9f4ff-21cb-5923-8349-c78af2c62bb6"
        );
    }
}
