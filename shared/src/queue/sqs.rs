//! The Amazon SQS adapter. Messages go to `QUEUE_URL` (a FIFO queue gets `MessageGroupId` = source + subject and
//! `MessageDeduplicationId` = message id), quarantine records to `QUARANTINE_QUEUE_URL` (a FIFO quarantine gets
//! both from the record's route and delivery key, [`super::quarantine_key`]). The client is built
//! from the environment without loading a full AWS config (no profile files, no IMDS): Lambda's own variables
//! are enough, which keeps cold starts short. `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_SQS`) points it at any
//! SQS-speaking server. Bodies and attributes obey SQS's rules ([`crate::sqs_text`]); a message SQS refuses for
//! good is [`QueueError::Refused`], which the pipeline quarantines.

use super::{Inbox, Lane, Published, Queue, QueueError, Received};
use crate::config::NotConfigured;
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use crate::sqs_text::{self, Body, Refusal};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::send_message::SendMessageError;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use std::time::Duration;

/// The Amazon SQS queue pair.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    messages: Option<String>,
    quarantine: Option<String>,
    receive_wait: Option<Duration>,
}

impl SqsQueue {
    /// Reads `QUEUE_URL` and `QUARANTINE_QUEUE_URL`; each operation gives up after `deadline`.
    pub fn from_env(deadline: Duration) -> SqsQueue {
        let var = |name: &str| crate::settings::env(name).filter(|v| !v.trim().is_empty());
        SqsQueue::new(
            client_from_env(deadline),
            var("QUEUE_URL"),
            var("QUARANTINE_QUEUE_URL"),
        )
    }

    /// A queue pair on an existing client.
    pub fn new(client: Client, messages: Option<String>, quarantine: Option<String>) -> SqsQueue {
        SqsQueue {
            client,
            messages,
            quarantine,
            receive_wait: None,
        }
    }

    /// Receives with long polling: each receive waits up to `wait` (at most SQS's 20 seconds) for a message, and
    /// asks every server of the queue rather than a sample. The client's attempt timeout must exceed `wait`.
    pub fn long_polling(self, wait: Duration) -> SqsQueue {
        SqsQueue {
            receive_wait: Some(wait.min(MAX_RECEIVE_WAIT)),
            ..self
        }
    }

    fn url(&self, lane: Lane) -> Result<&str, QueueError> {
        match lane {
            Lane::Messages => self.messages.as_deref().ok_or_else(|| {
                QueueError::NotConfigured(NotConfigured {
                    var: "QUEUE_URL",
                    why: "the variable is not set".into(),
                })
            }),
            Lane::Quarantine => self.quarantine.as_deref().ok_or_else(|| {
                QueueError::NotConfigured(NotConfigured {
                    var: "QUARANTINE_QUEUE_URL",
                    why: "the variable is not set".into(),
                })
            }),
        }
    }
}

/// An SQS client from the environment (see [`crate::aws::sdk_config_for`]); `AWS_ENDPOINT_URL_SQS`
/// overrides `AWS_ENDPOINT_URL` for SQS alone, TLS roots included.
fn client_from_env(deadline: Duration) -> Client {
    client_from_lookup(crate::settings::env, deadline)
}

/// An SQS client configured through `lookup` (a variable name to its value).
pub fn client_from_lookup(lookup: impl Fn(&str) -> Option<String>, deadline: Duration) -> Client {
    Client::new(&crate::aws::sdk_config_for(
        crate::aws::Service::Sqs,
        lookup,
        deadline,
    ))
}

/// The longest wait SQS allows a receive (`WaitTimeSeconds`).
pub const MAX_RECEIVE_WAIT: Duration = Duration::from_secs(20);

fn unavailable(error: impl std::error::Error) -> QueueError {
    QueueError::Unavailable(DisplayErrorContext(error).to_string())
}

/// SQS's error codes for a message it refuses for good: its characters (`InvalidMessageContents`), its size or
/// another value of it (`InvalidParameterValue`). Sending it again would fail again.
const REFUSALS: [&str; 2] = ["InvalidMessageContents", "InvalidParameterValue"];

/// A failed `SendMessage`: [`QueueError::Refused`] for [`REFUSALS`] (the code only: SQS's message may quote a
/// character of the delivery), [`QueueError::Unavailable`] for everything else.
fn send_failed(error: SdkError<SendMessageError, HttpResponse>) -> QueueError {
    match error.code() {
        Some(code) if REFUSALS.contains(&code) => QueueError::Refused(Refusal::Sqs {
            code: code.to_owned(),
        }),
        _ => unavailable(error),
    }
}

