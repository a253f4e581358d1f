//! SQS's rules through `rollcall serve`: its SQLite queue stores bodies SQS takes as they are (a drained body can
//! be sent to SQS), and on SQS, reached through a proxy that applies SQS's character and size rules
//! (`rollcall_testkit::sqs_rules`), what SQS would refuse as a message is quarantined, never answered 503.

use crate::common::{Delivery, create_queues, drain, endpoint, post, serve, sqs_env};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rollcall::Kind;
use rollcall::quarantine::QuarantineRecord;
use rollcall_testkit::deliveries::fixture_text;
use rollcall_testkit::sqs_rules::{MAX_MESSAGE_BYTES, SqsRules};

/// An Omerlo participant delivery whose person's first name is `first`.
fn omerlo(first: &str) -> Delivery {
    let kind = Kind::OmerloParticipantCreated;
    let body = fixture_text("omerlo-participant-created.json")
        .replace("\"Amanda\"", &serde_json::to_string(first).unwrap());
    Delivery::new(kind, body.into_bytes())
}

/// An Omerlo delivery of `body` (authentic: its credentials are right).
fn omerlo_raw(body: String) -> Delivery {
    let kind = Kind::OmerloParticipantCreated;
    Delivery::new(kind, body.into_bytes())
}

/// Whether SQS takes every character of `text` (written out from SQS's documentation).
fn sqs_takes(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
    })
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stores_bodies_sqs_takes_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let http = client();
    let (status, answer) = post(&http, &server.url, &omerlo("Am\u{FFFF}anda")).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("queued")),
        "{answer}"
    );
    let worst = "\"".repeat(128 * 1024);
    let (status, answer) = post(&http, &server.url, &omerlo_raw(worst.clone())).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("quarantined")),
        "{answer}"
    );
    drop(server);

    let messages = drain(dir.path(), &[], &[]);
    let records = drain(dir.path(), &["--quarantine"], &[]);
    assert_eq!((messages.len(), records.len()), (1, 1));
    let message = rollcall::Message::from_body(&messages[0]).unwrap();
    assert_eq!(
        message.data.person.unwrap().name.as_deref(),
        Some("Am\u{FFFF}anda Wolf")
    );
    let record: QuarantineRecord = serde_json::from_str(&records[0]).unwrap();
    assert_eq!(record.body_bytes().unwrap(), worst.as_bytes());

    // Each drained body goes to SQS as it is.
    let endpoint = endpoint();
    let (fifo, quarantine) = create_queues(&endpoint).await;
    let rules = SqsRules::start(&endpoint, MAX_MESSAGE_BYTES).await;
    let sqs = rollcall_testkit::aws::sqs(&rules.endpoint(), rollcall_testkit::aws::SETUP_DEADLINE);
    for (queue, body) in [(&fifo, &messages[0]), (&quarantine, &records[0])] {
        assert!(sqs_takes(body) && body.len() <= MAX_MESSAGE_BYTES);
        let mut send = sqs.send_message().queue_url(queue).message_body(body);
        if queue.ends_with(".fifo") {
            send = send.message_group_id("g").message_deduplication_id("d");
        }
        send.send()
            .await
            .unwrap_or_else(|e| panic!("SQS takes a drained body: {e:?}"));
    }
    assert_eq!(rules.refused(), 0);
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_sqs_quarantines_what_sqs_would_refuse_as_a_message() {
    let endpoint = endpoint();
    let (fifo, quarantine) = create_queues(&endpoint).await;
    let rules = SqsRules::start(&endpoint, MAX_MESSAGE_BYTES).await;
    let via_rules = rules.endpoint();
    let mut env = sqs_env(&via_rules, &fifo, &quarantine);
    env.push(("ROLLCALL_QUEUE_DEADLINE_MS", "20000"));
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &env);
    let http = client();

    let (status, answer) = post(&http, &server.url, &omerlo("Am\u{FFFF}anda")).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("queued")),
        "{answer}"
    );
    // Four times the body once U+FFFF is escaped in `original` and in the name: over the queue's size.
    let (status, answer) = post(&http, &server.url, &omerlo(&"\u{FFFF}".repeat(40_000))).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("quarantined")),
        "{answer}"
    );
    let reason = answer["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("the queue refused the message: "),
        "{reason}"
    );
    for c in ['\u{1}', '\\', '\u{B}'] {
        let (status, answer) = post(
            &http,
            &server.url,
            &omerlo_raw(c.to_string().repeat(128 * 1024)),
        )
        .await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("quarantined")),
            "{c:?}: {answer}"
        );
    }
    assert_eq!(rules.refused(), 0, "nothing sent that SQS would refuse");
    drop(server);
    let read_env = sqs_env(&endpoint, &fifo, &quarantine);
    assert_eq!(drain(dir.path(), &[], &read_env).len(), 1);
    assert_eq!(drain(dir.path(), &["--quarantine"], &read_env).len(), 4);
}
