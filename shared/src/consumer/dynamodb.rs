//! The consumer's ledger in DynamoDB: one table, key `pk`, TTL attribute `expires_at`. An item
//! `handled#["<source>","<id>"]` per handled message (conditional put; CloudEvents identify an event by source
//! and id, so the same id from two providers or tenants is two events), and an item `subject#<source>/<subject>`
//! per subject ([`subject_path`]) with the position of its latest change: every axis that change has (`seq`,
//! `rev`, `changed_ns`) and `deleted`. The subject item changes only under a condition that holds when the new
//! change is not older ([`Position::is_older_than`], in DynamoDB's words), so the `deleted` flag changes only
//! through an axis the recorded deletion has. A deletion replaces every axis (the item is then the deletion's
//! position exactly); any other change sets the axes it has and keeps the others.
//!
//! Items of earlier versions are read as they are: an item `id#<id>` still counts as handled (from any source)
//! until it expires, so an upgrade handles nothing twice; a subject item without `deleted` (before deletions were
//! kept) is not a deletion; its `seq` is read as the sequence, though a version before the `revision` field wrote
//! a Wix revision there when a delivery had no sequence (such items expire with the TTL).

use super::{Axis, Ledger, LedgerError, Outcome, Position};
use crate::queue::subject_path;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use rollcall_contract::message::Message;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long handled ids are remembered by default: providers retry for up to two days.
pub const DEFAULT_TTL: Duration =
    Duration::from_secs(crate::settings::DEFAULT_DEDUP_TTL_DAYS * 24 * 3600);

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

    async fn get(&self, pk: String) -> Result<Option<Item>, LedgerError> {
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

    fn expires_at(&self) -> Result<AttributeValue, LedgerError> {
        Ok(AttributeValue::N((now()? + self.ttl).as_secs().to_string()))
    }
}

/// A DynamoDB item.
type Item = HashMap<String, AttributeValue>;

fn error<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> LedgerError {
    LedgerError(DisplayErrorContext(e).to_string())
}

fn handled_key(message: &Message) -> Result<String, LedgerError> {
    // A JSON array: unambiguous whatever the source or id contains.
    let scoped = serde_json::to_string(&[&message.source, &message.id]).map_err(|e| {
        LedgerError(format!(
            "the handled key, a JSON array of two strings, could not be written: {e}"
        ))
    })?;
    Ok(format!("handled#{scoped}"))
}

/// The key of the first version, by id alone.
fn legacy_key(message: &Message) -> String {
    format!("id#{}", message.id)
}

/// Now, as time since the epoch; an error on a clock set before 1970 (every expiry would be in the past).
fn now() -> Result<Duration, LedgerError> {
    SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| {
        LedgerError("the system clock is before 1970: expiry times cannot be set".into())
    })
}

fn subject_key(message: &Message) -> String {
    format!(
        "subject#{}",
        subject_path(&message.source, &message.subject)
    )
}

/// The attribute of the subject item that holds `axis`.
fn attribute(axis: Axis) -> &'static str {
    match axis {
        Axis::Sequence => "seq",
        Axis::Revision => "rev",
        Axis::ChangedAt => "changed_ns",
    }
}

/// A number attribute of an item, `None` when absent; an error when it is there but not a whole number.
fn number(item: &Item, name: &str) -> Result<Option<i128>, LedgerError> {
    let Some(value) = item.get(name) else {
        return Ok(None);
    };
    value
        .as_n()
        .ok()
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            LedgerError(format!(
                "ledger attribute `{name}` is not a whole number: {value:?}"
            ))
        })
}

/// The position a subject item holds.
fn stored_position(item: &Item) -> Result<Position, LedgerError> {
    let counter = |axis: Axis| -> Result<Option<u64>, LedgerError> {
        number(item, attribute(axis))?
            .map(|n| {
                u64::try_from(n).map_err(|_| {
                    LedgerError(format!(
                        "ledger attribute `{}` is out of range: {n}",
                        attribute(axis)
                    ))
                })
            })
            .transpose()
    };
    let deleted = match item.get("deleted") {
        None => false,
        Some(AttributeValue::Bool(deleted)) => *deleted,
        Some(other) => {
            return Err(LedgerError(format!(
                "ledger attribute `deleted` is not a boolean: {other:?}"
            )));
        }
    };
    Ok(Position {
        sequence: counter(Axis::Sequence)?,
        revision: counter(Axis::Revision)?,
        changed_at_ns: number(item, attribute(Axis::ChangedAt))?,
        deleted,
    })
}

