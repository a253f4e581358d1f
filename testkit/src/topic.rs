//! An SNS FIFO topic fanning out to SQS FIFO queues on the loopback server, as `template.yaml` and
//! `consumer.yaml` make them on AWS: the topic (`FifoTopic`, de-duplication by explicit id), each queue
//! de-duplicating per message group, each subscription with raw message delivery and an optional filter policy.

use crate::aws::{SETUP_DEADLINE, lookup};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};

/// An SNS client for `endpoint`, for set-up and checks ([`SETUP_DEADLINE`]).
pub fn sns(endpoint: &str) -> aws_sdk_sns::Client {
    rollcall::queue::sns::client_from_lookup(lookup(endpoint), None, SETUP_DEADLINE)
}

/// A subscription to make: its queue's name (a prefix; the queue's is unique) and its filter policy with its scope
/// (`MessageAttributes` or `MessageBody`), or none to take every message.
pub struct Subscription<'a> {
    /// The queue's name prefix.
    pub name: &'a str,
    /// The filter policy's JSON and scope.
    pub filter: Option<(&'a str, &'a str)>,
}

/// A FIFO topic and its subscribed FIFO queues.
pub struct FanOut {
    /// The topic's ARN.
    pub topic: String,
    /// Each subscription's queue URL, in the order given.
    pub queues: Vec<String>,
}

impl FanOut {
    /// A new FIFO topic with one new FIFO queue per subscription, each subscribed with raw delivery.
    pub async fn create(
        sns: &aws_sdk_sns::Client,
        sqs: &aws_sdk_sqs::Client,
        subscriptions: &[Subscription<'_>],
    ) -> FanOut {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let topic = sns
            .create_topic()
            .name(format!("messages-{unique}.fifo"))
            .attributes("FifoTopic", "true")
            .send()
            .await
            .expect("create the FIFO topic")
            .topic_arn
            .expect("a topic ARN");
        let mut queues = Vec::new();
        for subscription in subscriptions {
            let url = sqs
                .create_queue()
                .queue_name(format!("{}-{unique}.fifo", subscription.name))
                .attributes(QueueAttributeName::FifoQueue, "true")
                .attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
                .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
                .send()
                .await
                .expect("create a subscribed queue")
                .queue_url
                .expect("a URL");
            let arn = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .expect("the queue's ARN")
                .attributes
                .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
                .expect("a queue ARN");
            let mut subscribe = sns
                .subscribe()
                .topic_arn(&topic)
                .protocol("sqs")
                .endpoint(arn)
                .attributes("RawMessageDelivery", "true");
            if let Some((policy, scope)) = subscription.filter {
                subscribe = subscribe
                    .attributes("FilterPolicy", policy)
                    .attributes("FilterPolicyScope", scope);
            }
            subscribe.send().await.expect("subscribe the queue");
            queues.push(url);
        }
        FanOut { topic, queues }
    }
}

/// Every message waiting on `queue`, received with its attributes and system attributes and deleted, oldest
/// first within each group.
pub async fn take_all(sqs: &aws_sdk_sqs::Client, queue: &str) -> Vec<Message> {
    let mut taken = Vec::new();
    loop {
        let messages = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return taken;
        }
        for message in messages {
            sqs.delete_message()
                .queue_url(queue)
                .receipt_handle(message.receipt_handle().expect("a receipt handle"))
                .send()
                .await
                .expect("delete");
            taken.push(message);
        }
    }
}

/// A webhook function's environment publishing to `topic` (no `QUEUE_URL`) with its quarantine on SQS: the sample
/// secrets, the endpoint and test credentials.
pub fn function_env(endpoint: &str, topic: &str, quarantine: &str) -> Vec<(&'static str, String)> {
    let mut env = crate::aws::function_env(endpoint, "", quarantine);
    env.retain(|(var, _)| *var != "QUEUE_URL");
    env.push(("TOPIC_ARN", topic.into()));
    env
}
