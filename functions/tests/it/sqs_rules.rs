//! SQS's rules through the function binaries: each function, run over the Lambda Runtime API, reaches the
//! loopback SQS server through a proxy that applies SQS's character and size rules
//! (`rollcall_testkit::sqs_rules`), which the server alone does not. Nothing authentic is lost: a delivery is
//! either queued with a body SQS takes or quarantined with a record SQS takes, never answered 503 for ever.

use rollcall::Kind;
use rollcall::quarantine::QuarantineRecord;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{
    WixSigner, api_gateway_event, fixture_text, kind_fixture, wix_claims,
};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use rollcall_testkit::sqs_rules::{MAX_MESSAGE_BYTES, SqsRules};
use serde_json::Value;

/// One function behind the rules, with its queues.
struct Function {
    api: RuntimeApi,
    child: tokio::process::Child,
    rules: SqsRules,
    client: aws_sdk_sqs::Client,
    fifo: String,
    quarantine: String,
}

impl Function {
    /// The function of `kind`, its queues holding messages of at most `max_message_bytes`.
    async fn start(kind: Kind, max_message_bytes: usize) -> Function {
        let endpoint = endpoint();
        let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
        let (fifo, quarantine) = aws::create_queues(&client).await;
        let rules = SqsRules::start(&endpoint, max_message_bytes).await;
        let mut env = aws::function_env(&rules.endpoint(), &fifo, &quarantine);
        // The loopback server is slow with large bodies on a busy machine; this measures the rules, not it.
        env.push(("ROLLCALL_QUEUE_DEADLINE_MS", "20000".into()));
        let api = RuntimeApi::start().await;
        let child = api.spawn(&kind.binary(), &env);
        Function {
            api,
            child,
            rules,
            client,
            fifo,
            quarantine,
        }
    }

    /// Posts `body` with valid credentials: the status and the answer's JSON body.
    async fn post(&self, kind: Kind, body: &[u8]) -> (u64, Value) {
        let event: Value = serde_json::from_slice(&api_gateway_event(kind, body)).unwrap();
        let Outcome::Response(response) = self.api.invoke(event.to_string().as_bytes()).await
        else {
            panic!("{kind}: no answer");
        };
        let status = response["statusCode"].as_u64().unwrap_or_default();
        let body =
            serde_json::from_str(response["body"].as_str().unwrap_or_default()).unwrap_or_default();
        (status, body)
    }

    /// Every body waiting on `queue`, with each message's attribute names.
    async fn bodies(&self, queue: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        loop {
            let received = self
                .client
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for message in messages {
                let names = message
                    .message_attributes
                    .unwrap_or_default()
                    .into_keys()
                    .collect();
                out.push((message.body.unwrap_or_default(), names));
            }
        }
    }

    async fn stop(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// Whether SQS takes every character of `text` (written out from SQS's documentation).
fn sqs_takes(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
    })
}

