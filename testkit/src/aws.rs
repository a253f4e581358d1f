//! The loopback AWS-speaking server (moto) the suite runs against: finding it, clients for it, and the queues
//! and ledger table the tests create on it.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use std::time::Duration;

/// The loopback endpoint (`ROLLCALL_TEST_AWS_ENDPOINT`, set by `scripts/test`). The tests that call it are
/// `#[ignore]`d with the reason "needs the loopback SQS/DynamoDB server", so a plain `cargo test` reports them as
/// ignored; run with `--include-ignored` and no server, they fail here.
pub fn endpoint() -> String {
    std::env::var("ROLLCALL_TEST_AWS_ENDPOINT")
        .expect("ROLLCALL_TEST_AWS_ENDPOINT is not set: run the suite with scripts/test, which starts the server")
}

/// The environment a client for `endpoint` reads (test credentials, `us-east-1`).
pub fn lookup(endpoint: &str) -> impl Fn(&str) -> Option<String> + use<> {
    let endpoint = endpoint.to_owned();
    move |var| match var {
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "AWS_REGION" => Some("us-east-1".into()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("test".into()),
        _ => None,
    }
}

/// How long the tests' own clients (queue set-up, reading back what a test sent) wait for moto. The tests of
/// a file run in parallel, and while one loads moto on the 2 cores a `CreateQueue` of another has been seen to
/// take over 5 s. What rollcall itself is allowed is set by each test.
pub const SETUP_DEADLINE: Duration = Duration::from_secs(30);

/// An SQS client for `endpoint` whose operations give up after `deadline`.
pub fn sqs(endpoint: &str, deadline: Duration) -> aws_sdk_sqs::Client {
    rollcall::queue::sqs::client_from_lookup(lookup(endpoint), deadline)
}

/// A DynamoDB client for `endpoint`, for set-up and checks ([`SETUP_DEADLINE`]).
pub fn dynamodb(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&rollcall::aws::sdk_config_from_lookup(
        lookup(endpoint),
        SETUP_DEADLINE,
    ))
}

/// A webhook function's environment against the loopback server at `endpoint`: the sample secrets, the queues
/// `fifo` and `quarantine`, the endpoint and test credentials.
pub fn function_env(endpoint: &str, fifo: &str, quarantine: &str) -> Vec<(&'static str, String)> {
    let mut env = crate::deliveries::secret_env();
    env.extend([
        ("QUEUE_URL", fifo.into()),
        ("QUARANTINE_QUEUE_URL", quarantine.into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
    ]);
    env
}

/// A new FIFO messages queue and a FIFO quarantine queue (high-throughput settings, as `template.yaml` makes
/// them): their URLs.
pub async fn create_queues(client: &aws_sdk_sqs::Client) -> (String, String) {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let fifo = client
        .create_queue()
        .queue_name(format!("messages-{unique}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("create the FIFO queue");
    let quarantine = client
        .create_queue()
        .queue_name(format!("quarantine-{unique}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
        .send()
        .await
        .expect("create the quarantine queue");
    (
        fifo.queue_url.expect("a URL"),
        quarantine.queue_url.expect("a URL"),
    )
}

/// A new table shaped like the consumer's ledger (key `pk`): its name.
pub async fn create_ledger(client: &aws_sdk_dynamodb::Client) -> String {
    let table = format!("ledger-{}", uuid::Uuid::new_v4().simple());
    client
        .create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("a complete definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("a complete key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the ledger table");
    table
}
