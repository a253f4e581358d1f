//! The functions' queues: fresh SQS queues on a loopback server (moto), or a stand-in that answers at once;
//! the environment that points a function at them; the queue's own round trip, to subtract.

use crate::Result;
use crate::report::ms;
use rollcall::Kind;
use rollcall::config::Limits;
use rollcall::queue::Queue;
use rollcall::queue::sqs::SqsQueue;
use rollcall_testkit::deliveries;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An SQS endpoint and the two queues a function sends to.
pub(crate) struct Queues {
    endpoint: String,
    fifo: String,
    quarantine: String,
}

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    rollcall_testkit::aws::sqs(endpoint, Duration::from_secs(5))
}

/// A fresh FIFO queue and quarantine queue at `endpoint`.
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
    Ok(Queues {
        endpoint: endpoint.to_owned(),
        fifo: create(format!("bench-{unique}.fifo"), true).await?,
        quarantine: create(format!("bench-q-{unique}"), false).await?,
    })
}

/// A stand-in for SQS on loopback that answers every request at once with a well-formed `SendMessage` result
/// (AWS JSON 1.0, as the SDK's SQS client speaks it), for `coldstart --stub-queue`. It stores nothing.
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
    let app = axum::Router::new().fallback(move |_request: axum::body::Bytes| {
        let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            (
                [
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amzn-requestid", "stand-in"),
                ],
                format!(
                    r#"{{"MessageId":"00000000-0000-4000-8000-{n:012}","MD5OfMessageBody":"00000000000000000000000000000000","SequenceNumber":"{n:020}"}}"#
                ),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Queues {
        fifo: format!("{endpoint}/000000000000/stand-in.fifo"),
        quarantine: format!("{endpoint}/000000000000/stand-in-quarantine"),
        endpoint,
    })
}

/// A function's environment: the test keys of every provider, and the queues when there are some.
pub(crate) fn function_env(queues: Option<&Queues>) -> Vec<(&'static str, String)> {
    let mut env = deliveries::secret_env();
    if let Some(q) = queues {
        env.extend([
            ("QUEUE_URL", q.fifo.clone()),
            ("QUARANTINE_QUEUE_URL", q.quarantine.clone()),
            ("AWS_ENDPOINT_URL", q.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]);
    }
    env
}

/// The queue's own round trip for the first message of a process: a fresh client (new connection), one
/// `SendMessage` of the message `body` makes, timed from the call to its answer.
pub(crate) async fn queue_round_trip(queues: &Queues, kind: Kind, body: &[u8]) -> Result<f64> {
    let change = rollcall::provider::parse(kind, body).map_err(|e| e.to_string())?;
    let message = rollcall::Message::build(kind, change, rollcall::message::UtcTime::now());
    let queue = SqsQueue::new(
        sqs_client(&queues.endpoint),
        Some(queues.fifo.clone()),
        None,
    );
    let started = Instant::now();
    tokio::time::timeout(
        Limits::default().queue_deadline * 4,
        queue.publish(&message),
    )
    .await
    .map_err(|_| "SendMessage timed out".to_string())?
    .map_err(|e| format!("SendMessage: {e}"))?;
    Ok(ms(started.elapsed()))
}
