//! The functions' queues: fresh SQS queues and an SNS FIFO topic on a loopback server (moto), or a stand-in
//! that answers at once; the environment that points a function at them, through `QUEUE_URL` or `TOPIC_ARN`;
//! the queue's own round trip, to subtract.

use crate::Result;
use crate::report::ms;
use rollcall::Kind;
use rollcall::config::Limits;
use rollcall::queue::Queue;
use rollcall::queue::sns::SnsQueue;
use rollcall::queue::sqs::SqsQueue;
use rollcall_testkit::deliveries;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An SQS and SNS endpoint, the two queues a function sends to and the FIFO topic it publishes to instead when
/// its `TOPIC_ARN` is set.
pub(crate) struct Queues {
    endpoint: String,
    fifo: String,
    quarantine: String,
    topic: String,
}

/// Where a function's messages go: the FIFO queue (`QUEUE_URL`) or the FIFO topic (`TOPIC_ARN`, no
/// `QUEUE_URL`). The quarantine is `QUARANTINE_QUEUE_URL` either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// SQS `SendMessage` to `QUEUE_URL`.
    Sqs,
    /// SNS `Publish` to `TOPIC_ARN`.
    Sns,
}

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    rollcall_testkit::aws::sqs(endpoint, Duration::from_secs(5))
}

fn sns_client(endpoint: &str) -> aws_sdk_sns::Client {
    rollcall::queue::sns::client_from_lookup(
        rollcall_testkit::aws::lookup(endpoint),
        None,
        Duration::from_secs(5),
    )
}

/// A fresh FIFO queue, quarantine queue and FIFO topic (no subscription: a publish's round trip is SNS's answer,
/// as on AWS, where the fan-out happens after it) at `endpoint`.
pub(crate) async fn queues(endpoint: &str) -> Result<Queues> {
    let client = sqs_client(endpoint);
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let create = |name: String, fifo: bool| {
        let mut request = client.create_queue().queue_name(name);
        if fifo {
            request = request.attributes(
                aws_sdk_sqs::types::QueueAttributeName::FifoQueue,
                "true".to_string(),
            );
        }
        async move {
            request
                .send()
                .await
                .map_err(|e| format!("creating a queue at {endpoint}: {e:?}"))?
                .queue_url
                .ok_or_else(|| "no queue URL".to_string())
        }
    };
    let topic = sns_client(endpoint)
        .create_topic()
        .name(format!("bench-{unique}.fifo"))
        .attributes("FifoTopic", "true")
        .send()
        .await
        .map_err(|e| format!("creating a topic at {endpoint}: {e:?}"))?
        .topic_arn
        .ok_or_else(|| "no topic ARN".to_string())?;
    Ok(Queues {
        endpoint: endpoint.to_owned(),
        fifo: create(format!("bench-{unique}.fifo"), true).await?,
        quarantine: create(format!("bench-q-{unique}"), false).await?,
        topic,
    })
}

/// The stand-in's answer to one request: SNS's `Publish` when the body is a query-protocol form (`Action=…`, as
/// the SDK's SNS client sends it), else SQS's `SendMessage` (AWS JSON 1.0, as the SDK's SQS client speaks it).
/// `n` numbers the answer's message id and FIFO sequence number. Another SNS action is refused with a query
/// protocol error, so that a measurement that needs more than a publish fails rather than reads a wrong answer.
fn stand_in_answer(body: &[u8], n: u64) -> (http::StatusCode, &'static str, String) {
    let action = std::str::from_utf8(body).ok().and_then(|form| {
        form.split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
    });
    match action {
        Some("Publish") => (
            http::StatusCode::OK,
            "text/xml",
            format!(
                r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-4000-8000-{n:012}</MessageId><SequenceNumber>{n:020}</SequenceNumber></PublishResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></PublishResponse>"#
            ),
        ),
        Some(other) => (
            http::StatusCode::BAD_REQUEST,
            "text/xml",
            format!(
                r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the measure stand-in answers Publish only, not {other}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>"#
            ),
        ),
        None => (
            http::StatusCode::OK,
            "application/x-amz-json-1.0",
            format!(
                r#"{{"MessageId":"00000000-0000-4000-8000-{n:012}","MD5OfMessageBody":"00000000000000000000000000000000","SequenceNumber":"{n:020}"}}"#
            ),
        ),
    }
}

