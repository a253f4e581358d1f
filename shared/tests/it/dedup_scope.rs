//! De-duplication is scoped by `source` + `id` (CloudEvents): the same id from two providers or tenants is two
//! events, from one source it is one. Held for the SQLite queue (through the pipeline) and for the reference
//! consumer's DynamoDB ledger (against the loopback server). And the SQLite queue keeps one quarantine record
//! per delivery: the same body posted to the same route again is not stored again.

use crate::common::*;
use rollcall::queue::{Inbox, Lane};
use rollcall::{Kind, Message};
use serde_json::Value;

/// A Mighty Networks RSVP with `event_id` in space `space`.
fn mighty(event_id: &str, space: u64) -> Vec<u8> {
    let mut delivery = fixture("mighty-networks-rsvp-created.json");
    delivery["event_id"] = event_id.into();
    delivery["payload"]["event"]["space_id"] = space.into();
    serde_json::to_vec(&delivery).unwrap()
}

/// A Wix participation whose event `id` is `event_id`.
fn wix(event_id: &str) -> Vec<u8> {
    let mut delivery = fixture("wix-participation-created.json");
    delivery["data"]["id"] = event_id.into();
    sign(&wix_claims(&delivery), "wix-test-key.pem").into_bytes()
}

#[tokio::test]
async fn the_same_id_from_two_sources_is_two_messages_in_the_sqlite_queue() {
    let (_temp, pipeline) = pipeline();
    let id = "5b2f0c7e-0000-4000-8000-00000000d0b1";
    let deliveries = [
        (Kind::MightyNetworksRsvpCreated, mighty(id, 123)),
        (Kind::MightyNetworksRsvpCreated, mighty(id, 456)),
        (Kind::WixParticipationCreated, wix(id)),
        // A retry from the first space: the same source and id.
        (Kind::MightyNetworksRsvpCreated, mighty(id, 123)),
    ];
    for (kind, body) in &deliveries {
        let answer = post_signed(&pipeline, *kind, body).await;
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            (answer.status, &body["id"]),
            (200, &Value::from(id)),
            "{body}"
        );
    }
    let stored = pipeline.queue().receive(Lane::Messages, 10).await.unwrap();
    let sources: Vec<String> = stored
        .iter()
        .map(|r| Message::from_body(&r.body).unwrap().source)
        .collect();
    assert_eq!(
        sources,
        [
            "/mighty-networks/spaces/123",
            "/mighty-networks/spaces/456",
            "/wix/instances/6f2c9e1a-4b7d-4c3e-9a8f-2d1e0b5c7a90",
        ]
        .map(str::to_owned),
        "two sources, two messages; the retry is stored no second time"
    );
}

#[tokio::test]
async fn the_same_unparsable_delivery_is_quarantined_once() {
    let (_temp, pipeline) = pipeline();
    let kind = Kind::MightyNetworksRsvpCreated;
    let unparsable = br#"{"event_id": "x", "payload": "not an RSVP"}"#;
    let post = |kind: Kind, body: &'static [u8]| {
        let pipeline = &pipeline;
        async move {
            let answer = post_signed(pipeline, kind, body).await;
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            assert_eq!(
                (answer.status, &body["status"]),
                (200, &Value::from("quarantined"))
            );
        }
    };
    for _ in 0..50 {
        post(kind, unparsable).await;
    }
    let count = || pipeline.queue().count(Lane::Quarantine);
    assert_eq!(count().await.unwrap(), 1, "one record for 50 posts");
    // Another body, or the same body to another route, is another record.
    post(kind, br#"{"event_id": "y", "payload": "not an RSVP"}"#).await;
    post(Kind::MightyNetworksRsvpUpdated, unparsable).await;
    assert_eq!(count().await.unwrap(), 3);
}

#[cfg(feature = "consumer")]
mod ledger {
    use super::*;
    use crate::ledger::handle;
    use aws_sdk_dynamodb::types::AttributeValue;
    use rollcall::consumer::Outcome;
    use rollcall::consumer::dynamodb::{DEFAULT_TTL, DynamoLedger};
    use rollcall::message::UtcTime;
    use rollcall_testkit::aws::endpoint;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn message(kind: Kind, body: &[u8]) -> Message {
        let change = rollcall::provider::parse(kind, body).unwrap();
        Message::build(kind, change, UtcTime::now())
    }

    /// An item as the first version wrote it: `id#<id>`, expiring at `expires_at` (seconds from now).
    async fn legacy_item(
        client: &aws_sdk_dynamodb::Client,
        table: &str,
        id: &str,
        expires_in: i64,
    ) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        client
            .put_item()
            .table_name(table)
            .item("pk", AttributeValue::S(format!("id#{id}")))
            .item(
                "expires_at",
                AttributeValue::N((now.as_secs() as i64 + expires_in).to_string()),
            )
            .send()
            .await
            .unwrap();
    }

    #[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
    #[tokio::test]
    async fn the_ledger_keys_on_source_and_id_and_honours_first_version_items() {
        let endpoint = endpoint();
        let client = rollcall_testkit::aws::dynamodb(&endpoint);
        let table = rollcall_testkit::aws::create_ledger(&client).await;
        let ledger = DynamoLedger::new(client.clone(), table.clone(), DEFAULT_TTL);
        let kind = Kind::MightyNetworksRsvpCreated;

        let first = message(kind, &mighty("shared-id", 123));
        let other_space = message(kind, &mighty("shared-id", 456));
        let other_provider = message(Kind::WixParticipationCreated, &wix("shared-id"));
        assert_eq!(handle(&ledger, &first).await, Outcome::Handled);
        assert_eq!(handle(&ledger, &other_space).await, Outcome::Handled);
        assert_eq!(handle(&ledger, &other_provider).await, Outcome::Handled);
        assert_eq!(handle(&ledger, &first).await, Outcome::Duplicate);

        // Handled by the first version: seen, from any source, until the item expires (DynamoDB may keep an
        // expired item for days; the ledger reads the expiry).
        legacy_item(&client, &table, "handled-before", 3600).await;
        legacy_item(&client, &table, "expired", -60).await;
        for space in [123, 456] {
            let retry = message(kind, &mighty("handled-before", space));
            assert_eq!(handle(&ledger, &retry).await, Outcome::Duplicate);
        }
        let expired = message(kind, &mighty("expired", 123));
        assert_eq!(handle(&ledger, &expired).await, Outcome::Handled);
    }
}
