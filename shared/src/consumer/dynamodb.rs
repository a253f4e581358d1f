//! The consumer's ledger in DynamoDB: one table, key `pk`, TTL attribute `expires_at`. An item
//! `handled#["<source>","<id>"]` per handled message (conditional put; CloudEvents identify an event by source
//! and id, so the same id from two providers or tenants is two events), an item `subject#<source>/<subject>` per
//! subject with its latest position (`seq`, `changed_ns`, and `deleted`), updated only forward (a deletion also at
//! the same place). An item `id#<id>`, written by the first version, still counts as handled (from any source)
//! until it expires, so an upgrade handles nothing twice.

use super::{Ledger, LedgerError, Outcome, Position};
use crate::message::Message;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long handled ids are remembered by default: providers retry for up to two days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The DynamoDB ledger.
pub struct DynamoLedger {
    client: Client,
    table: String,
    ttl: Duration,
}

impl DynamoLedger {
    /// A ledger in `table`, remembering ids for `ttl`.
    pub fn new(client: Client, table: String, ttl: Duration) -> DynamoLedger {
        DynamoLedger { client, table, ttl }
    }

    async fn get(
        &self,
        pk: String,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(error)?;
        Ok(out.item)
    }

    fn expires_at(&self) -> AttributeValue {
        AttributeValue::N((now() + self.ttl).as_secs().to_string())
    }
}

fn error<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> LedgerError {
    LedgerError(DisplayErrorContext(e).to_string())
}

fn handled_key(message: &Message) -> String {
    // A JSON array: unambiguous whatever the source or id contains.
    let scoped = serde_json::to_string(&[&message.source, &message.id]).unwrap_or_default();
    format!("handled#{scoped}")
}

/// The key of the first version, by id alone.
fn legacy_key(message: &Message) -> String {
    format!("id#{}", message.id)
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn subject_key(message: &Message) -> String {
    format!("subject#{}/{}", message.source, message.subject)
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i128> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

impl Ledger for DynamoLedger {
    async fn check(&self, message: &Message) -> Result<Outcome, LedgerError> {
        if self.get(handled_key(message)).await?.is_some() {
            return Ok(Outcome::Duplicate);
        }
        // DynamoDB deletes expired items when it gets to it (often days later): read the expiry.
        let legacy = self.get(legacy_key(message)).await?;
        if legacy.is_some_and(|item| {
            number(&item, "expires_at").is_some_and(|at| at > i128::from(now().as_secs()))
        }) {
            return Ok(Outcome::Duplicate);
        }
        let Some(latest) = self.get(subject_key(message)).await? else {
            return Ok(Outcome::Handled);
        };
        let stored = Position {
            sequence: number(&latest, "seq").and_then(|n| u64::try_from(n).ok()),
            changed_at_ns: number(&latest, "changed_ns"),
            deleted: latest
                .get("deleted")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
        };
        Ok(if Position::of(message).is_older_than(&stored) {
            Outcome::Stale
        } else {
            Outcome::Handled
        })
    }

    async fn record(&self, message: &Message) -> Result<(), LedgerError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(handled_key(message)))
            .item("expires_at", self.expires_at())
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if let Err(e) = put {
            // Handled concurrently by another invocation: the record is there, which is all we need.
            if !e
                .as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception())
            {
                return Err(error(e));
            }
        }
        let position = Position::of(message);
        let (name, value) = match (position.sequence, position.changed_at_ns) {
            (Some(seq), _) => ("seq", seq as i128),
            (None, Some(ns)) => ("changed_ns", ns),
            (None, None) => return Ok(()),
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(subject_key(message)))
            .update_expression("SET #p = :p, deleted = :d, expires_at = :e")
            // A deletion also replaces a change at the same place, which then reads as stale.
            .condition_expression(if position.deleted {
                "attribute_not_exists(#p) OR #p <= :p"
            } else {
                "attribute_not_exists(#p) OR #p < :p"
            })
            .expression_attribute_names("#p", name)
            .expression_attribute_values(":p", AttributeValue::N(value.to_string()))
            .expression_attribute_values(":d", AttributeValue::Bool(position.deleted))
            .expression_attribute_values(":e", self.expires_at())
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            // A newer change of the subject is already recorded.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(error(e)),
        }
    }
}
