//! Extreme but legal values (`rollcall_testkit::extreme`: edge times, numbers past every limit, odd and huge
//! strings, wrong types, `null`s) in the fields of every kind's fixture, mostly where its parser reads, through
//! `Pipeline::ingest` (authenticate, read, build the message, publish) into a queue in memory. Wix deliveries are
//! signed after the edits and the others carry their key, so each one is authentic and must be queued or
//! quarantined: never a panic, never an error answer. Every queued message validates against
//! `schema/message.schema.json` with format checks (Python `jsonschema` with `rfc3339-validator`), and the
//! unchanged fixtures map as `shared/tests/fixtures/messages.json` records (`rollcall_testkit::messages`;
//! `cargo xtask regenerate` writes it). `ROLLCALL_EXTREME_CASES` cases per kind, 200 by default;
//! `scripts/reliability` runs thousands.

use crate::common::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rollcall::config::Limits;
use rollcall::message::Message;
use rollcall::{Accepted, Kind, Pipeline};
use rollcall_testkit::extreme::{Fixture, cases_from_env, edits};
use rollcall_testkit::memory::MemoryQueue;
use rollcall_testkit::messages;
use serde_json::Value;
use std::cell::RefCell;
use std::io::Write;
use std::process::{Command, Stdio};

/// Cases per kind.
fn cases() -> u32 {
    cases_from_env("ROLLCALL_EXTREME_CASES", 200) as u32
}

/// A queued message and what made it: the kind and the edits of its fixture.
struct Queued {
    at: String,
    body: String,
}

/// What one delivery led to: the answer, the queued message bodies, the quarantine records.
type Outcome = (
    Result<Accepted, rollcall::Rejected>,
    Vec<String>,
    Vec<rollcall::quarantine::QuarantineRecord>,
);

/// Ingests one authentic body of `kind` into an empty queue in memory.
fn ingest(kind: Kind, body: &[u8]) -> Outcome {
    let pipeline = Pipeline::new(secrets(), MemoryQueue::new(), Limits::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let answer = runtime.block_on(pipeline.ingest(kind, &headers(kind.provider(), body), body));
    (
        answer,
        pipeline.queue().messages(),
        pipeline.queue().quarantined(),
    )
}

/// The property, `cases()` times per kind; the queued messages. Fails (with the smallest failing edits) on a
/// panic, an error answer, or a queue that does not hold exactly the one item the answer says.
fn run() -> Vec<Queued> {
    let signer = WixSigner::new();
    let mut queued = Vec::new();
    let mut quarantined = 0;
    for kind in Kind::ALL {
        let fixture = Fixture::new(kind, &signer);
        assert!(
            fixture.read_paths().len() >= 3,
            "{kind}: the probe found only {:?} read",
            fixture.read_paths()
        );
        let found = RefCell::new(Vec::new());
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&edits(&fixture), |edits| {
            let (answer, messages, records) = ingest(kind, &fixture.body(&edits, &signer));
            match answer {
                Ok(Accepted::Queued { .. }) => {
                    let [body] = messages.as_slice() else {
                        return Err(TestCaseError::fail(format!("queued: {messages:?}")));
                    };
                    proptest::prop_assert!(records.is_empty());
                    found.borrow_mut().push(Queued {
                        at: format!("{kind} {edits:?}"),
                        body: body.clone(),
                    });
                }
                Ok(Accepted::Quarantined { .. }) => {
                    proptest::prop_assert!(messages.is_empty() && records.len() == 1);
                }
                Err(rejected) => {
                    return Err(TestCaseError::fail(format!(
                        "answered {} {}: {rejected}",
                        rollcall::Answer::new(&Err(rejected.clone())).status,
                        rejected.code()
                    )));
                }
            }
            Ok(())
        });
        if let Err(failure) = result {
            panic!("{kind}: {failure}");
        }
        let found = found.into_inner();
        quarantined += cases() as usize - found.len().min(cases() as usize);
        queued.extend(found);
    }
    // Both outcomes are exercised: the edits are neither all harmless nor all fatal.
    assert!(
        queued.len() > Kind::ALL.len() * cases() as usize / 10 && quarantined > 0,
        "{} queued, about {quarantined} quarantined",
        queued.len()
    );
    queued
}

