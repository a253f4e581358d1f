//! The reference consumer: reads Rollcall messages from an SQS event source and finishes "exactly once in
//! effect". SQS FIFO forgets a de-duplication id after 5 minutes while providers retry for two days, so the
//! consumer keeps its own [`Ledger`] of handled events (source + id, with a TTL) and of each subject's latest
//! position, and it keeps FIFO order: message groups run concurrently, each group in order, and a failure fails
//! that message and every later one of its group (`ReportBatchItemFailures`). A message of a kind this version
//! does not know is passed over (acknowledged, not handled): new kinds are growth within v1.
//! It reads the messages with the contract crate, `rollcall_contract`, as any consumer does.

pub mod dynamodb;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use rollcall_contract::message::{Message, Received};
use std::collections::HashMap;
use std::future::Future;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What the consumer did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to the handler and recorded.
    Handled,
    /// Already handled (a provider retry, or SQS redelivery): skipped.
    Duplicate,
    /// Older than the change already handled for its subject: dropped.
    Stale,
    /// Of a kind this version does not know: passed over.
    Unknown,
}

impl Outcome {
    /// The word logged for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Unknown => "unknown",
        }
    }
}

/// An axis a change can be placed on in its subject's history. Each is a counter of its own: two changes are
/// compared on the first axis, in this order, that both have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// The provider's event sequence (Wix `entityEventSequence`).
    Sequence,
    /// The entity's revision (Wix `revision`).
    Revision,
    /// The provider's update time.
    ChangedAt,
}

impl Axis {
    /// Every axis, in the order changes are compared on them.
    pub const ALL: [Axis; 3] = [Axis::Sequence, Axis::Revision, Axis::ChangedAt];
}

/// Where a change stands in its subject's history: on every axis it has, and whether it deletes its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The message's `data.sequence`.
    pub sequence: Option<u64>,
    /// The message's `data.revision`.
    pub revision: Option<u64>,
    /// The message's `data.changed_at`, in nanoseconds since the epoch.
    pub changed_at_ns: Option<i128>,
    /// Whether the change deletes its subject.
    pub deleted: bool,
}

impl Position {
    /// The position of a message; an error when its `changed_at` is not the RFC 3339 time the contract promises.
    pub fn of(message: &Message) -> Result<Position, LedgerError> {
        let changed_at_ns = match message.data.changed_at.as_deref() {
            Some(text) => Some(
                OffsetDateTime::parse(text, &Rfc3339)
                    .map_err(|e| {
                        LedgerError(format!(
                            "data.changed_at `{text}` is not an RFC 3339 time ({e}); the contract promises one"
                        ))
                    })?
                    .unix_timestamp_nanos(),
            ),
            None => None,
        };
        Ok(Position {
            sequence: message.data.sequence,
            revision: message.data.revision,
            changed_at_ns,
            deleted: message.kind.is_deletion(),
        })
    }

    /// The change's place on `axis`, if it has one.
    pub fn on(&self, axis: Axis) -> Option<i128> {
        match axis {
            Axis::Sequence => self.sequence.map(i128::from),
            Axis::Revision => self.revision.map(i128::from),
            Axis::ChangedAt => self.changed_at_ns,
        }
    }

    /// Whether this change is older than `stored`. They are compared on the first axis both have; at the same
    /// place, a change is older than a stored deletion unless it is a deletion too (Wix sends an update with the
    /// deletion, and it may arrive after it). When no axis is common, the change is older than a stored deletion
    /// (nothing shows that it came after it) and newer than anything else.
    pub fn is_older_than(&self, stored: &Position) -> bool {
        let common = Axis::ALL
            .into_iter()
            .find_map(|axis| Some((self.on(axis)?, stored.on(axis)?)));
        match common {
            Some((mine, theirs)) => match mine.cmp(&theirs) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Equal => stored.deleted && !self.deleted,
                std::cmp::Ordering::Greater => false,
            },
            None => stored.deleted,
        }
    }
}

/// Why the ledger could not answer.
#[derive(Debug, thiserror::Error)]
#[error("ledger: {0}")]
pub struct LedgerError(pub String);

/// The consumer's memory: handled events (by source + id) and each subject's latest position.
pub trait Ledger: Send + Sync {
    /// Whether `message` was handled already or is older than its subject's latest; `Handled` means "new".
    fn check(&self, message: &Message)
    -> impl Future<Output = Result<Outcome, LedgerError>> + Send;
    /// Records `message` as handled and, unless a newer one is there, as its subject's latest.
    fn record(&self, message: &Message) -> impl Future<Output = Result<(), LedgerError>> + Send;
}

/// The work done for each new message. Replace the logging handler with your own.
pub trait Handler: Send + Sync {
    /// Handles one message; an error makes SQS deliver it (and the rest of its group) again.
    fn handle(&self, message: &Message) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
#[error("handler: {0}")]
pub struct HandlerError(pub String);

/// The reference handler: does nothing beyond the consumer's own log line.
pub struct LogOnly;

impl Handler for LogOnly {
    async fn handle(&self, _message: &Message) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// Why a batch was not processed at all: SQS delivers every record of it again.
#[derive(Debug, thiserror::Error)]
#[error(
    "record {index} of the SQS batch has no messageId, which SQS always sets: its failure could not be reported, so no record was handled"
)]
pub struct MissingMessageId {
    /// The record's place in the batch, from 0.
    pub index: usize,
}

