//! Replays every `events/` file through the real function binaries over the Lambda Runtime API, against an
//! SQS-speaking server on loopback, and checks each answer (the file name says which) and each queued message.

use rollcall::{Kind, Message};
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{OMERLO_KEY, repo, sensitive_values};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The answer a file's name asks for: `NAME.json` queued, `NAME.quarantined.json`, `NAME.<status>.json`.
fn expected(path: &Path) -> (u16, Option<&'static str>) {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    match stem.rsplit_once('.') {
        Some((_, "quarantined")) => (200, Some("quarantined")),
        Some((_, code)) => (code.parse().expect("status in the file name"), None),
        None => (200, Some("queued")),
    }
}

/// The event files, by the kind their route names.
fn events() -> BTreeMap<Kind, Vec<(PathBuf, Value)>> {
    let mut by_kind: BTreeMap<Kind, Vec<(PathBuf, Value)>> = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("events")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let Some(raw_path) = event.get("rawPath").and_then(Value::as_str) else {
            continue; // not an event (the env-vars file)
        };
        let kind = Kind::from_route(raw_path)
            .unwrap_or_else(|| panic!("{}: no kind at {raw_path}", path.display()));
        by_kind.entry(kind).or_default().push((path, event));
    }
    by_kind
}

async fn sqs(endpoint: &str) -> (aws_sdk_sqs::Client, String, String) {
    let client = aws::sqs(endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    (client, fifo, quarantine)
}

fn function_env(endpoint: &str, fifo: &str, quarantine: &str) -> Vec<(&'static str, String)> {
    let mut env = aws::function_env(endpoint, fifo, quarantine);
    // The samples are signed with a fixed, old `iat` and `t` (events/README.md): no age bound for them.
    env.push(("WIX_MAX_TOKEN_AGE_SECS", "off".into()));
    env.push((
        rollcall::config::CALENDLY_MAX_SIGNATURE_AGE_VAR,
        "off".into(),
    ));
    env
}

/// Receives and deletes every message of the queue at `url`: their bodies.
pub async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for m in messages {
            bodies.push(m.body.unwrap());
            client
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_gets_its_answer_from_its_function() {
    let endpoint = endpoint();
    let (client, fifo, quarantine) = sqs(&endpoint).await;
    let env = function_env(&endpoint, &fifo, &quarantine);
    let events = events();
    assert_eq!(events.len(), Kind::ALL.len(), "every kind has event files");
    let (mut queued, mut quarantined) = (Vec::new(), 0);
    for (kind, files) in &events {
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        for (path, event) in files {
            let outcome = api.invoke(event.to_string().as_bytes()).await;
            let Outcome::Response(response) = outcome else {
                panic!("{}: {outcome:?}", path.display());
            };
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            let (status, word) = expected(path);
            assert_eq!(response["statusCode"], status, "{}: {body}", path.display());
            assert_eq!(response["headers"]["content-type"], "application/json");
            if let Some(word) = word {
                assert_eq!(body["status"], word, "{}", path.display());
            }
            match word {
                Some("queued") => queued.push((*kind, body["id"].as_str().unwrap().to_owned())),
                Some("quarantined") => quarantined += 1,
                _ => {}
            }
        }
        function.kill().await.unwrap();
    }
    assert!(queued.len() >= Kind::ALL.len() && quarantined >= 6);
    let mut messages: Vec<(Kind, String)> = drain(&client, &fifo)
        .await
        .iter()
        .map(|body| {
            let message = Message::from_body(body).expect("every message reads as the contract");
            message.payload().expect("and its original as its kind");
            (message.kind, message.id)
        })
        .collect();
    messages.sort();
    queued.sort();
    assert_eq!(messages, queued, "one message per queued answer");
    assert_eq!(drain(&client, &quarantine).await.len(), quarantined);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_refuses_other_routes_and_methods() {
    let api = RuntimeApi::start().await;
    let env = vec![("OMERLO_API_KEY", "k".to_string())];
    let kind = Kind::OmerloParticipantCreated;
    let mut function = api.spawn(&kind.binary(), &env);
    let valid: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("events/omerlo-participant-created.json")).unwrap(),
    )
    .unwrap();
    let mut other_route = valid.clone();
    other_route["rawPath"] = "/webhooks/omerlo/participant-removed".into();
    let mut get = valid.clone();
    get["requestContext"]["http"]["method"] = "GET".into();
    let mut wrong_key = valid;
    wrong_key["headers"]["x-api-key"] = "nope".into();
    for (event, status) in [(other_route, 404), (get, 405), (wrong_key, 401)] {
        match api.invoke(event.to_string().as_bytes()).await {
            Outcome::Response(response) => assert_eq!(response["statusCode"], status, "{response}"),
            other => panic!("{other:?}"),
        }
    }
    function.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_queue_configuration_a_function_answers_503_naming_it() {
    let api = RuntimeApi::start().await;
    let kind = Kind::OmerloParticipantCreated;
    let mut function = api.spawn(
        &kind.binary(),
        &[("OMERLO_API_KEY", OMERLO_KEY.to_string())],
    );
    let event = std::fs::read(repo().join("events/omerlo-participant-created.json")).unwrap();
    match api.invoke(&event).await {
        Outcome::Response(response) => {
            assert_eq!(response["statusCode"], 503);
            assert!(response["body"].as_str().unwrap().contains("QUEUE_URL"));
        }
        other => panic!("{other:?}"),
    }
    function.kill().await.unwrap();
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn even_at_trace_a_function_logs_no_key_and_no_personal_data() {
    let endpoint = endpoint();
    let (_client, fifo, quarantine) = sqs(&endpoint).await;
    let mut env = function_env(&endpoint, &fifo, &quarantine);
    // At TRACE, lambda_runtime logs each raw event (headers, body).
    env.push(("AWS_LAMBDA_LOG_LEVEL", "TRACE".into()));
    let api = RuntimeApi::start().await;
    let kind = Kind::OmerloParticipantCreated;
    let mut function = api.spawn(&kind.binary(), &env);
    let event =
        std::fs::read_to_string(repo().join("events/omerlo-participant-created.json")).unwrap();
    match api.invoke(event.as_bytes()).await {
        Outcome::Response(response) => assert_eq!(response["statusCode"], 200, "{response}"),
        other => panic!("{other:?}"),
    }
    function.start_kill().unwrap();
    let output = function.wait_with_output().await.unwrap();
    let logs = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains("queued"), "the outcome is logged: {logs}");
    assert!(logs.contains("DEBUG"), "debug records still are: {logs}");
    let event: Value = serde_json::from_str(&event).unwrap();
    let sensitive = sensitive_values();
    let key = event["headers"]["x-api-key"].as_str().unwrap();
    let body = event["body"].as_str().unwrap();
    let carried: Vec<&String> = sensitive
        .iter()
        .filter(|v| v.as_str() == key || body.contains(v.as_str()))
        .collect();
    assert!(
        carried.len() >= 4,
        "the key, names, e-mail, phone: {carried:?}"
    );
    for value in &sensitive {
        assert!(
            !logs.contains(value.as_str()),
            "`{value}` in the logs:\n{logs}"
        );
    }
}

#[test]
fn the_local_invoke_environment_carries_the_sample_credentials() {
    // `events/env.json` (for `sam local invoke --env-vars`) is written by `cargo xtask regenerate` from the credentials
    // defined once in `rollcall::config`.
    let env: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("events/env.json")).unwrap())
            .unwrap();
    for (var, value) in rollcall::config::SAMPLE_SECRETS {
        assert_eq!(env["Parameters"][var], value, "{var}");
    }
}
