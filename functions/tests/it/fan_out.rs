//! The function binaries publishing to an SNS FIFO topic (`TOPIC_ARN`, no `QUEUE_URL`), run over the Lambda
//! Runtime API against the loopback server: the topic fans out to three FIFO queues with raw delivery, one taking
//! everything, one filtered on the `source` attribute (Wix only), one filtered on the body's `type` (removals
//! only). Each queue gets exactly its messages, each once, with its group id and attributes, in order per group.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use rollcall::{Kind, Message, Provider};
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{WixSigner, api_gateway_event, repo, unique_body};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use rollcall_testkit::topic::{self, FanOut, Subscription, take_all};
use serde_json::Value;
use std::collections::BTreeMap;

/// Messages per kind, all of one group (one subject), posted in this order.
const PER_KIND: u64 = 3;

/// Invokes the function behind `api` with `body` on `kind`'s route and valid credentials: the answer's status
/// and JSON body.
async fn post(api: &RuntimeApi, kind: Kind, body: &[u8]) -> (u64, Value) {
    let event: Value = serde_json::from_slice(&api_gateway_event(kind, body)).unwrap();
    let Outcome::Response(response) = api.invoke(event.to_string().as_bytes()).await else {
        panic!("{kind}: no answer");
    };
    let status = response["statusCode"].as_u64().unwrap_or_default();
    let body =
        serde_json::from_str(response["body"].as_str().unwrap_or_default()).unwrap_or_default();
    (status, body)
}

/// Whether the removals subscription takes `kind`: its policy below, written out.
fn is_removal(kind: Kind) -> bool {
    let kind = kind.message_type();
    kind.ends_with(".deleted") || kind.ends_with(".removed")
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_subscribed_queue_gets_exactly_its_messages_once_in_order_per_group() {
    let endpoint = endpoint();
    let sqs = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let sns = topic::sns(&endpoint);
    let (_, quarantine) = aws::create_queues(&sqs).await;
    let fan_out = FanOut::create(
        &sns,
        &sqs,
        &[
            Subscription {
                name: "all",
                filter: None,
            },
            Subscription {
                name: "wix",
                filter: Some((r#"{"source":[{"prefix":"/wix/"}]}"#, "MessageAttributes")),
            },
            Subscription {
                name: "removals",
                filter: Some((
                    r#"{"type":[{"suffix":".deleted"},{"suffix":".removed"}]}"#,
                    "MessageBody",
                )),
            },
        ],
    )
    .await;
    let env = topic::function_env(&endpoint, &fan_out.topic, &quarantine);
    assert!(env.iter().all(|(var, _)| *var != "QUEUE_URL"));
    let signer = WixSigner::new();
    // Every message (kind, id), in the order posted.
    let mut posted: Vec<(Kind, String)> = Vec::new();
    for (n, kind) in (0..).zip(Kind::ALL) {
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        for seq in 0..PER_KIND {
            // Ids unique across kinds too: kinds of one subject share a group, where SQS de-duplicates.
            let body = unique_body(kind, n * PER_KIND + seq, &signer);
            let mut ids = Vec::new();
            // The provider's retry of the same delivery: the same message id, stored once.
            for _ in 0..2 {
                let (status, answer) = post(&api, kind, &body).await;
                assert_eq!(
                    (status, &answer["status"]),
                    (200, &"queued".into()),
                    "{kind}: {answer}"
                );
                ids.push(answer["id"].as_str().unwrap().to_owned());
            }
            assert_eq!(ids[0], ids[1]);
            posted.push((kind, ids.remove(0)));
        }
        function.kill().await.unwrap();
    }

    let takes: [fn(Kind) -> bool; 3] = [
        |_| true,
        |kind| kind.provider() == Provider::Wix,
        is_removal,
    ];
    for (queue, takes) in fan_out.queues.iter().zip(takes) {
        // Each group's messages (kind, id), in the order received.
        let mut received: BTreeMap<String, Vec<(Kind, String)>> = BTreeMap::new();
        for m in take_all(&sqs, queue).await {
            let message = Message::from_body(m.body().unwrap())
                .expect("the body is the message, as on QUEUE_URL");
            let group = format!("{}/{}", message.source, message.subject);
            let system = m.attributes.clone().unwrap_or_default();
            assert_eq!(system[&MessageSystemAttributeName::MessageGroupId], group);
            assert_eq!(
                system[&MessageSystemAttributeName::MessageDeduplicationId],
                message.id
            );
            let attributes = m.message_attributes.clone().unwrap_or_default();
            for (name, value) in message.attributes() {
                assert_eq!(attributes[name].string_value(), Some(value), "{name}");
            }
            assert_eq!(attributes.len(), 3);
            received
                .entry(group)
                .or_default()
                .push((message.kind, message.id));
        }
        let mut got: Vec<&(Kind, String)> = received.values().flatten().collect();
        got.sort();
        let mut expected: Vec<&(Kind, String)> =
            posted.iter().filter(|(kind, _)| takes(*kind)).collect();
        assert!(!expected.is_empty());
        expected.sort();
        assert_eq!(got, expected, "{queue}: exactly its messages, each once");
        for (group, messages) in &received {
            let in_posted_order: Vec<&(Kind, String)> =
                posted.iter().filter(|m| messages.contains(m)).collect();
            assert_eq!(
                messages.iter().collect::<Vec<_>>(),
                in_posted_order,
                "{queue}: group {group} in the order posted"
            );
        }
    }
    assert!(take_all(&sqs, &quarantine).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_topic_arn_is_503_naming_the_variable() {
    let api = RuntimeApi::start().await;
    let kind = Kind::OmerloParticipantCreated;
    let mut env = aws::function_env("http://127.0.0.1:9", "", "");
    env.retain(|(var, _)| !var.ends_with("QUEUE_URL"));
    env.push(("TOPIC_ARN", "rollcall-messages.fifo".into()));
    let mut function = api.spawn(&kind.binary(), &env);
    let event = std::fs::read(repo().join("events/omerlo-participant-created.json")).unwrap();
    match api.invoke(&event).await {
        Outcome::Response(response) => {
            assert_eq!(response["statusCode"], 503);
            assert!(
                response["body"].as_str().unwrap().contains("TOPIC_ARN"),
                "{response}"
            );
        }
        other => panic!("{other:?}"),
    }
    function.kill().await.unwrap();
}
