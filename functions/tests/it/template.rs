//! The SAM template, the binaries and the kinds registry agree one for one: each kind has its function (logical
//! id, `Binary`, route, its provider's secret and no other), and each function in the template is a kind or the
//! reference consumer.

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
fn template_functions_match_the_registry() {
    let mut functions = functions();
    for kind in Kind::ALL {
        let id = kind.function_logical_id();
        let block = functions
            .remove(&id)
            .unwrap_or_else(|| panic!("template has no {id}"));
        assert_eq!(
            value(&block, "Binary:"),
            Some(kind.binary().as_str()),
            "{id}"
        );
        assert_eq!(value(&block, "Path:"), Some(kind.route().as_str()), "{id}");
        assert_eq!(value(&block, "Method:"), Some("POST"), "{id}");
        for provider in Provider::ALL {
            let has_secret = block.contains(&format!("{}:", provider.secret_var()));
            assert_eq!(
                has_secret,
                provider == kind.provider(),
                "{id} and {}",
                provider.secret_var()
            );
        }
    }
    let rest: Vec<&String> = functions.keys().collect();
    assert_eq!(rest, ["ConsumerFunction"], "functions that are no kind");
    assert_eq!(
        value(&functions["ConsumerFunction"], "Binary:"),
        Some("consumer")
    );
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
fn every_queue_pins_the_message_size_rollcall_checks() {
    let queues: Vec<(String, String)> = template_blocks()
        .into_iter()
        .filter(|(_, block)| block.contains("Type: AWS::SQS::Queue"))
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
