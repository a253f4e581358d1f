//! The one rule for a bad setting, as a function binary applies it over the Lambda Runtime API: one `ERROR` at
//! init naming every malformed variable and why, then every delivery answered 503 naming them (issue 28 §2: a
//! malformed `WIX_MAX_TOKEN_AGE_SECS` used to be logged nowhere while every Wix delivery got 503).

use rollcall::Kind;
use rollcall_testkit::aws;
use rollcall_testkit::deliveries::repo;
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_settings_are_logged_at_init_and_answered_503_all_named() {
    let api = RuntimeApi::start().await;
    let kind = Kind::WixParticipationCreated;
    // No queue is reached: the answer comes before it.
    let mut env = aws::function_env("http://127.0.0.1:9", "", "");
    env.extend([
        ("WIX_MAX_TOKEN_AGE_SECS", "3 days".into()),
        // A queue's ARN where the topic's goes.
        (
            "TOPIC_ARN",
            "arn:aws:sqs:us-east-1:123456789012:messages.fifo".into(),
        ),
        ("ROLLCALL_MAX_BODY_BYTES", "1048576".into()),
        ("ROLLCALL_QUEUE_DEADLINE_MS", "soon".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
    ]);
    let malformed = [
        "WIX_MAX_TOKEN_AGE_SECS",
        "TOPIC_ARN",
        "ROLLCALL_MAX_BODY_BYTES",
        "ROLLCALL_QUEUE_DEADLINE_MS",
    ];
    let mut function = api.spawn(&kind.binary(), &env);
    let event = std::fs::read(repo().join("events/wix-participation-created.json")).unwrap();
    for _ in 0..2 {
        match api.invoke(&event).await {
            Outcome::Response(response) => {
                assert_eq!(response["statusCode"], 503, "{response}");
                let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
                assert_eq!(body["error"], "not_configured", "{body}");
                assert_eq!(body["variables"], serde_json::json!(malformed), "{body}");
                let message = body["message"].as_str().unwrap();
                assert!(message.contains("nor `off`"), "why is said: {message}");
            }
            other => panic!("{other:?}"),
        }
    }
    function.start_kill().unwrap();
    let output = function.wait_with_output().await.unwrap();
    let logs = String::from_utf8_lossy(&output.stdout);
    let errors: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "one ERROR, at init: {logs}");
    let error = errors[0].to_string();
    for var in malformed {
        assert!(error.contains(var), "{var} named: {error}");
    }
    assert!(
        !error.contains("3 days"),
        "values are never logged: {error}"
    );
}