/// A stand-in for SQS and SNS on loopback that answers every request at once with a well-formed `SendMessage`
/// or `Publish` result ([`stand_in_answer`]), for `coldstart --stub-queue`. It stores nothing.
pub(crate) async fn queue_stand_in() -> Result<Queues> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("queue stand-in: {e}"))?;
    let endpoint = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| format!("queue stand-in: {e}"))?
    );
    let sent = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().fallback(move |request: axum::body::Bytes| {
        let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
        let (status, content_type, body) = stand_in_answer(&request, n);
        async move {
            (
                status,
                [
                    ("content-type", content_type),
                    ("x-amzn-requestid", "stand-in"),
                ],
                body,
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Queues {
        fifo: format!("{endpoint}/000000000000/stand-in.fifo"),
        quarantine: format!("{endpoint}/000000000000/stand-in-quarantine"),
        topic: "arn:aws:sns:us-east-1:000000000000:stand-in.fifo".into(),
        endpoint,
    })
}

/// A function's environment: the test keys of every provider, and the queues when there are some, its messages
/// going `via` the queue or the topic.
pub(crate) fn function_env(queues: Option<&Queues>, via: Via) -> Vec<(&'static str, String)> {
    let mut env = deliveries::secret_env();
    if let Some(q) = queues {
        env.push(match via {
            Via::Sqs => ("QUEUE_URL", q.fifo.clone()),
            Via::Sns => ("TOPIC_ARN", q.topic.clone()),
        });
        env.extend([
            ("QUARANTINE_QUEUE_URL", q.quarantine.clone()),
            ("AWS_ENDPOINT_URL", q.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]);
    }
    env
}

/// The queue's own round trip for the first message of a process: a fresh client (new connection), one
/// `SendMessage` (or with [`Via::Sns`] one `Publish`) of the message `body` makes, timed from the call to its
/// answer.
pub(crate) async fn queue_round_trip(
    queues: &Queues,
    kind: Kind,
    body: &[u8],
    via: Via,
) -> Result<f64> {
    let change = rollcall::provider::parse(kind, body).map_err(|e| e.to_string())?;
    let message = rollcall::Message::build(kind, change, rollcall::message::UtcTime::now());
    let sqs = SqsQueue::new(
        sqs_client(&queues.endpoint),
        Some(queues.fifo.clone()),
        None,
    );
    // Both clients are built before the clock starts, as a function builds its own at init.
    let sns = (via == Via::Sns)
        .then(|| SnsQueue::new(sns_client(&queues.endpoint), &queues.topic, sqs.clone()));
    let deadline = Limits::default().queue_deadline * 4;
    let started = Instant::now();
    let published = match &sns {
        None => tokio::time::timeout(deadline, sqs.publish(&message)).await,
        Some(sns) => tokio::time::timeout(deadline, sns.publish(&message)).await,
    };
    published
        .map_err(|_| format!("{via:?}: the publish timed out"))?
        .map_err(|e| format!("{via:?}: {e}"))?;
    Ok(ms(started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_testkit::deliveries::WixSigner;

    #[tokio::test]
    async fn the_stand_in_answers_sendmessage_and_publish() {
        let stand_in = queue_stand_in().await.unwrap();
        let kind = Kind::OmerloParticipantCreated;
        let signer = WixSigner::new();
        for (n, via) in [Via::Sqs, Via::Sns].into_iter().enumerate() {
            let body = deliveries::unique_body(kind, n as u64, &signer);
            queue_round_trip(&stand_in, kind, &body, via)
                .await
                .unwrap_or_else(|e| panic!("{via:?} against the stand-in: {e}"));
        }
    }

    #[test]
    fn the_stand_in_refuses_other_sns_actions() {
        let (status, _, body) = stand_in_answer(b"Action=Subscribe&Version=2010-03-31", 1);
        assert_eq!(status, http::StatusCode::BAD_REQUEST);
        assert!(body.contains("InvalidAction"), "{body}");
        let (status, content_type, body) =
            stand_in_answer(b"Action=Publish&Version=2010-03-31&TopicArn=x", 7);
        assert_eq!((status, content_type), (http::StatusCode::OK, "text/xml"));
        assert!(
            body.contains("<SequenceNumber>00000000000000000007</SequenceNumber>"),
            "{body}"
        );
    }
}
