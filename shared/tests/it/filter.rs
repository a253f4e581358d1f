//! The filter-policy agreement test: one table of cases from AWS's SNS filter-policy documentation
//! (`shared/tests/fixtures/filter_cases.json`: policy, scope, message attributes or body, whether SNS delivers)
//! runs through the local matcher and through the loopback server's SNS (a FIFO topic, a FIFO queue subscribed
//! with raw delivery and the case's policy, one publish). Where the loopback server deviates from the
//! documentation, the case says why (`moto_deviates`) and is skipped there; the expectation stays the
//! documentation's. The table's refusals are policies refused when read, with the place and the reason.

use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sqs::types::QueueAttributeName;
use rollcall::filter::{AttributeValue, FilterPolicy, Scope};
use rollcall_testkit::aws::{SETUP_DEADLINE, endpoint, lookup, sqs};
use rollcall_testkit::deliveries::fixture_text;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The table.
#[derive(Deserialize)]
struct Table {
    cases: Vec<Case>,
    refusals: Vec<Refusal>,
}

/// A policy, a message, and whether SNS delivers the message, per `doc`.
#[derive(Deserialize)]
struct Case {
    name: String,
    doc: String,
    scope: String,
    policy: serde_json::Value,
    #[serde(default)]
    attributes: BTreeMap<String, Attribute>,
    body: Option<serde_json::Value>,
    expected: bool,
    moto_deviates: Option<String>,
}

/// A message attribute as SNS's documentation writes it.
#[derive(Deserialize)]
struct Attribute {
    #[serde(rename = "Type")]
    data_type: String,
    #[serde(rename = "Value")]
    value: String,
}

/// A policy refused when read: where, and a part of the message.
#[derive(Deserialize)]
struct Refusal {
    name: String,
    scope: String,
    policy: Option<serde_json::Value>,
    policy_text: Option<String>,
    at: String,
    refused: String,
}

fn table() -> Table {
    serde_json::from_str(&fixture_text("filter_cases.json")).expect("filter_cases.json reads")
}

fn scope(text: &str) -> Scope {
    Scope::parse(text).unwrap_or_else(|| panic!("unknown scope {text}"))
}

impl Case {
    fn policy(&self) -> FilterPolicy {
        FilterPolicy::parse(&self.policy.to_string(), scope(&self.scope))
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// The body published: the case's JSON body, or a text of no consequence in attribute scope.
    fn published_body(&self) -> String {
        self.body
            .as_ref()
            .map_or_else(|| "attribute-scope case".to_owned(), |b| b.to_string())
    }
}

impl Attribute {
    fn local(&self) -> AttributeValue<'_> {
        match self.data_type.as_str() {
            "String" => AttributeValue::String(&self.value),
            "Number" => AttributeValue::Number(&self.value),
            "String.Array" => AttributeValue::StringArray(&self.value),
            other => panic!("no such attribute type in the table: {other}"),
        }
    }
}

