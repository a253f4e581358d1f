//! The reference consumer against a real DynamoDB-speaking server on loopback (moto): duplicates skipped over
//! the retry horizon, stale changes dropped, FIFO-correct partial batch failures. Driven with real SQS event JSON.

use crate::common::*;
use rollcall::consumer::dynamodb::{DEFAULT_TTL, DynamoLedger};
use rollcall::consumer::{Consumer, Handler, HandlerError};
use rollcall::message::UtcTime;
use rollcall::{Kind, Message};
use rollcall_testkit::aws::endpoint;
use serde_json::{Value, json};
use std::sync::Mutex;

async fn ledger(endpoint: &str) -> DynamoLedger {
    let client = rollcall_testkit::aws::dynamodb(endpoint);
    let table = rollcall_testkit::aws::create_ledger(&client).await;
    DynamoLedger::new(client, table, DEFAULT_TTL)
}

/// Records what it handled; fails on the ids it is told to.
#[derive(Default)]
struct Recorder {
    handled: Mutex<Vec<String>>,
    fail_on: Mutex<Vec<String>>,
}

impl Handler for &Recorder {
    async fn handle(&self, message: &Message) -> Result<(), HandlerError> {
        if self.fail_on.lock().unwrap().contains(&message.id) {
            return Err(HandlerError(format!("refusing {}", message.id)));
        }
        self.handled.lock().unwrap().push(message.id.clone());
        Ok(())
    }
}

fn message(kind: Kind, body: &[u8]) -> Message {
    let change = rollcall::provider::parse(kind, body).unwrap();
    Message::build(kind, change, UtcTime::now())
}

fn wix(kind: Kind, event_id: &str, sequence: &str) -> Message {
    let mut delivery = fixture(&format!("{}.json", kind.binary()));
    delivery["data"]["id"] = event_id.into();
    delivery["data"]["entityEventSequence"] = sequence.into();
    message(
        kind,
        sign(&wix_claims(&delivery), "wix-test-key.pem").as_bytes(),
    )
}

/// An SQS event as Lambda delivers it from a FIFO queue.
fn sqs_event(messages: &[&Message]) -> aws_lambda_events::sqs::SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "messageId": format!("sqs-{i}"),
                "receiptHandle": format!("handle-{i}"),
                "body": m.to_body(),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AROAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1767225600001",
                    "SequenceNumber": format!("1878{i:016}"),
                    "MessageGroupId": rollcall::queue::group_id(m),
                    "MessageDeduplicationId": rollcall::queue::deduplication_id(m),
                },
                "messageAttributes": {
                    "type": {"stringValue": m.kind.message_type(), "dataType": "String", "stringListValues": [], "binaryListValues": []},
                },
                "md5OfBody": "0",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollcall-messages.fifo",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).expect("a real SQS event")
}

fn failures(response: &aws_lambda_events::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn duplicates_are_skipped_and_stale_changes_dropped() {
    let endpoint = endpoint();
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    let created = wix(Kind::WixParticipationCreated, "e1", "1");
    let updated = wix(Kind::WixParticipationUpdated, "e2", "2");
    let late_retry = wix(Kind::WixParticipationUpdated, "e0", "1");
    let response = consumer.process(sqs_event(&[&created, &updated])).await;
    assert!(failures(&response).is_empty());
    // A provider retry two days later (SQS FIFO forgot its id long ago), and an older change arriving late.
    let response = consumer
        .process(sqs_event(&[&created, &late_retry, &updated]))
        .await;
    assert!(failures(&response).is_empty());
    assert_eq!(*recorder.handled.lock().unwrap(), ["e1", "e2"]);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_failure_fails_the_rest_of_its_group_only() {
    let endpoint = endpoint();
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    let a1 = wix(Kind::WixParticipationCreated, "a1", "1");
    let a2 = wix(Kind::WixParticipationUpdated, "a2", "2");
    let a3 = wix(Kind::WixParticipationDeleted, "a3", "3");
    let other = message(
        Kind::OmerloParticipantCreated,
        &body(Kind::OmerloParticipantCreated),
    );
    recorder.fail_on.lock().unwrap().push("a2".into());
    let response = consumer.process(sqs_event(&[&a1, &a2, &other, &a3])).await;
    assert_eq!(
        failures(&response),
        ["sqs-1", "sqs-3"],
        "a2 and the later a3 of the same group"
    );
    // Groups run concurrently: compare without their interleaving.
    let mut handled = recorder.handled.lock().unwrap().clone();
    handled.sort();
    let mut expected = vec!["a1".to_string(), other.id.clone()];
    expected.sort();
    assert_eq!(handled, expected);
    // SQS delivers the failed ones again; now they pass, in order, and nothing is handled twice.
    recorder.fail_on.lock().unwrap().clear();
    let response = consumer.process(sqs_event(&[&a2, &a3])).await;
    assert!(failures(&response).is_empty());
    assert_eq!(recorder.handled.lock().unwrap().len(), 4);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_body_that_is_no_message_fails_alone() {
    let endpoint = endpoint();
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    let good = message(
        Kind::MightyNetworksRsvpCreated,
        &body(Kind::MightyNetworksRsvpCreated),
    );
    let mut event = sqs_event(&[&good, &good]);
    event.records[1].body = Some("not json".into());
    event.records[1]
        .attributes
        .insert("MessageGroupId".into(), "poison".into());
    let response = consumer.process(event).await;
    assert_eq!(failures(&response), ["sqs-1"]);
    assert_eq!(recorder.handled.lock().unwrap().len(), 1);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_deletion_is_kept_when_an_update_at_its_sequence_follows() {
    let endpoint = endpoint();
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    // Wix sends a Guest Updated with every Guest Deleted, maybe twice, in any order.
    let created = wix(Kind::WixGuestCreated, "g1", "1");
    let deleted = wix(Kind::WixGuestDeleted, "g3", "3");
    let companion = wix(Kind::WixGuestUpdated, "g3u", "3");
    let again = wix(Kind::WixGuestUpdated, "g3v", "3");
    assert_eq!(
        rollcall::queue::group_id(&deleted),
        rollcall::queue::group_id(&companion)
    );
    let response = consumer
        .process(sqs_event(&[&created, &deleted, &companion, &again]))
        .await;
    assert!(failures(&response).is_empty());
    assert_eq!(*recorder.handled.lock().unwrap(), ["g1", "g3"]);

    // The other order: the update first, then the deletion at the same sequence is still handled.
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    let response = consumer
        .process(sqs_event(&[&created, &companion, &deleted, &again]))
        .await;
    assert!(failures(&response).is_empty());
    assert_eq!(*recorder.handled.lock().unwrap(), ["g1", "g3u", "g3"]);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_message_of_an_unknown_type_is_passed_over() {
    let endpoint = endpoint();
    let recorder = Recorder::default();
    let consumer = Consumer::new(ledger(&endpoint).await, &recorder);
    let before = wix(Kind::WixEventCreated, "k1", "1");
    let after = wix(Kind::WixEventUpdated, "k2", "2");
    let mut event = sqs_event(&[&before, &after, &after]);
    let mut future: Value =
        serde_json::from_str(event.records[1].body.as_deref().unwrap()).unwrap();
    future["type"] = "com.wix.events.event.published".into();
    future["id"] = "k-future".into();
    event.records[1].body = Some(future.to_string());
    let response = consumer.process(event).await;
    assert!(failures(&response).is_empty(), "not a failure");
    assert_eq!(*recorder.handled.lock().unwrap(), ["k1", "k2"]);
}
