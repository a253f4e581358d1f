//! The reference consumer: reads Rollcall messages from an SQS event source and finishes "exactly once in
//! effect". SQS FIFO forgets a de-duplication id after 5 minutes while providers retry for two days, so the
//! consumer keeps its own [`Ledger`] of handled events (source + id, with a TTL) and of each subject's latest
//! position, and it keeps FIFO order: message groups run concurrently, each group in order, and a failure fails
//! that message and every later one of its group (`ReportBatchItemFailures`). A message of a kind this version
//! does not know is passed over (acknowledged, not handled): new kinds are growth within v1.

pub mod dynamodb;

use crate::message::{Message, Received};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
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

/// Where a change stands in its subject's history: the provider's sequence, else its update time; at the same
/// place, a deletion stands after any other change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Wix `entityEventSequence` (or the entity's revision).
    pub sequence: Option<u64>,
    /// The provider's update time, in nanoseconds since the epoch.
    pub changed_at_ns: Option<i128>,
    /// Whether the change deletes its subject.
    pub deleted: bool,
}

impl Position {
    /// The position of a message.
    pub fn of(message: &Message) -> Position {
        let changed_at_ns = message
            .data
            .changed_at
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .map(OffsetDateTime::unix_timestamp_nanos);
        Position {
            sequence: message.data.sequence,
            changed_at_ns,
            deleted: message.kind.is_deletion(),
        }
    }

    /// Whether this change is older than `stored` (compared by sequence where both have one, else by time; when
    /// neither can be compared it is not older). A change at the same place as a stored deletion is older
    /// unless it is a deletion too: Wix sends an update with the deletion, and it may arrive after it.
    pub fn is_older_than(&self, stored: &Position) -> bool {
        let order = match (self.sequence, stored.sequence) {
            (Some(mine), Some(theirs)) => Some(mine.cmp(&theirs)),
            _ => match (self.changed_at_ns, stored.changed_at_ns) {
                (Some(mine), Some(theirs)) => Some(mine.cmp(&theirs)),
                _ => None,
            },
        };
        match order {
            Some(std::cmp::Ordering::Less) => true,
            Some(std::cmp::Ordering::Equal) => stored.deleted && !self.deleted,
            _ => false,
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

/// Why one SQS record failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
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

    /// Processes an SQS batch; the answer names every record SQS must deliver again.
    pub async fn process(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut groups: Vec<(String, Vec<SqsMessage>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for record in event.records {
            let group = record
                .attributes
                .get("MessageGroupId")
                .cloned()
                .or_else(|| record.message_id.clone())
                .unwrap_or_default();
            let slot = *index.entry(group.clone()).or_insert_with(|| {
                groups.push((group, Vec::new()));
                groups.len() - 1
            });
            groups[slot].1.push(record);
        }
        let failed =
            futures_util::future::join_all(groups.iter().map(|(_, records)| self.group(records)))
                .await;
        let mut response = SqsBatchResponse::default();
        response.set_failures(failed.into_iter().flatten());
        response
    }

    /// One message group, in order: the ids of the records that failed (the first failure and all after it).
    async fn group(&self, records: &[SqsMessage]) -> Vec<String> {
        for (i, record) in records.iter().enumerate() {
            let id = record.message_id.clone().unwrap_or_default();
            match self.one(record).await {
                Ok((id, kind, outcome)) => {
                    tracing::info!(id, r#type = kind, outcome = outcome.as_str())
                }
                Err(error) => {
                    tracing::error!(sqs_message_id = id, outcome = "failed", %error);
                    return records[i..]
                        .iter()
                        .filter_map(|r| r.message_id.clone())
                        .collect();
                }
            }
        }
        Vec::new()
    }

    /// One record: its message id, its type and what was done with it.
    async fn one(&self, record: &SqsMessage) -> Result<(String, String, Outcome), Failure> {
        let message = match Received::from_body(record.body.as_deref().unwrap_or_default())
            .map_err(Failure::NotAMessage)?
        {
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
        // Nothing to compare: not older.
        assert!(!at(None, None, false).is_older_than(&at(Some(1), None, true)));
    }
}
