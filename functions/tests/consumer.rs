//! The reference consumer binary over the Lambda Runtime API, fed a real SQS event of messages produced from
//! `events/`, against a DynamoDB-speaking server on loopback.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_binary_handles_a_batch_once() {
    let Ok(endpoint) = std::env::var("ROLLCALL_TEST_AWS_ENDPOINT") else {
        assert!(
            std::env::var_os("ROLLCALL_TEST_REQUIRE_AWS").is_none(),
            "no ROLLCALL_TEST_AWS_ENDPOINT"
        );
        eprintln!("skipped: no ROLLCALL_TEST_AWS_ENDPOINT (scripts/test starts one)");
        return;
    };
    let lookup_endpoint = endpoint.clone();
    let config = rollcall::aws::sdk_config_from_lookup(
        move |var| match var {
            "AWS_ENDPOINT_URL" => Some(lookup_endpoint.clone()),
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("test".into()),
            _ => None,
        },
        Duration::from_secs(5),
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("consumer-{}", uuid::Uuid::new_v4().simple());
    dynamodb
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();

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

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