#[test]
fn extreme_values_in_every_field_are_queued_or_quarantined() {
    let queued = run();
    for message in &queued {
        Message::from_body(&message.body)
            .unwrap_or_else(|e| panic!("{}: the message does not read back: {e}", message.at));
    }
}

#[test]
#[ignore = "needs Python with jsonschema and rfc3339-validator (scripts/test installs them)"]
fn every_message_from_extreme_values_validates_with_format_checks() {
    let queued = run();
    // The format check itself: a year 0000 time must be refused, or a pass proves nothing.
    let mut year_zero: Value = serde_json::from_str(&queued[0].body).expect("a message");
    year_zero["time"] = "0000-12-31T10:00:00Z".into();
    let mut bodies = vec![year_zero.to_string()];
    bodies.extend(queued.iter().map(|q| q.body.clone()));
    let invalid = invalid_messages(&bodies);
    assert!(
        invalid.first().is_some_and(|(n, _)| *n == 0),
        "a time in year 0000 passed: formats are not checked ({invalid:?})"
    );
    let failures: Vec<String> = invalid
        .iter()
        .skip(1)
        .map(|(n, error)| format!("{}: {error}", queued[n - 1].at))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} messages are invalid, among them:\n{}",
        failures.len(),
        queued.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// Validates every body in one Python process, formats checked; the index and first error of each invalid one.
fn invalid_messages(bodies: &[String]) -> Vec<(usize, String)> {
    let script = "import json, sys, jsonschema, rfc3339_validator\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  checker = jsonschema.FormatChecker()\n\
                  assert 'date-time' in checker.checkers, 'date-time is not checked'\n\
                  validator = jsonschema.Draft202012Validator(schema, format_checker=checker)\n\
                  count = 0\n\
                  for n, line in enumerate(sys.stdin):\n\
                  \x20   count += 1\n\
                  \x20   error = jsonschema.exceptions.best_match(validator.iter_errors(json.loads(line)))\n\
                  \x20   if error is not None: print(json.dumps([n, error.json_path + ': ' + error.message[:300]]))\n\
                  print(json.dumps(count))\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(repo().join("schema/message.schema.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let all = bodies.to_vec();
    let writer = std::thread::spawn(move || {
        for body in &all {
            writeln!(stdin, "{body}").expect("python reads");
        }
    });
    let out = child.wait_with_output().expect("python ends");
    writer.join().expect("all written");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON from the script"))
        .collect();
    assert_eq!(lines.pop(), Some(bodies.len().into()), "every line read");
    lines
        .into_iter()
        .map(|l| {
            let (n, error) = (l[0].as_u64().unwrap_or(u64::MAX), l[1].to_string());
            (n as usize, error)
        })
        .collect()
}

#[test]
fn unchanged_fixtures_map_as_recorded() {
    let path = repo().join("shared/tests/fixtures/messages.json");
    let signer = WixSigner::new();
    let made = messages::record();
    let recorded: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .expect("shared/tests/fixtures/messages.json: run `cargo xtask regenerate`");
    for kind in Kind::ALL {
        let name = kind.binary();
        assert_eq!(
            made.get(&name),
            recorded.get(&name),
            "{kind} maps otherwise than recorded"
        );
        // The body the edits start from is the fixture, and it takes the pipeline to the same message.
        let fixture = Fixture::new(kind, &signer);
        let body = fixture.body(&[], &signer);
        assert_eq!(
            messages::at_epoch(kind, &body),
            made[&name],
            "{kind}: the unedited body"
        );
        let (answer, messages, _) = ingest(kind, &body);
        assert!(
            matches!(answer, Ok(Accepted::Queued { .. })),
            "{kind}: {answer:?}"
        );
        let [queued] = messages.try_into().expect("one message");
        let mut queued: Value = serde_json::from_str(&queued).expect("JSON");
        if let Some(data) = queued["data"].as_object_mut() {
            data.remove("original");
        }
        if made[&name]["time"] == "1970-01-01T00:00:00Z" {
            // No time from the provider: the pipeline's is the time of receipt.
            queued["time"] = made[&name]["time"].clone();
        }
        assert_eq!(queued, made[&name], "{kind}: through the pipeline");
    }
}