/// The message attributes SQS accepts, from `(name, value)` pairs, as SQS's type ([`sqs_text::attributes`]:
/// a value it would refuse is left out; refused when body and attributes are over
/// [`sqs_text::MAX_MESSAGE_BYTES`]).
fn attributes<'a>(
    body: &Body,
    pairs: impl IntoIterator<Item = (&'static str, &'a str)>,
) -> Result<Vec<(&'static str, MessageAttributeValue)>, QueueError> {
    sqs_text::attributes(body, pairs)?
        .into_iter()
        .map(|(name, value)| {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(unavailable)?;
            Ok((name, value))
        })
        .collect()
}

impl SqsQueue {
    /// Sends `body` to `lane` with the attributes of `pairs` that SQS accepts ([`attributes`]). A FIFO queue also
    /// gets `fifo_ids()`: the message group and the de-duplication id.
    async fn send<'a>(
        &self,
        lane: Lane,
        body: Body,
        pairs: impl IntoIterator<Item = (&'static str, &'a str)>,
        fifo_ids: impl FnOnce() -> (String, String),
    ) -> Result<(), QueueError> {
        let url = self.url(lane)?;
        let attributes = attributes(&body, pairs)?;
        let mut send = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body.into_string())
            .set_message_attributes(Some(
                attributes
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
            ));
        if url.ends_with(".fifo") {
            let (group, deduplication) = fifo_ids();
            send = send
                .message_group_id(group)
                .message_deduplication_id(deduplication);
        }
        send.send().await.map_err(send_failed)?;
        Ok(())
    }
}

impl Queue for SqsQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        self.send(
            Lane::Messages,
            message.to_body()?,
            message.attributes(),
            || (super::group_id(message), super::deduplication_id(message)),
        )
        .await?;
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        let pairs = [
            ("type", record.kind.message_type()),
            ("reason", record.reason.as_str()),
        ];
        // Repeats of one delivery within SQS's 5-minute window are stored once; each record is its own group, so
        // that no record waits behind another.
        self.send(Lane::Quarantine, record.to_body()?, pairs, || {
            let key = super::quarantine_key(record);
            (key.clone(), key)
        })
        .await
    }
}

impl Inbox for SqsQueue {
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(self.url(lane)?)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(30)
            .set_wait_time_seconds(
                self.receive_wait
                    .map(|wait| wait.as_secs().min(MAX_RECEIVE_WAIT.as_secs()) as i32),
            )
            .send()
            .await
            .map_err(unavailable)?;
        // No `messages` is an empty receive; a message without its handle or body is not one SQS sends.
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(received)
            .collect()
    }

    async fn delete(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(self.url(lane)?)
            .receipt_handle(handle)
            .send()
            .await
            .map_err(unavailable)
            .map(drop)
    }

    async fn release(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(self.url(lane)?)
            .receipt_handle(handle)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(unavailable)
            .map(drop)
    }

    async fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(self.url(lane)?)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(unavailable)?;
        output
            .attributes
            .and_then(|a| {
                a.get(&QueueAttributeName::ApproximateNumberOfMessages)
                    .and_then(|n| n.parse().ok())
            })
            .ok_or_else(|| {
                QueueError::Unavailable(
                    "SQS did not answer ApproximateNumberOfMessages as a whole number".into(),
                )
            })
    }
}

/// A received SQS message as the port's [`Received`]; an error for one without its receipt handle or body,
/// which SQS always sends (dropping it would hide it from the tools until its lease ran out).
fn received(message: aws_sdk_sqs::types::Message) -> Result<Received, QueueError> {
    match (message.message_id, message.receipt_handle, message.body) {
        (Some(id), Some(handle), Some(body)) => Ok(Received { id, handle, body }),
        _ => Err(QueueError::Unavailable(
            "SQS returned a message without its id, receipt handle or body".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::Message as SqsMessage;

    #[test]
    fn a_message_without_its_handle_or_body_is_an_error() {
        let whole = SqsMessage::builder()
            .message_id("m")
            .receipt_handle("h")
            .body("b")
            .build();
        assert_eq!(received(whole).map(|r| r.body), Ok("b".to_owned()));
        for partial in [
            SqsMessage::builder().receipt_handle("h").build(),
            SqsMessage::builder().body("b").build(),
            SqsMessage::builder().message_id("m").body("b").build(),
        ] {
            assert!(matches!(received(partial), Err(QueueError::Unavailable(_))));
        }
    }
}