/// The condition under which `position` replaces the stored one: [`Position::is_older_than`] negated. Built from
/// the last axis back: where the item has the change's axis, compare on it; where it has not, go on to the next
/// axis; with no axis left, a stored deletion stands. A deletion also replaces a change at its own place.
fn newer_condition(position: &Position) -> String {
    let mut condition = "(attribute_not_exists(deleted) OR deleted = :false)".to_owned();
    let compare = if position.deleted { "<=" } else { "<" };
    for axis in Axis::ALL.into_iter().rev() {
        if position.on(axis).is_some() {
            let name = attribute(axis);
            condition = format!(
                "((attribute_exists(#{name}) AND #{name} {compare} :{name}) OR (attribute_not_exists(#{name}) AND {condition}))"
            );
        }
    }
    condition
}

/// The update that records `position`: it sets the axes the change has and, for a deletion, removes the others.
/// Axes are named `#<attribute>` (DynamoDB reserves many words); [`named_axes`] lists the ones it names.
fn record_update(position: &Position) -> String {
    let mut set = vec!["deleted = :d".to_owned(), "expires_at = :e".to_owned()];
    let mut remove = Vec::new();
    for axis in Axis::ALL {
        let name = attribute(axis);
        if position.on(axis).is_some() {
            set.push(format!("#{name} = :{name}"));
        } else if position.deleted {
            remove.push(format!("#{name}"));
        }
    }
    let mut update = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        update.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    update
}

/// The axes the expressions of `position`'s update name (DynamoDB refuses a name given but not used): those it
/// has, and every one for a deletion, which removes the others.
fn named_axes(position: &Position) -> impl Iterator<Item = Axis> + '_ {
    Axis::ALL
        .into_iter()
        .filter(|axis| position.deleted || position.on(*axis).is_some())
}

impl Ledger for DynamoLedger {
    async fn check(&self, message: &Message) -> Result<Outcome, LedgerError> {
        let position = Position::of(message)?;
        if self.get(handled_key(message)?).await?.is_some() {
            return Ok(Outcome::Duplicate);
        }
        // DynamoDB deletes expired items when it gets to it (often days later): read the expiry.
        let legacy = self.get(legacy_key(message)).await?;
        if let Some(item) = legacy {
            // An item without an expiry never expires.
            let now = i128::from(now()?.as_secs());
            let live = number(&item, "expires_at")?.is_none_or(|at| at > now);
            if live {
                return Ok(Outcome::Duplicate);
            }
        }
        let Some(latest) = self.get(subject_key(message)).await? else {
            return Ok(Outcome::Handled);
        };
        Ok(if position.is_older_than(&stored_position(&latest)?) {
            Outcome::Stale
        } else {
            Outcome::Handled
        })
    }

    async fn record(&self, message: &Message) -> Result<(), LedgerError> {
        let position = Position::of(message)?;
        let expires_at = self.expires_at()?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(handled_key(message)?))
            .item("expires_at", expires_at.clone())
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
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(subject_key(message)))
            .update_expression(record_update(&position))
            .condition_expression(newer_condition(&position))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":d", AttributeValue::Bool(position.deleted))
            .expression_attribute_values(":e", expires_at);
        for axis in named_axes(&position) {
            update =
                update.expression_attribute_names(format!("#{}", attribute(axis)), attribute(axis));
            if let Some(value) = position.on(axis) {
                update = update.expression_attribute_values(
                    format!(":{}", attribute(axis)),
                    AttributeValue::N(value.to_string()),
                );
            }
        }
        let update = update.send().await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The `#name` or `:value` tokens of `expression`.
    fn tokens(expression: &str, sigil: char) -> BTreeSet<String> {
        expression
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == sigil))
            .filter(|t| t.starts_with(sigil))
            .map(str::to_owned)
            .collect()
    }

    /// DynamoDB refuses an expression naming what is not given, and a name or value given but not used (moto
    /// checks neither): every shape of position names exactly what `record` gives.
    #[test]
    fn the_update_names_exactly_what_it_gives() {
        for shape in 0..16u8 {
            let position = Position {
                sequence: (shape & 1 != 0).then_some(3),
                revision: (shape & 2 != 0).then_some(6),
                changed_at_ns: (shape & 4 != 0).then_some(9),
                deleted: shape & 8 != 0,
            };
            let expressions = format!(
                "{} {}",
                record_update(&position),
                newer_condition(&position)
            );
            let names: BTreeSet<String> = named_axes(&position)
                .map(|axis| format!("#{}", attribute(axis)))
                .collect();
            let mut values: BTreeSet<String> = [":false", ":d", ":e"].map(str::to_owned).into();
            values.extend(
                Axis::ALL
                    .into_iter()
                    .filter(|axis| position.on(*axis).is_some())
                    .map(|axis| format!(":{}", attribute(axis))),
            );
            assert_eq!(tokens(&expressions, '#'), names, "{position:?}");
            assert_eq!(tokens(&expressions, ':'), values, "{position:?}");
        }
    }
}
