//! The reference consumer binary over the Lambda Runtime API, fed a real SQS event of messages produced from
//! `events/`, against a DynamoDB-speaking server on loopback.

use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::json;

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
        "body": message.to_body(),
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