#[test]
fn the_local_matcher_agrees_with_snss_documentation() {
    let table = table();
    assert!(table.cases.len() >= 50, "the table lost cases");
    let mut wrong = Vec::new();
    for case in &table.cases {
        let policy = case.policy();
        let matched = match policy.scope() {
            Scope::Attributes => {
                let attributes: Vec<(&str, AttributeValue<'_>)> = case
                    .attributes
                    .iter()
                    .map(|(name, a)| (name.as_str(), a.local()))
                    .collect();
                policy.matches_attributes(&attributes)
            }
            Scope::Body => {
                policy.matches_body(case.body.as_ref().expect("a body-scope case has a body"))
            }
        };
        if matched != case.expected {
            wrong.push(format!(
                "{} (expected {}, {})",
                case.name, case.expected, case.doc
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the local matcher disagrees:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_refusal_names_its_place_and_reason() {
    for refusal in table().refusals {
        let text = match (&refusal.policy, &refusal.policy_text) {
            (Some(policy), None) => policy.to_string(),
            (None, Some(text)) => text.clone(),
            _ => panic!("{}: give policy or policy_text", refusal.name),
        };
        let error = match FilterPolicy::parse(&text, scope(&refusal.scope)) {
            Ok(_) => panic!("{}: accepted", refusal.name),
            Err(e) => e,
        };
        assert_eq!(error.at(), refusal.at, "{}: {error}", refusal.name);
        assert!(
            error.to_string().contains(&refusal.refused),
            "{}: {error}",
            refusal.name
        );
    }
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test]
async fn the_loopback_sns_agrees_with_the_table() {
    let endpoint = endpoint();
    let sqs = sqs(&endpoint, SETUP_DEADLINE);
    let sns = aws_sdk_sns::Client::new(&rollcall::aws::sdk_config_from_lookup(
        lookup(&endpoint),
        SETUP_DEADLINE,
    ));
    let (mut checked, mut wrong) = (0, Vec::new());
    for (i, case) in table().cases.iter().enumerate() {
        if let Some(why) = &case.moto_deviates {
            println!("skipped on the loopback server: {}: {why}", case.name);
            continue;
        }
        let delivered = deliver(&sns, &sqs, i, case).await;
        if delivered != case.expected {
            wrong.push(format!(
                "{} (documented {}, delivered {delivered})",
                case.name, case.expected
            ));
        }
        checked += 1;
    }
    println!("{checked} cases agree with the loopback server's SNS");
    assert!(
        wrong.is_empty(),
        "the loopback SNS disagrees with the documentation:\n{}",
        wrong.join("\n")
    );
    assert!(
        checked >= 40,
        "most cases run on the loopback server, {checked} did"
    );
}

/// Publishes `case`'s message to a FIFO topic of its own with one subscribed FIFO queue (raw delivery, the
/// case's policy and scope): whether the queue received it.
async fn deliver(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    i: usize,
    case: &Case,
) -> bool {
    let unique = format!("filter-{i}-{}", uuid::Uuid::new_v4().simple());
    let topic = sns
        .create_topic()
        .name(format!("{unique}.fifo"))
        .attributes("FifoTopic", "true")
        .send()
        .await
        .expect("create the topic")
        .topic_arn
        .expect("a topic ARN");
    let queue = sqs
        .create_queue()
        .queue_name(format!("{unique}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("create the queue")
        .queue_url
        .expect("a queue URL");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the queue's attributes")
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("a queue ARN");
    let policy = case.policy();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .attributes("FilterPolicyScope", policy.scope().sns_name())
        .attributes("FilterPolicy", policy.as_json())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: subscribe: {e:?}", case.name));
    let mut publish = sns
        .publish()
        .topic_arn(&topic)
        .message(case.published_body())
        .message_group_id("group")
        .message_deduplication_id("message");
    for (name, attribute) in &case.attributes {
        publish = publish.message_attributes(
            name,
            MessageAttributeValue::builder()
                .data_type(&attribute.data_type)
                .string_value(&attribute.value)
                .build()
                .expect("a complete attribute"),
        );
    }
    publish
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: publish: {e:?}", case.name));
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert!(
        received.len() <= 1,
        "{}: delivered {} times",
        case.name,
        received.len()
    );
    if let Some(message) = received.first() {
        assert_eq!(
            message.body(),
            Some(case.published_body().as_str()),
            "{}: raw delivery",
            case.name
        );
    }
    !received.is_empty()
}

/// The messages of `shared/tests/fixtures/messages.json` (one per kind), as consumers read them.
fn messages() -> Vec<(String, serde_json::Value, rollcall::Message)> {
    let all: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&fixture_text("messages.json")).expect("messages.json reads");
    all.into_iter()
        .map(|(name, mut json)| {
            // The record leaves out the original delivery, which the filters here do not read.
            json["data"]["original"] = serde_json::json!({"payload": {}});
            let message = rollcall::Message::from_body(&json.to_string())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, json, message)
        })
        .collect()
}

#[test]
fn a_rollcall_message_is_matched_on_its_attributes_or_its_body() {
    let wix =
        FilterPolicy::parse(r#"{"source": [{"prefix": "/wix/"}]}"#, Scope::Attributes).unwrap();
    let wix_in_body =
        FilterPolicy::parse(r#"{"source": [{"prefix": "/wix/"}]}"#, Scope::Body).unwrap();
    let going = r#"{"data": {"participation": {"status": ["going"]}}}"#;
    let going = FilterPolicy::parse(going, Scope::Body).unwrap();
    let (mut wix_count, mut going_count) = (0, 0);
    for (name, json, message) in messages() {
        let is_wix = name.starts_with("wix-");
        let is_going = json["data"]["participation"]["status"] == "going";
        assert_eq!(wix.matches(&message), is_wix, "{name}");
        assert_eq!(wix_in_body.matches(&message), is_wix, "{name}");
        assert_eq!(going.matches(&message), is_going, "{name}");
        wix_count += usize::from(is_wix);
        going_count += usize::from(is_going);
    }
    assert!(
        wix_count > 0 && going_count > 0,
        "the fixtures cover both answers"
    );
    // Attribute scope sees only `type`, `source` and `subject`, never the body.
    let body_key =
        FilterPolicy::parse(r#"{"data": [{"exists": true}]}"#, Scope::Attributes).unwrap();
    assert!(messages().iter().all(|(_, _, m)| !body_key.matches(m)));
}
