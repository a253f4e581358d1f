//! The Amazon SNS adapter: messages go to an SNS FIFO topic (`TOPIC_ARN`), which fans each out to its
//! subscribed SQS FIFO queues (raw delivery: every queue's body is the message, as on `QUEUE_URL`); quarantine
//! records go to `QUARANTINE_QUEUE_URL` through the SQS adapter, off the topic.
//!
//! An adapter of its own that holds the SQS one for the quarantine, rather than a destination inside the SQS
//! adapter: a topic has its own client, error codes and address, and the SQS adapter stays exactly what a
//! `QUEUE_URL` deployment runs. [`AwsQueue`] is the choice a function makes at start: the topic when `TOPIC_ARN`
//! is set, else the queue of `QUEUE_URL`.
//!
//! A publish carries what an SQS send carries: the FIFO message group ([`super::group_id`]), the de-duplication
//! id ([`super::deduplication_id`]) and the message attributes that SQS accepts ([`sqs_text::attributes`], for
//! raw delivery ends in SQS). SNS takes at most 256 KiB of body and attributes, [`sqs_text::MAX_MESSAGE_BYTES`]:
//! a larger message, or one SNS refuses for good ([`REFUSALS`]), is [`QueueError::Refused`], which the pipeline
//! quarantines. A `TOPIC_ARN` that is not a topic's ARN is answered `503` naming the variable, as a missing
//! address is; the client talks to the region the ARN names. `AWS_ENDPOINT_URL_SNS` overrides
//! `AWS_ENDPOINT_URL` for SNS alone.

use super::sqs::SqsQueue;
use super::{Inbox, Lane, Published, Queue, QueueError, Received};
use crate::config::NotConfigured;
pub use crate::config::{TOPIC_ARN_VAR, TopicArn};
use crate::message::Message;
use crate::quarantine::QuarantineRecord;
use crate::sqs_text::{self, Refusal};
use aws_sdk_sns::Client;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;
use std::time::Duration;

/// Messages to an SNS topic, quarantine records to the SQS adapter's quarantine.
#[derive(Clone, Debug)]
pub struct SnsQueue {
    client: Client,
    topic: Result<TopicArn, NotConfigured>,
    sqs: SqsQueue,
}

impl SnsQueue {
    /// Reads `TOPIC_ARN` and, for the quarantine, `QUARANTINE_QUEUE_URL` ([`SqsQueue::from_env`]); each
    /// operation gives up after `deadline`.
    pub fn from_env(deadline: Duration) -> SnsQueue {
        let topic = match crate::settings::env(TOPIC_ARN_VAR) {
            Some(topic) if !topic.trim().is_empty() => TopicArn::parse(&topic),
            _ => Err(NotConfigured {
                var: TOPIC_ARN_VAR,
                why: "the variable is not set".into(),
            }),
        };
        let client = client_from_lookup(crate::settings::env, topic.as_ref().ok(), deadline);
        SnsQueue {
            client,
            topic,
            sqs: SqsQueue::from_env(deadline),
        }
    }

    /// The topic `topic` on an existing client, the quarantine (and any reading back) on `sqs`. A `topic` that is
    /// not an ARN is answered at each publish as not configured.
    pub fn new(client: Client, topic: &str, sqs: SqsQueue) -> SnsQueue {
        SnsQueue {
            client,
            topic: TopicArn::parse(topic),
            sqs,
        }
    }
}

/// An SNS client configured through `lookup` (see [`crate::aws::sdk_config_for`]), in the region of
/// `topic` when given; `AWS_ENDPOINT_URL_SNS` overrides `AWS_ENDPOINT_URL` for SNS alone, TLS roots included.
pub fn client_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
    topic: Option<&TopicArn>,
    deadline: Duration,
) -> Client {
    client_on(
        &crate::aws::sdk_config_for(crate::aws::Service::Sns, lookup, deadline),
        topic,
    )
}

/// An SNS client on `config` (made for [`crate::aws::Service::Sns`]: its endpoint and TLS roots), in the region
/// of `topic` when given.
pub fn client_on(config: &aws_types::SdkConfig, topic: Option<&TopicArn>) -> Client {
    let mut sns = aws_sdk_sns::config::Builder::from(config);
    if let Some(topic) = topic {
        sns = sns.region(aws_sdk_sns::config::Region::new(topic.region().to_owned()));
    }
    Client::from_conf(sns.build())
}

/// SNS's error codes for a message it refuses for good: a value of the message (its size, its characters, an
/// attribute) does not comply (`InvalidParameter`; `ParameterValueInvalid`, which the SDK names
/// `InvalidParameterValueException`, and the older `InvalidParameterValue`). The topic's address cannot be the
/// parameter at fault: it is checked before any publish ([`TopicArn::parse`]) and the client is in its region.
/// Every other code (authorization, KMS, throttling, a missing topic, internal errors) is about the service or
/// its set-up: sending again later may succeed.
pub const REFUSALS: [&str; 3] = [
    "InvalidParameter",
    "ParameterValueInvalid",
    "InvalidParameterValue",
];

/// A failed `Publish`: [`QueueError::Refused`] for [`REFUSALS`] (the code only: SNS's message may quote the
/// delivery), [`QueueError::Unavailable`] for everything else.
fn publish_failed(error: SdkError<PublishError, HttpResponse>) -> QueueError {
    match error.code() {
        Some(code) if REFUSALS.contains(&code) => QueueError::Refused(Refusal::Sns {
            code: code.to_owned(),
        }),
        _ => QueueError::Unavailable(DisplayErrorContext(error).to_string()),
    }
}

