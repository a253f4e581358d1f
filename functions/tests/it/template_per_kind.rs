//! What the template gives each kind of the registry besides its function (`template.rs`): an alarm on its
//! failures and throttles, an alarm on its answers (mostly 401 or quarantined), its outputs, the shared log group
//! and the global timeout. And that the functions' one log line per delivery carries the JSON fields the metric
//! filters and saved queries of the template read. A kind added to the registry fails here until it has them all.

use crate::common::template_blocks;
use rollcall::Kind;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{repo, secret_env};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

#[test]
fn every_kind_has_its_alarms_outputs_and_the_shared_settings() {
    let blocks = template_blocks();
    let block = |id: &str| {
        blocks
            .get(id)
            .unwrap_or_else(|| panic!("template has no {id}"))
    };
    for kind in Kind::ALL {
        let p = kind.logical_name();
        let function = block(&kind.function_logical_id());
        assert!(!function.contains("LogGroup:"), "{p}: the shared log group");
        assert!(!function.contains("Timeout:"), "{p}: the global timeout");

        let errors = block(&format!("{p}ErrorsAlarm"));
        let reference = format!("Value: !Ref {p}Function");
        assert_eq!(errors.matches(&reference).count(), 2, "{p}ErrorsAlarm");
        assert!(errors.contains("MetricName: Errors"), "{p}ErrorsAlarm");
        assert!(errors.contains("MetricName: Throttles"), "{p}ErrorsAlarm");
        assert!(
            errors.contains("AlarmActions: [!Ref AlarmTopic]"),
            "{p}ErrorsAlarm"
        );

        let refused = block(&format!("{p}RefusedAlarm"));
        let kind_dimension = format!("{{ Name: Kind, Value: {} }}", kind.message_type());
        assert_eq!(
            refused.matches(&kind_dimension).count(),
            3,
            "{p}RefusedAlarm"
        );
        for outcome in ["unauthorized", "quarantined", "queued"] {
            let dimension = format!("{{ Name: Outcome, Value: {outcome} }}");
            assert!(refused.contains(&dimension), "{p}RefusedAlarm: {outcome}");
        }
        assert!(
            refused.contains("AlarmActions: [!Ref AlarmTopic]"),
            "{p}RefusedAlarm"
        );

        let name = block(&format!("{p}FunctionName"));
        assert!(
            name.contains(&format!("Value: !Ref {p}Function")),
            "{p}FunctionName"
        );
        let url = block(&format!("{p}Url"));
        assert!(
            url.contains(&format!("{}\"", kind.route())),
            "{p}Url: {url}"
        );
    }
    let per_kind_alarms = blocks
        .keys()
        .filter(|id| id.ends_with("RefusedAlarm"))
        .count();
    assert_eq!(
        per_kind_alarms,
        Kind::ALL.len(),
        "a RefusedAlarm of no kind"
    );
}

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
