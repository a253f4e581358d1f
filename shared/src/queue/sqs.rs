//! The Amazon SQS adapter. Messages go to `QUEUE_URL` (a FIFO queue gets `MessageGroupId` = source + subject and
//! `MessageDeduplicationId` = message id), quarantine records to `QUARANTINE_QUEUE_URL` (a FIFO quarantine gets
//! both from the record's route and delivery key, [`super::quarantine_key`]). The client is built
//! from the environment without loading a full AWS config (no profile files, no IMDS): Lambda's own variables
//! are enough, which keeps cold starts short. `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_SQS`) points it at any
//! SQS-speaking server.

use super::{Inbox, Lane, Published, Queue, QueueError, Received};
use crate::config::NotConfigured;
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use std::time::Duration;

/// The Amazon SQS queue pair.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    messages: Option<String>,
    quarantine: Option<String>,
}

impl SqsQueue {
    /// Reads `QUEUE_URL` and `QUARANTINE_QUEUE_URL`; each operation gives up after `deadline`.
    pub fn from_env(deadline: Duration) -> SqsQueue {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
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

/// An SQS client from the environment (see [`crate::aws::sdk_config_from_lookup`]); `AWS_ENDPOINT_URL_SQS`
/// overrides `AWS_ENDPOINT_URL` for SQS alone.
fn client_from_env(deadline: Duration) -> Client {
    client_from_lookup(|name| std::env::var(name).ok(), deadline)
}

/// An SQS client configured through `lookup` (a variable name to its value).
pub fn client_from_lookup(lookup: impl Fn(&str) -> Option<String>, deadline: Duration) -> Client {
    let endpoint = lookup("AWS_ENDPOINT_URL_SQS").filter(|v| !v.trim().is_empty());
    let config = crate::aws::sdk_config_from_lookup(lookup, deadline);
    let mut sqs = aws_sdk_sqs::config::Builder::from(&config);
    if let Some(endpoint) = endpoint {
        sqs = sqs.endpoint_url(endpoint);
    }
    Client::from_conf(sqs.build())
}

fn unavailable(error: impl std::error::Error) -> QueueError {
    QueueError::Unavailable(DisplayErrorContext(error).to_string())
}

fn text(value: &str) -> Result<MessageAttributeValue, QueueError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(unavailable)
}

impl Queue for SqsQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        let url = self.url(Lane::Messages)?;
        let mut send = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(message.to_body())
            .message_attributes("type", text(message.kind.message_type())?)
            .message_attributes("source", text(&message.source)?)
            .message_attributes("subject", text(&message.subject)?);
        if url.ends_with(".fifo") {
            send = send
                .message_group_id(super::group_id(message))
                .message_deduplication_id(super::deduplication_id(message));
        }
        send.send().await.map_err(unavailable)?;
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        let body =
            serde_json::to_string(record).map_err(|e| QueueError::Unavailable(e.to_string()))?;
        let url = self.url(Lane::Quarantine)?;
        let mut send = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_attributes("type", text(record.kind.message_type())?)
            .message_attributes("reason", text(&record.reason)?);
        if url.ends_with(".fifo") {
            // Repeats of one delivery within SQS's 5-minute window are stored once; each record is its own
            // group, so that no record waits behind another.
            let key = super::quarantine_key(record);
            send = send
                .message_group_id(key.clone())
                .message_deduplication_id(key);
        }
        send.send().await.map_err(unavailable)?;
        Ok(())
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
            .send()
            .await
            .map_err(unavailable)?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                Some(Received {
                    handle: m.receipt_handle?,
                    body: m.body?,
                })
            })
            .collect())
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
        Ok(output
            .attributes
            .and_then(|a| {
                a.get(&QueueAttributeName::ApproximateNumberOfMessages)
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0))
    }
}
