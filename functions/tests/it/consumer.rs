//! The reference consumer binary over the Lambda Runtime API, fed a real SQS event of messages produced from
//! `events/`, against a DynamoDB-speaking server on loopback: a batch handled once, and a subject's deletion
//! kept across changes that carry different ordering axes (issue 26 §3).

use aws_sdk_dynamodb::types::AttributeValue;
use rollcall::{Kind, Message};
use rollcall_testkit::deliveries::{WixSigner, kind_fixture, wix_claims};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::{Value, json};
use std::collections::HashMap;

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_binary_handles_a_batch_once() {
    let endpoint = rollcall_testkit::aws::endpoint();
    let dynamodb = rollcall_testkit::aws::dynamodb(&endpoint);
    let table = rollcall_testkit::aws::create_ledger(&dynamodb).await;

    let raw = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/tests/fixtures/mighty-networks-rsvp-created.json"),
    )
    .unwrap();
    let kind = rollcall::Kind::MightyNetworksRsvpCreated;
    let message = rollcall::Message::build(
        kind,
        rollcall::provider::parse(kind, raw.as_bytes()).unwrap(),
        time_now(),
    );
    let event = json!({"Records": [{
        "messageId": "m-1",
        "receiptHandle": "h-1",
        "body": message.to_body().unwrap().into_string(),
        "attributes": {"MessageGroupId": rollcall::queue::group_id(&message), "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollcall-messages.fifo",
        "awsRegion": "us-east-1"
    }]});

    let api = RuntimeApi::start().await;
    let env = vec![
        ("TABLE_NAME", table.clone()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
    ];
    let mut function = api.spawn("consumer", &env);
    for _ in 0..2 {
        match api.invoke(event.to_string().as_bytes()).await {
            Outcome::Response(response) => assert_eq!(response, json!({"batchItemFailures": []})),
            other => panic!("{other:?}"),
        }
    }
    function.kill().await.unwrap();
    let items = dynamodb
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(items, 2, "one id item and one subject item");
}

fn time_now() -> rollcall::message::UtcTime {
    rollcall::message::UtcTime::now()
}

/// The consumer binary running against a fresh ledger table.
struct Running {
    api: RuntimeApi,
    function: tokio::process::Child,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
}

impl Running {
    async fn start() -> Running {
        let endpoint = rollcall_testkit::aws::endpoint();
        let dynamodb = rollcall_testkit::aws::dynamodb(&endpoint);
        let table = rollcall_testkit::aws::create_ledger(&dynamodb).await;
        let api = RuntimeApi::start().await;
        let env = vec![
            ("TABLE_NAME", table.clone()),
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ];
        let function = api.spawn("consumer", &env);
        Running {
            api,
            function,
            dynamodb,
            table,
        }
    }

    /// Delivers `message` alone, as a late arrival does, in an SQS event from the FIFO queue.
    async fn deliver(&self, message: &Message) {
        let event = json!({"Records": [{
            "messageId": format!("sqs-{}", message.id),
            "receiptHandle": "h",
            "body": message.to_body().unwrap().into_string(),
            "attributes": {"MessageGroupId": rollcall::queue::group_id(message), "ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:rollcall-messages.fifo",
            "awsRegion": "us-east-1"
        }]});
        match self.api.invoke(event.to_string().as_bytes()).await {
            Outcome::Response(response) => assert_eq!(response, json!({"batchItemFailures": []})),
            other => panic!("{other:?}"),
        }
    }

    async fn item(&self, pk: String) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    /// Whether the consumer handled `message` (stale changes are not recorded as handled).
    async fn handled(&self, message: &Message) -> bool {
        let pk = format!(
            "handled#{}",
            serde_json::to_string(&[&message.source, &message.id]).unwrap()
        );
        self.item(pk).await.is_some()
    }

    /// Whether the ledger holds `message`'s subject as deleted.
    async fn deleted(&self, message: &Message) -> bool {
        let pk = format!(
            "subject#{}",
            rollcall::queue::subject_path(&message.source, &message.subject)
        );
        let item = self.item(pk).await.expect("the subject is recorded");
        item.get("deleted") == Some(&AttributeValue::Bool(true))
    }
}

/// A message of the Wix `kind`, from its fixture with `edit` applied to the decoded delivery.
fn wix(kind: Kind, id: &str, edit: impl FnOnce(&mut Value)) -> Message {
    let mut delivery = kind_fixture(kind);
    delivery["data"]["id"] = id.into();
    edit(&mut delivery);
    let token = WixSigner::new().sign(&wix_claims(&delivery));
    let change = rollcall::provider::parse(kind, token.as_bytes()).unwrap();
    Message::build(kind, change, time_now())
}

/// Removes `data.<key>` of a Wix delivery.
fn without(delivery: &mut Value, key: &str) {
    delivery["data"].as_object_mut().unwrap().remove(key);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_with_a_sequence_after_an_update_with_a_revision_is_handled() {
    // A guest updated without a sequence (revision 6), then deleted with sequence 3: two counters, never
    // compared with each other. Once the deleted guest as it was (revision 6 again), once with no entity.
    let updated = wix(Kind::WixGuestUpdated, "u6", |d| {
        without(d, "entityEventSequence");
        d["data"]["updatedEvent"]["currentEntity"]["revision"] = "6".into();
    });
    assert_eq!(
        (updated.data.sequence, updated.data.revision),
        (None, Some(6))
    );
    let as_it_was = wix(Kind::WixGuestDeleted, "d3", |d| {
        d["data"]["entityEventSequence"] = "3".into();
        d["data"]["deletedEvent"]["deletedEntity"]["revision"] = "6".into();
    });
    let bare = wix(Kind::WixGuestDeleted, "d3-bare", |d| {
        d["data"]["entityEventSequence"] = "3".into();
        d["data"]["deletedEvent"] = json!({});
    });
    for deleted in [as_it_was, bare] {
        let mut consumer = Running::start().await;
        consumer.deliver(&updated).await;
        consumer.deliver(&deleted).await;
        assert!(
            consumer.handled(&deleted).await,
            "{}: not stale",
            deleted.id
        );
        assert!(consumer.deleted(&deleted).await);
        consumer.function.kill().await.unwrap();
    }
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_older_update_without_a_sequence_leaves_a_deletion_deleted() {
    // A participation deleted at sequence 2, then a late, older update without a sequence or revision: it is
    // compared on its time (older), and one without any time cannot be compared at all: the deletion stands.
    let deleted = wix(Kind::WixParticipationDeleted, "d2", |d| {
        d["data"]["entityEventSequence"] = "2".into();
    });
    let older = |id: &str, updated_date: Option<&str>| {
        wix(Kind::WixParticipationUpdated, id, |d| {
            without(d, "entityEventSequence");
            let entity = d["data"]["updatedEvent"]["currentEntity"]
                .as_object_mut()
                .unwrap();
            entity.remove("revision");
            match updated_date {
                Some(date) => {
                    entity.insert("updatedDate".into(), date.into());
                }
                None => {
                    entity.remove("updatedDate");
                    without(d, "eventTime");
                }
            }
        })
    };
    let late = older("u-late", Some("2024-10-15T12:00:00Z"));
    let timeless = older("u-timeless", None);
    assert_eq!(timeless.data.changed_at, None);
    let mut consumer = Running::start().await;
    consumer.deliver(&deleted).await;
    for update in [&late, &timeless] {
        consumer.deliver(update).await;
        assert!(!consumer.handled(update).await, "{}: stale", update.id);
        assert!(
            consumer.deleted(&deleted).await,
            "{}: still deleted",
            update.id
        );
    }
    consumer.function.kill().await.unwrap();
}
