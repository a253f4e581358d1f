//! The functions' one log line per delivery carries the JSON fields the template's metric filters and saved
//! queries read. What the template gives each kind (its function, its alarms, its outputs) is written from
//! the registry and pinned by `cargo xtask regenerate --check`; `scripts/template-checks.py` checks what the
//! alarms and outputs mean.

use crate::common::template_blocks;
use rollcall::Kind;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{repo, secret_env};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

/// The `$.fields.…` members the template's metric filters select.
fn metric_filter_fields() -> Vec<String> {
    let mut fields: Vec<String> = template_blocks()
        .values()
        .filter(|block| block.contains("Type: AWS::Logs::MetricFilter"))
        .flat_map(|block| {
            block
                .split("$.fields.")
                .skip(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The JSON line the function logged for its one delivery.
async fn delivery_line(kind: Kind, env: &[(&str, String)], event: &str, status: u16) -> Value {
    let api = RuntimeApi::start().await;
    let mut env = env.to_vec();
    // What `LoggingConfig.LogFormat: JSON` sets on AWS.
    env.push(("AWS_LAMBDA_LOG_FORMAT", "JSON".into()));
    let mut function = api.spawn(&kind.binary(), &env);
    let event = std::fs::read(repo().join("events").join(event)).unwrap();
    match api.invoke(&event).await {
        Outcome::Response(response) => assert_eq!(response["statusCode"], status, "{response}"),
        other => panic!("{other:?}"),
    }
    function.start_kill().unwrap();
    let output = function.wait_with_output().await.unwrap();
    let logs = String::from_utf8_lossy(&output.stdout).into_owned();
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["status"].is_number())
        .collect();
    assert_eq!(lines.len(), 1, "one line per delivery: {logs}");
    lines.into_iter().next().unwrap()
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_line_carries_what_the_metric_filters_read() {
    let fields = metric_filter_fields();
    assert_eq!(fields, ["duplicate", "kind", "outcome", "status"]);
    let kind = Kind::OmerloParticipantCreated;
    let refused = delivery_line(kind, &secret_env(), "omerlo-wrong-key.401.json", 401).await;
    assert_eq!(refused["fields"]["kind"], kind.message_type(), "{refused}");
    assert_eq!(refused["fields"]["outcome"], "unauthorized", "{refused}");
    assert_eq!(refused["fields"]["status"], 401, "{refused}");

    let endpoint = endpoint();
    let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    let env = aws::function_env(&endpoint, &fifo, &quarantine);
    let queued = delivery_line(kind, &env, "omerlo-participant-created.json", 200).await;
    assert_eq!(queued["fields"]["outcome"], "queued", "{queued}");
    assert_eq!(queued["fields"]["duplicate"], false, "{queued}");
    // The saved query "what came in for one message" filters on it.
    assert!(queued["fields"]["id"].is_string(), "{queued}");
    let quarantined = delivery_line(kind, &env, "omerlo-malformed.quarantined.json", 200).await;
    assert_eq!(quarantined["fields"]["outcome"], "quarantined");
    // The saved query "why deliveries were quarantined" groups by it.
    assert!(quarantined["fields"]["reason"].is_string(), "{quarantined}");
}
