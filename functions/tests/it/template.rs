//! The SAM template, the binaries and the registry: each binary is a kind or the reference consumer, and every
//! queue pins the message size Rollcall checks. Each kind's function, alarms and outputs are written from the
//! registry (`testkit/src/template.rs`), so `cargo xtask regenerate --check` pins them
//! (`xtask/tests/it/regenerate.rs`); `scripts/template-checks.py` checks what they mean (alarms, outputs, logs).

use crate::common::template_blocks;
use rollcall::Kind;
use rollcall_testkit::deliveries::repo;

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