/// The Omerlo participant fixture with its person's names and participant id set.
fn omerlo(first: &str, last: &str, participant: &str) -> Vec<u8> {
    let text = fixture_text("omerlo-participant-created.json")
        .replace("\"Amanda\"", &serde_json::to_string(first).unwrap())
        .replace("\"Wolf\"", &serde_json::to_string(last).unwrap())
        .replace(
            "\"7a24c4de-75d2-422e-bd2a-ef62c999129e\"",
            &serde_json::to_string(participant).unwrap(),
        );
    text.into_bytes()
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noncharacters_reach_sqs_escaped_and_unchanged_through_the_functions() {
    // Omerlo: a raw U+FFFF, and U+FFFE sent escaped, in the names; a raw U+FFFF in the id, hence in the subject.
    let kind = Kind::OmerloParticipantCreated;
    let function = Function::start(kind, MAX_MESSAGE_BYTES).await;
    let body = omerlo("Am\u{FFFF}anda", "W\\ufffeolf", "7a24c4de\u{FFFF}");
    let body = String::from_utf8(body)
        .unwrap()
        .replace("W\\\\ufffeolf", "W\\ufffeolf");
    let (status, answer) = function.post(kind, body.as_bytes()).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("queued")),
        "{answer}"
    );
    let stored = function.bodies(&function.fifo).await;
    assert_eq!(stored.len(), 1);
    let (text, attributes) = &stored[0];
    assert!(sqs_takes(text), "{text}");
    let message = rollcall::Message::from_body(text).unwrap();
    let person = message.data.person.unwrap();
    assert_eq!(person.name.as_deref(), Some("Am\u{FFFF}anda W\u{FFFE}olf"));
    assert_eq!(message.subject, "participant/7a24c4de\u{FFFF}");
    // The subject attribute SQS would refuse is left out; the body carries the subject.
    assert_eq!(attributes.len(), 2, "{attributes:?}");
    assert!(!attributes.contains(&"subject".to_owned()));
    function.stop().await;

    // Wix: a name typed with U+FFFF, sent escaped inside the token.
    let kind = Kind::WixGuestCreated;
    let function = Function::start(kind, MAX_MESSAGE_BYTES).await;
    let mut delivery = kind_fixture(kind);
    delivery["data"]["createdEvent"]["entity"]["guestDetails"]["firstName"] = "Jo\u{FFFF}hn".into();
    let token = WixSigner::new().sign(&wix_claims(&delivery));
    let (status, answer) = function.post(kind, token.as_bytes()).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("queued")),
        "{answer}"
    );
    let stored = function.bodies(&function.fifo).await;
    let (text, _) = &stored[0];
    assert!(sqs_takes(text), "{text}");
    let message = rollcall::Message::from_body(text).unwrap();
    assert_eq!(
        message.data.person.unwrap().name.as_deref(),
        Some("Jo\u{FFFF}hn Doe")
    );
    assert_eq!(function.rules.refused(), 0);
    function.stop().await;
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_too_large_for_the_queue_is_quarantined_with_a_reason() {
    let kind = Kind::OmerloParticipantCreated;
    let function = Function::start(kind, MAX_MESSAGE_BYTES).await;
    // 120,000 bytes of U+FFFF: escaped six bytes each in `original` and again in the person's name, the message
    // would be four times the body.
    let body = omerlo(
        &"\u{FFFF}".repeat(40_000),
        "Wolf",
        "7a24c4de-75d2-422e-bd2a-ef62c999129e",
    );
    assert!(body.len() <= 128 * 1024);
    let (status, answer) = function.post(kind, &body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("quarantined")),
        "{answer}"
    );
    let reason = answer["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the queue refused the message: it is "),
        "{reason}"
    );
    assert!(
        !reason.contains('\u{FFFF}'),
        "no value of the delivery: {reason}"
    );
    let records = function.bodies(&function.quarantine).await;
    assert_eq!(records.len(), 1);
    let record: QuarantineRecord = serde_json::from_str(&records[0].0).unwrap();
    assert_eq!(
        record.body_bytes().unwrap(),
        body,
        "the delivery is kept whole"
    );
    assert!(function.bodies(&function.fifo).await.is_empty());
    function.stop().await;
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_bodies_at_the_body_limit_are_quarantined_within_the_queue_size() {
    let kind = Kind::OmerloParticipantCreated;
    let function = Function::start(kind, MAX_MESSAGE_BYTES).await;
    let limit = 128 * 1024;
    let worst: Vec<String> = ['\u{1}', '"', '\\', '\u{B}']
        .iter()
        .map(|c| c.to_string().repeat(limit))
        .collect();
    for body in &worst {
        let (status, answer) = function.post(kind, body.as_bytes()).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("quarantined")),
            "{answer}"
        );
    }
    let records = function.bodies(&function.quarantine).await;
    let mut kept: Vec<Vec<u8>> = records
        .iter()
        .map(|(text, _)| {
            assert!(text.len() <= MAX_MESSAGE_BYTES && sqs_takes(text));
            let record: QuarantineRecord = serde_json::from_str(text).unwrap();
            record.body_bytes().unwrap()
        })
        .collect();
    kept.sort();
    let mut sent: Vec<Vec<u8>> = worst.into_iter().map(String::into_bytes).collect();
    sent.sort();
    assert_eq!(kept, sent, "every body kept whole");
    assert_eq!(function.rules.refused(), 0);
    function.stop().await;
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sqs_refuses_for_good_is_quarantined_not_retried() {
    // A queue created with a smaller MaximumMessageSize than Rollcall's: SQS answers InvalidParameterValue.
    let kind = Kind::OmerloParticipantCreated;
    let function = Function::start(kind, 48 * 1024).await;
    let name = "x".repeat(15_000);
    let body = omerlo(&name, &name, "7a24c4de-75d2-422e-bd2a-ef62c999129e");
    let (status, answer) = function.post(kind, &body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("quarantined")),
        "{answer}"
    );
    assert_eq!(
        answer["reason"],
        "the queue refused the message: SQS refused it (InvalidParameterValue)"
    );
    assert_eq!(function.rules.refused(), 1);
    let records = function.bodies(&function.quarantine).await;
    let record: QuarantineRecord = serde_json::from_str(&records[0].0).unwrap();
    assert_eq!(record.body_bytes().unwrap(), body);
    function.stop().await;
}
