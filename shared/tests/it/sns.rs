//! The SNS adapter through the real `aws-sdk-sns` client: against the loopback server (moto, started by
//! `scripts/test`), a FIFO topic delivers each message once to its subscribed FIFO queue with the group, the
//! de-duplication id and the attributes, and a message over SNS's size is quarantined on SQS; against a loopback
//! stand-in answering SNS's errors, a permanent refusal is quarantined and anything else is `503`.

use crate::common::*;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use rollcall::config::Limits;
use rollcall::queue::sns::SnsQueue;
use rollcall::queue::sqs::SqsQueue;
use rollcall::queue::{Inbox, Lane};
use rollcall::{Kind, Message, Pipeline};
use rollcall_testkit::aws::{SETUP_DEADLINE, create_queues, endpoint, sqs as sqs_client};
use rollcall_testkit::topic::{FanOut, Subscription, sns, take_all};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A pipeline publishing to a new FIFO topic with one unfiltered subscription, its quarantine a new FIFO queue
/// on SQS: the pipeline, the SQS client, the subscribed queue and the quarantine.
async fn topic_pipeline() -> (Pipeline<SnsQueue>, aws_sdk_sqs::Client, String, String) {
    let endpoint = endpoint();
    let sqs = sqs_client(&endpoint, SETUP_DEADLINE);
    let sns = sns(&endpoint);
    let (_, quarantine) = create_queues(&sqs).await;
    let fan_out = FanOut::create(
        &sns,
        &sqs,
        &[Subscription {
            name: "all",
            filter: None,
        }],
    )
    .await;
    let queue = SnsQueue::new(
        sns,
        &fan_out.topic,
        SqsQueue::new(sqs.clone(), None, Some(quarantine.clone())),
    );
    let limits = Limits {
        queue_deadline: SETUP_DEADLINE,
        ..Limits::default()
    };
    let [subscribed] = &fan_out.queues[..] else {
        panic!("one queue")
    };
    (
        Pipeline::new(secrets(), queue, limits),
        sqs,
        subscribed.clone(),
        quarantine,
    )
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_topic_delivers_each_message_once_with_group_dedup_id_and_attributes() {
    let (pipeline, sqs, subscribed, _) = topic_pipeline().await;
    for round in 0..2 {
        for kind in Kind::ALL {
            let answer = post_signed(&pipeline, kind, &body(kind)).await;
            assert_eq!(answer.status, 200, "{kind} round {round}: {}", answer.body);
        }
    }
    let mut seen = Vec::new();
    for m in take_all(&sqs, &subscribed).await {
        let message = Message::from_body(m.body().unwrap()).unwrap();
        let system = m.attributes.clone().unwrap_or_default();
        assert_eq!(
            system[&MessageSystemAttributeName::MessageGroupId],
            format!("{}/{}", message.source, message.subject)
        );
        assert_eq!(
            system[&MessageSystemAttributeName::MessageDeduplicationId],
            message.id
        );
        let attributes = m.message_attributes.clone().unwrap_or_default();
        for (name, value) in message.attributes() {
            assert_eq!(attributes[name].string_value(), Some(value), "{name}");
        }
        assert_eq!(attributes.len(), 3);
        seen.push(message.kind);
    }
    seen.sort_by_key(|k| k.message_type());
    let mut expected = Kind::ALL.to_vec();
    expected.sort_by_key(|k| k.message_type());
    assert_eq!(
        seen, expected,
        "each kind once: the repeats are de-duplicated"
    );
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn a_message_over_snss_size_is_quarantined_with_a_reason() {
    let (pipeline, sqs, subscribed, _) = topic_pipeline().await;
    let kind = Kind::OmerloParticipantCreated;
    // 40,000 U+FFFF in the first name: escaped six bytes each in `original` and again in the person's name, the
    // message is about four times the 120,000-byte body, over SNS's 256 KiB.
    let body = fixture_text("omerlo-participant-created.json")
        .replace("\"Amanda\"", &format!("\"{}\"", "\u{FFFF}".repeat(40_000)))
        .into_bytes();
    assert!(body.len() <= Limits::default().max_body_bytes);
    let answer = post_signed(&pipeline, kind, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(answer["status"], "quarantined");
    let reason = answer["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the queue refused the message: it is "),
        "{reason}"
    );
    let records = pipeline
        .queue()
        .receive(Lane::Quarantine, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    let record: rollcall::quarantine::QuarantineRecord =
        serde_json::from_str(&records[0].body).unwrap();
    assert_eq!(
        record.body_bytes().unwrap(),
        body,
        "the delivery is kept whole"
    );
    assert!(take_all(&sqs, &subscribed).await.is_empty());
}

/// A loopback server answering every request with `status` and an SNS (query protocol) error of `code`: its
/// endpoint.
async fn sns_answering(status: u16, code: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 8192];
                // The headers, then as many bytes as they announce.
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let body = format!(
                    "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
                     <Code>{code}</Code><Message>Invalid parameter: Message too long</Message></Error>\
                     <RequestId>r</RequestId></ErrorResponse>"
                );
                let response = format!(
                    "HTTP/1.1 {status} Error\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    endpoint
}

/// A pipeline publishing to a topic on `sns_endpoint`, its quarantine a new queue on the loopback SQS server.
async fn pipeline_on(sns_endpoint: &str) -> Pipeline<SnsQueue> {
    let sqs = sqs_client(&endpoint(), SETUP_DEADLINE);
    let (_, quarantine) = create_queues(&sqs).await;
    let queue = SnsQueue::new(
        sns(sns_endpoint),
        "arn:aws:sns:us-east-1:123456789012:messages.fifo",
        SqsQueue::new(sqs, None, Some(quarantine)),
    );
    Pipeline::new(secrets(), queue, Limits::default())
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn an_sns_refused_message_is_quarantined_and_other_errors_are_503() {
    let kind = Kind::MightyNetworksRsvpCreated;
    let refusing = pipeline_on(&sns_answering(400, "InvalidParameter").await).await;
    let answer = post_signed(&refusing, kind, &body(kind)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(answer["status"], "quarantined");
    assert_eq!(
        answer["reason"], "the queue refused the message: SNS refused it (InvalidParameter)",
        "the code only, never SNS's text"
    );
    let records = refusing
        .queue()
        .receive(Lane::Quarantine, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    let record: rollcall::quarantine::QuarantineRecord =
        serde_json::from_str(&records[0].body).unwrap();
    assert_eq!(record.body_bytes().unwrap(), body(kind));

    for (status, code) in [
        (500, "InternalError"),
        (400, "Throttled"),
        (403, "AuthorizationError"),
    ] {
        let failing = pipeline_on(&sns_answering(status, code).await).await;
        let answer = post_signed(&failing, kind, &body(kind)).await;
        assert_eq!(answer.status, 503, "{code}: {}", answer.body);
        assert_eq!(
            failing.queue().count(Lane::Quarantine).await.unwrap(),
            0,
            "{code}"
        );
    }
}

#[tokio::test]
async fn a_malformed_topic_arn_is_503_naming_the_variable() {
    let sqs = sqs_client("http://127.0.0.1:9", std::time::Duration::from_millis(200));
    let queue = SnsQueue::new(
        sns("http://127.0.0.1:9"),
        "https://sns.us-east-1.amazonaws.com/messages.fifo",
        SqsQueue::new(sqs, None, None),
    );
    let pipeline = Pipeline::new(secrets(), queue, Limits::default());
    let kind = Kind::OmerloParticipantCreated;
    let answer = post_signed(&pipeline, kind, &body(kind)).await;
    assert_eq!(answer.status, 503);
    assert!(answer.body.contains("TOPIC_ARN"), "{}", answer.body);
}
