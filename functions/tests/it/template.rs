//! The SAM template, the binaries and the registry: each binary is a kind or the reference consumer, and every
//! queue pins the message size Rollcall checks. Each kind's function, alarms and outputs are written from the
//! registry (`testkit/src/template.rs`), so `cargo xtask regenerate --check` pins them
//! (`xtask/tests/it/regenerate.rs`); `scripts/template-checks.py` checks what they mean (alarms, outputs, logs).

use crate::common::template_blocks;
use rollcall::{Kind, Provider};
use rollcall_testkit::deliveries::repo;
use std::collections::BTreeMap;

/// Each top-level resource of the template that is a function: logical id → its block of lines.
fn functions() -> BTreeMap<String, String> {
    template_blocks()
        .into_iter()
        .filter(|(_, block)| block.contains("Type: AWS::Serverless::Function"))
        .collect()
}

fn value<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block
        .lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(str::trim)
}

#[test]
fn every_binary_is_a_kind_or_the_consumer() {
    let mut binaries: Vec<String> = std::fs::read_dir(repo().join("functions/src/bin"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    binaries.sort();
    let mut expected: Vec<String> = Kind::ALL.iter().map(|k| k.binary()).collect();
    expected.push("consumer".into());
    expected.sort();
    assert_eq!(binaries, expected);
}

#[test]
fn the_smoke_sources_are_one_per_provider_of_the_smoke_tenant() {
    let sources = rollcall_testkit::template::smoke_sources().unwrap();
    assert_eq!(sources.len(), Provider::ALL.len(), "{sources:?}");
    let suffix = format!("/{}", rollcall::smoke::TENANT);
    for source in &sources {
        assert!(source.ends_with(&suffix), "{source}");
    }
    // Each in the filters that exclude them and in the one that takes only them.
    let template = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    let consumer = std::fs::read_to_string(repo().join("consumer.yaml")).unwrap();
    let excluding = rollcall_testkit::template::excluding_smoke(&sources);
    assert!(template.contains(&format!("FilterPolicy: {excluding}\n")));
    assert!(consumer.contains(&format!("Default: '{excluding}'\n")));
    let only = rollcall_testkit::template::only_smoke(&sources);
    assert!(template.contains(&format!("FilterPolicy: {only}\n")));
}

#[test]
fn every_function_publishes_to_the_topic_once_its_subscription_exists() {
    for kind in Kind::ALL {
        let id = kind.function_logical_id();
        let block = &functions()[&id];
        assert_eq!(
            value(block, "DependsOn:"),
            Some("[MessagesSubscription, MessagesQueuePolicy]"),
            "{id}: an update could publish to a topic with no subscriber yet"
        );
        assert!(
            block.contains("Action: sns:Publish\n              Resource: !Ref MessagesTopic\n"),
            "{id}"
        );
        assert!(
            block.contains("Resource: !GetAtt MessagesTopicKey.Arn"),
            "{id}"
        );
        assert!(
            !block.contains("MessagesQueue.Arn"),
            "{id}: sends to the topic, not the queue"
        );
    }
}

#[test]
fn every_queue_pins_the_message_size_rollcall_checks() {
    let queues: Vec<(String, String)> = template_blocks()
        .into_iter()
        .filter(|(_, block)| block.contains("Type: AWS::SQS::Queue\n"))
        .collect();
    assert!(queues.len() >= 3, "{queues:?}");
    for (id, block) in queues {
        assert_eq!(
            value(&block, "MaximumMessageSize:"),
            Some(rollcall::sqs_text::MAX_MESSAGE_BYTES.to_string().as_str()),
            "{id}: MaximumMessageSize must be what Rollcall checks bodies against"
        );
    }
}

/// The three filter examples of docs/deploying.md ("Adding a consumer"), with the smoke sources of the default
/// put in: SNS's rules accept each (the local engine enforces them), and each takes exactly what its row says of
/// every kind's recorded message, and no smoke message.
#[test]
fn the_consumer_filter_examples_take_what_the_guide_says() {
    use rollcall::filter::{AttributeValue, FilterPolicy, Scope};
    let guide = std::fs::read_to_string(repo().join("docs/deploying.md")).unwrap();
    let sources = rollcall_testkit::template::smoke_sources().unwrap();
    let quoted: Vec<String> = sources.iter().map(|s| format!("\"{s}\"")).collect();
    let examples: Vec<FilterPolicy> = guide
        .lines()
        .filter(|line| line.contains("<smoke sources>") && line.starts_with("| "))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let scope = Scope::parse(cells[1].trim_matches('`')).unwrap();
            let policy = cells[2]
                .trim_end_matches(" |")
                .trim_matches('`')
                .replace("<smoke sources>", &quoted.join(","));
            FilterPolicy::parse(&policy, scope).unwrap_or_else(|e| panic!("{policy}: {e}"))
        })
        .collect();
    assert_eq!(examples.len(), 3, "the guide's three filter examples");
    let record: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("shared/tests/fixtures/messages.json")).unwrap(),
    )
    .unwrap();
    let matches = |policy: &FilterPolicy, body: &serde_json::Value| {
        let text = |key: &str| body[key].as_str().unwrap().to_owned();
        let (kind, source, subject) = (text("type"), text("source"), text("subject"));
        match policy.scope() {
            Scope::Attributes => policy.matches_attributes(&[
                ("type", AttributeValue::String(&kind)),
                ("source", AttributeValue::String(&source)),
                ("subject", AttributeValue::String(&subject)),
            ]),
            Scope::Body => policy.matches_body(body),
        }
    };
    let mut taken = [0; 3];
    for (name, body) in &record {
        let kind = body["type"].as_str().unwrap();
        let going = body["data"]["participation"]["status"] == "going";
        let says = [
            kind.starts_with("com.wix."),
            kind.starts_with("com.wix.events.guest."),
            going,
        ];
        for (i, (policy, expected)) in examples.iter().zip(says).enumerate() {
            assert_eq!(matches(policy, body), expected, "example {i} on {name}");
            taken[i] += usize::from(expected);
            let mut smoke = body.clone();
            for source in &sources {
                smoke["source"] = serde_json::Value::String(source.clone());
                assert!(!matches(policy, &smoke), "example {i} takes smoke {name}");
            }
        }
    }
    assert!(
        taken.iter().all(|&n| n > 0),
        "each example takes some: {taken:?}"
    );
}