/// Why one SQS record failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("the SQS record has no body, which SQS always sets")]
    NoBody,
    #[error("the body is not a Rollcall message: {0}")]
    NotAMessage(serde_json::Error),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Handler(#[from] HandlerError),
}

/// A ledger and a handler.
pub struct Consumer<L, H> {
    ledger: L,
    handler: H,
}

impl<L: Ledger, H: Handler> Consumer<L, H> {
    /// A consumer over `ledger` and `handler`.
    pub fn new(ledger: L, handler: H) -> Consumer<L, H> {
        Consumer { ledger, handler }
    }

    /// Processes an SQS batch; the answer names every record SQS must deliver again. A record without a
    /// `messageId` could not be named, so the whole batch is refused before any record is handled.
    pub async fn process(&self, event: SqsEvent) -> Result<SqsBatchResponse, MissingMessageId> {
        // A FIFO record's group; a standard queue's record is a group of its own.
        let mut groups: Vec<Vec<(&str, &SqsMessage)>> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, record) in event.records.iter().enumerate() {
            let id = record
                .message_id
                .as_deref()
                .ok_or(MissingMessageId { index: i })?;
            let group = record
                .attributes
                .get("MessageGroupId")
                .map_or(id, String::as_str);
            let slot = *index.entry(group).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(members) = groups.get_mut(slot) {
                members.push((id, record));
            }
        }
        let failed =
            futures_util::future::join_all(groups.iter().map(|records| self.group(records))).await;
        let mut response = SqsBatchResponse::default();
        response.set_failures(failed.into_iter().flatten());
        Ok(response)
    }

    /// One message group, in order: the ids of the records that failed (the first failure and all after it).
    async fn group(&self, records: &[(&str, &SqsMessage)]) -> Vec<String> {
        for (i, (sqs_id, record)) in records.iter().enumerate() {
            match self.one(record).await {
                Ok((id, kind, outcome)) => {
                    tracing::info!(id, r#type = kind, outcome = outcome.as_str())
                }
                Err(error) => {
                    tracing::error!(sqs_message_id = sqs_id, outcome = "failed", %error);
                    return records
                        .iter()
                        .skip(i)
                        .map(|(id, _)| (*id).to_owned())
                        .collect();
                }
            }
        }
        Vec::new()
    }

    /// One record: its message id, its type and what was done with it.
    async fn one(&self, record: &SqsMessage) -> Result<(String, String, Outcome), Failure> {
        let body = record.body.as_deref().ok_or(Failure::NoBody)?;
        let message = match Received::from_body(body).map_err(Failure::NotAMessage)? {
            Received::Known(message) => message,
            Received::Unknown(unknown) => return Ok((unknown.id, unknown.kind, Outcome::Unknown)),
        };
        let outcome = self.ledger.check(&message).await?;
        if outcome == Outcome::Handled {
            self.handler.handle(&message).await?;
            self.ledger.record(&message).await?;
        }
        Ok((message.id, message.kind.message_type().to_owned(), outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::Position;

    fn at(sequence: Option<u64>, changed_at_ns: Option<i128>, deleted: bool) -> Position {
        Position {
            sequence,
            revision: None,
            changed_at_ns,
            deleted,
        }
    }

    #[test]
    fn a_deletion_stands_after_any_other_change_at_its_place() {
        let deletion = at(Some(3), None, true);
        assert!(at(Some(3), None, false).is_older_than(&deletion));
        assert!(!at(Some(3), None, true).is_older_than(&deletion));
        assert!(!at(Some(4), None, false).is_older_than(&deletion));
        assert!(!deletion.is_older_than(&at(Some(3), None, false)));
        assert!(!at(Some(3), None, false).is_older_than(&at(Some(3), None, false)));
        // By time where there is no sequence.
        assert!(at(None, Some(5), false).is_older_than(&at(None, Some(5), true)));
        assert!(at(None, Some(4), true).is_older_than(&at(None, Some(5), false)));
    }

    #[test]
    fn changes_are_compared_on_an_axis_both_have() {
        let revised = |revision, changed_at_ns, deleted| Position {
            revision: Some(revision),
            ..at(None, changed_at_ns, deleted)
        };
        // Sequence 3 and revision 6 are different counters: the time decides.
        assert!(!at(Some(3), Some(20), true).is_older_than(&revised(6, Some(10), false)));
        assert!(at(Some(3), Some(5), true).is_older_than(&revised(6, Some(10), false)));
        // The first common axis decides, whatever the later ones say.
        assert!(revised(5, Some(99), false).is_older_than(&revised(6, Some(10), false)));
        assert!(!revised(7, Some(1), false).is_older_than(&revised(6, Some(10), false)));
    }

    #[test]
    fn nothing_to_compare_keeps_a_stored_deletion_only() {
        assert!(at(None, Some(1), false).is_older_than(&at(Some(2), None, true)));
        assert!(at(None, None, true).is_older_than(&at(Some(2), None, true)));
        assert!(!at(None, Some(1), false).is_older_than(&at(Some(2), None, false)));
        assert!(!at(None, None, true).is_older_than(&at(Some(2), None, false)));
    }
}
