//! The queue port: where messages and quarantine records go ([`Queue`]) and how tools read them back
//! ([`Inbox`]). Three adapters: Amazon SQS (`sqs`), an Amazon SNS topic with its quarantine on SQS (`sns`), and
//! an embedded, durable SQLite queue (`sqlite`).

#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqs")]
pub mod sqs;

use crate::config::NotConfigured;
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use crate::sqs_text::Refusal;
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
    /// The queue refused the item for good (its characters or its size): sending it again would fail again.
    #[error("the queue refused it: {0}")]
    Refused(#[from] Refusal),
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
    /// The message's identity, the same on every receive (SQS `MessageId`, the SQLite row), where a handle may
    /// change with each receive.
    pub id: String,
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

/// The ordering group of a message: its [`subject_path`] (a FIFO `MessageGroupId`), kept within SQS's
/// 128-character limit of visible ASCII by hashing longer or unusual values.
pub fn group_id(message: &Message) -> String {
    fifo_token(&subject_path(&message.source, &message.subject))
}

/// One subject of one tenant as one string, `source/subject`, for the FIFO group and the consumer's ledger.
/// A source is `/{provider}/{collection}/{tenant id}` and a subject `{entity}/{id}`; an id holding `/` or `#`
/// would make two subjects one string, so it is written escaped: `#` followed by the id with `%`, `/` and `#`
/// percent-encoded. Every other id is kept as it is: the strings made before this rule stay the same (FIFO
/// groups in flight, a deployed ledger).
pub fn subject_path(source: &str, subject: &str) -> String {
    let source = match source.splitn(4, '/').collect::<Vec<_>>()[..] {
        ["", provider, collection, tenant] => {
            format!("/{provider}/{collection}/{}", escape_id(tenant))
        }
        _ => escape_id(source).into_owned(),
    };
    let subject = match subject.split_once('/') {
        Some((entity, id)) => format!("{}/{}", escape_id(entity), escape_id(id)),
        None => escape_id(subject).into_owned(),
    };
    format!("{source}/{subject}")
}

/// An id as one segment of a [`subject_path`]: as it is when it holds neither `/` nor `#`, else `#` followed
/// by the id with `%`, `/` and `#` percent-encoded. An escaped id holds no `/`, and it starts with the `#` that
/// no id kept as it is holds, so no two ids give the same segment.
fn escape_id(id: &str) -> std::borrow::Cow<'_, str> {
    if !id.contains(['/', '#']) {
        return id.into();
    }
    let mut escaped = String::with_capacity(id.len() + 8);
    escaped.push('#');
    for c in id.chars() {
        match c {
            '%' => escaped.push_str("%25"),
            '/' => escaped.push_str("%2F"),
            '#' => escaped.push_str("%23"),
            other => escaped.push(other),
        }
    }
    escaped.into()
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

    #[test]
    fn plain_ids_keep_the_subject_paths_made_before() {
        for (source, subject) in [
            ("/wix/instances/6f2c9e1a", "participation/b9d81e37"),
            ("/omerlo/workspaces/42", "participant/7"),
            ("/mighty-networks/spaces/77", "rsvp/98765"),
            ("/wix/instances/a%2Fb", "guest/100%"),
        ] {
            assert_eq!(subject_path(source, subject), format!("{source}/{subject}"));
        }
    }

    #[test]
    fn ids_holding_a_separator_are_escaped() {
        // Both were "/wix/instances/a/participation/b/participation/c" before.
        let tenant = subject_path("/wix/instances/a/participation/b", "participation/c");
        let entity = subject_path("/wix/instances/a", "participation/b/participation/c");
        assert_eq!(
            tenant,
            "/wix/instances/#a%2Fparticipation%2Fb/participation/c"
        );
        assert_eq!(
            entity,
            "/wix/instances/a/participation/#b%2Fparticipation%2Fc"
        );
        // An escaped id never equals an id kept as it is, nor another escaped one.
        assert_ne!(
            subject_path("/wix/instances/a/b", "guest/1"),
            subject_path("/wix/instances/#a%2Fb", "guest/1")
        );
        assert_eq!(
            subject_path("/wix/instances/#a%2Fb", "guest/1"),
            "/wix/instances/#%23a%252Fb/guest/1"
        );
    }

    proptest::proptest! {
        /// Two different (tenant, id) pairs never share a path, over an alphabet made of the separators and the
        /// escape's own characters.
        #[test]
        fn subject_paths_are_unambiguous(
            a in ("[a/#%2F3]{0,4}", "[a/#%2F3]{0,4}"),
            b in ("[a/#%2F3]{0,4}", "[a/#%2F3]{0,4}"),
        ) {
            let path = |(tenant, id): &(String, String)| {
                subject_path(&format!("/wix/instances/{tenant}"), &format!("guest/{id}"))
            };
            proptest::prop_assert_eq!(path(&a) == path(&b), a == b);
        }
    }
}