impl Queue for SnsQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        let topic = self.topic.as_ref().map_err(Clone::clone)?;
        let body = message.to_body()?;
        let mut publish = self.client.publish().topic_arn(topic.as_str());
        for (name, value) in sqs_text::attributes(&body, message.attributes())? {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| QueueError::Unavailable(DisplayErrorContext(e).to_string()))?;
            publish = publish.message_attributes(name, value);
        }
        if topic.is_fifo() {
            publish = publish
                .message_group_id(super::group_id(message))
                .message_deduplication_id(super::deduplication_id(message));
        }
        publish
            .message(body.into_string())
            .send()
            .await
            .map_err(publish_failed)?;
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        self.sqs.quarantine(record).await
    }
}

/// Reading back goes to the SQS adapter: the quarantine (what `quarantine replay` reads); a topic itself holds
/// no messages, they are read from a subscribed queue.
impl Inbox for SnsQueue {
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
        self.sqs.receive(lane, max).await
    }

    async fn delete(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        self.sqs.delete(lane, handle).await
    }

    async fn release(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        self.sqs.release(lane, handle).await
    }

    async fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        self.sqs.count(lane).await
    }
}

/// Where a function's messages go, chosen once at start: the SNS topic when `TOPIC_ARN` is set (not blank), else
/// the SQS queue of `QUEUE_URL`. The quarantine is on SQS either way.
#[derive(Clone, Debug)]
pub enum AwsQueue {
    /// Messages to `QUEUE_URL`.
    Sqs(SqsQueue),
    /// Messages to `TOPIC_ARN`.
    Sns(SnsQueue),
}

impl AwsQueue {
    /// Reads the environment as the functions have it; each operation gives up after `deadline`.
    pub fn from_env(deadline: Duration) -> AwsQueue {
        let topic_set = crate::settings::env(TOPIC_ARN_VAR).is_some_and(|v| !v.trim().is_empty());
        if topic_set {
            AwsQueue::Sns(SnsQueue::from_env(deadline))
        } else {
            AwsQueue::Sqs(SqsQueue::from_env(deadline))
        }
    }
}

impl Queue for AwsQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        match self {
            AwsQueue::Sqs(q) => q.publish(message).await,
            AwsQueue::Sns(q) => q.publish(message).await,
        }
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        match self {
            AwsQueue::Sqs(q) => q.quarantine(record).await,
            AwsQueue::Sns(q) => q.quarantine(record).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sns::error::ErrorMetadata;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn topic_arns_are_read_whole() {
        let arn =
            TopicArn::parse(" arn:aws:sns:eu-west-1:123456789012:rollcall-messages.fifo ").unwrap();
        assert_eq!(
            arn.as_str(),
            "arn:aws:sns:eu-west-1:123456789012:rollcall-messages.fifo"
        );
        assert_eq!(arn.region(), "eu-west-1");
        assert!(arn.is_fifo());
        let standard = TopicArn::parse("arn:aws-cn:sns:cn-north-1:123456789012:a_b-C").unwrap();
        assert_eq!(standard.region(), "cn-north-1");
        assert!(!standard.is_fifo());
        assert!(
            TopicArn::parse(&format!(
                "arn:aws:sns:us-east-1:123456789012:{}",
                "x".repeat(256)
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_malformed_topic_arn_names_the_variable() {
        for malformed in [
            "",
            "rollcall-messages.fifo",
            "https://sns.us-east-1.amazonaws.com/123456789012/t",
            "arn:aws:sqs:us-east-1:123456789012:t.fifo",
            "arn:aws:sns::123456789012:t.fifo",
            "arn:aws:sns:us-east-1:1234:t.fifo",
            "arn:aws:sns:us-east-1:123456789012:",
            "arn:aws:sns:us-east-1:123456789012:.fifo",
            "arn:aws:sns:us-east-1:123456789012:a b",
            "arn:aws:sns:us-east-1:123456789012:t:extra",
        ] {
            let error = TopicArn::parse(malformed).unwrap_err();
            assert_eq!(error.var, TOPIC_ARN_VAR, "{malformed}");
        }
        assert!(
            TopicArn::parse(&format!(
                "arn:aws:sns:us-east-1:123456789012:{}",
                "x".repeat(257)
            ))
            .is_err()
        );
    }

    fn failure(code: &str) -> SdkError<PublishError, HttpResponse> {
        let status = 400.try_into().unwrap();
        SdkError::service_error(
            PublishError::generic(
                ErrorMetadata::builder()
                    .code(code)
                    .message("quoted value")
                    .build(),
            ),
            HttpResponse::new(status, SdkBody::empty()),
        )
    }

    #[test]
    fn snss_permanent_refusals_are_refused_by_code_alone() {
        for code in REFUSALS {
            assert_eq!(
                publish_failed(failure(code)),
                QueueError::Refused(Refusal::Sns { code: code.into() })
            );
        }
    }

    #[test]
    fn every_other_sns_error_is_unavailable() {
        for code in [
            "Throttled",
            "InternalError",
            "NotFound",
            "AuthorizationError",
            "KMSDisabled",
            "KMSThrottling",
            "KMSAccessDenied",
            "InvalidSecurity",
        ] {
            assert!(
                matches!(publish_failed(failure(code)), QueueError::Unavailable(_)),
                "{code}"
            );
        }
    }
}
