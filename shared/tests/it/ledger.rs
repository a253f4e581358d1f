//! The consumer's DynamoDB ledger (against the loopback server): items written by earlier versions are read as
//! they are, an item it cannot read fails its message with what it found, and ids holding `/` or `#` keep their
//! subjects apart while every other id keeps the key it had.

use crate::common::*;
use aws_sdk_dynamodb::types::AttributeValue;
use rollcall::consumer::dynamodb::{DEFAULT_TTL, DynamoLedger};
use rollcall::consumer::{Ledger, Outcome};
use rollcall::message::UtcTime;
use rollcall::{Kind, Message};
use rollcall_testkit::aws::endpoint;
use serde_json::Value;

/// A ledger over a new table, and a client to look at the table.
async fn ledger() -> (DynamoLedger, aws_sdk_dynamodb::Client, String) {
    let client = rollcall_testkit::aws::dynamodb(&endpoint());
    let table = rollcall_testkit::aws::create_ledger(&client).await;
    let ledger = DynamoLedger::new(client.clone(), table.clone(), DEFAULT_TTL);
    (ledger, client, table)
}

/// A message of the Wix `kind` from its fixture, with event id `id` and `edit` applied.
fn wix(kind: Kind, id: &str, edit: impl FnOnce(&mut Value)) -> Message {
    let mut delivery = fixture(&format!("{}.json", kind.binary()));
    delivery["data"]["id"] = id.into();
    edit(&mut delivery);
    let token = sign(&wix_claims(&delivery), "wix-test-key.pem");
    let change = rollcall::provider::parse(kind, token.as_bytes()).unwrap();
    Message::build(kind, change, UtcTime::now())
}

/// What the consumer does with `message`: checks it and, when new, records it.
pub(crate) async fn handle(ledger: &DynamoLedger, message: &Message) -> Outcome {
    let outcome = ledger.check(message).await.unwrap();
    if outcome == Outcome::Handled {
        ledger.record(message).await.unwrap();
    }
    outcome
}

/// The subject item of `message` as a version before this one keyed it.
fn legacy_subject_key(message: &Message) -> String {
    format!("subject#{}/{}", message.source, message.subject)
}

async fn put(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    attributes: Vec<(&str, AttributeValue)>,
) {
    let mut put = client.put_item().table_name(table);
    for (name, value) in attributes {
        put = put.item(name, value);
    }
    put.send().await.unwrap();
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn subject_items_of_earlier_versions_are_read_as_they_are() {
    let (ledger, client, table) = ledger().await;
    let at = |id: &str, sequence: &str| {
        wix(Kind::WixParticipationUpdated, id, |d| {
            d["data"]["entityEventSequence"] = sequence.into();
        })
    };
    // The first version: one axis, no `deleted`.
    let key = legacy_subject_key(&at("x", "1"));
    put(
        &client,
        &table,
        vec![("pk", AttributeValue::S(key.clone())), ("seq", n(5))],
    )
    .await;
    assert_eq!(handle(&ledger, &at("s4", "4")).await, Outcome::Stale);
    assert_eq!(handle(&ledger, &at("s6", "6")).await, Outcome::Handled);
    // The version before this one: a deletion at sequence 3, then an update with no sequence but its revision
    // and time: nothing to compare with, and the deletion stands.
    let deletion = vec![
        ("pk", AttributeValue::S(key)),
        ("seq", n(3)),
        ("deleted", AttributeValue::Bool(true)),
    ];
    put(&client, &table, deletion).await;
    let unsequenced = wix(Kind::WixParticipationUpdated, "u", |d| {
        d["data"]
            .as_object_mut()
            .unwrap()
            .remove("entityEventSequence");
    });
    assert_eq!(handle(&ledger, &unsequenced).await, Outcome::Stale);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn an_unreadable_subject_item_fails_its_message() {
    let (ledger, client, table) = ledger().await;
    let update = wix(Kind::WixParticipationUpdated, "u", |_| {});
    for (name, value) in [
        ("seq", AttributeValue::S("five".into())),
        ("rev", n(-1)),
        ("deleted", AttributeValue::S("yes".into())),
    ] {
        let key = AttributeValue::S(legacy_subject_key(&update));
        put(&client, &table, vec![("pk", key), (name, value)]).await;
        let error = ledger.check(&update).await.unwrap_err().to_string();
        assert!(error.contains(&format!("`{name}`")), "{error}");
    }
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn ids_holding_a_separator_keep_their_subjects_apart() {
    let (ledger, client, table) = ledger().await;
    // Both were `subject#/wix/instances/a/participation/b/participation/c` before.
    let deleted = wix(Kind::WixParticipationDeleted, "d", |d| {
        d["instanceId"] = "a/participation/b".into();
        d["data"]["entityId"] = "c".into();
        d["data"]["entityEventSequence"] = "5".into();
    });
    let other = wix(Kind::WixParticipationUpdated, "u", |d| {
        d["instanceId"] = "a".into();
        d["data"]["entityId"] = "b/participation/c".into();
        d["data"]["entityEventSequence"] = "1".into();
    });
    assert_eq!(legacy_subject_key(&deleted), legacy_subject_key(&other));
    assert_ne!(
        rollcall::queue::group_id(&deleted),
        rollcall::queue::group_id(&other)
    );
    assert_eq!(handle(&ledger, &deleted).await, Outcome::Handled);
    assert_eq!(
        handle(&ledger, &other).await,
        Outcome::Handled,
        "another subject"
    );

    // Every other id keeps its key: a deployed ledger carries on.
    let plain = wix(Kind::WixParticipationCreated, "p", |_| {});
    assert_eq!(handle(&ledger, &plain).await, Outcome::Handled);
    let item = client
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(legacy_subject_key(&plain)))
        .send()
        .await
        .unwrap()
        .item;
    assert!(item.is_some(), "{}", legacy_subject_key(&plain));
}
