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
