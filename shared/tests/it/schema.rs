//! The committed JSON Schema names its id and draft, and every message Rollcall produces from the fixtures and
//! from `events/` validates against it with an independent validator (Python `jsonschema`). That the file is
//! the one the Rust types generate is `cargo xtask regenerate --check`'s job (`xtask/tests/it/regenerate.rs`);
//! `cargo xtask regenerate` writes it.

use crate::common::*;
use rollcall::message::{DATASCHEMA, Message};
use rollcall::{Kind, Provider};
use std::io::Write;
use std::process::{Command, Stdio};

fn committed_path() -> std::path::PathBuf {
    repo().join("schema/message.schema.json")
}

#[test]
fn the_committed_schema_names_its_id_and_draft() {
    let committed = std::fs::read_to_string(committed_path()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["$id"], DATASCHEMA);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

/// Messages from every fixture, plus variants that exercise the optional parts.
fn messages() -> Vec<String> {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let change = rollcall::provider::parse(kind, &body(kind)).unwrap();
        out.push(
            Message::build(kind, change, rollcall::message::UtcTime::now())
                .to_body()
                .unwrap()
                .into_string(),
        );
    }
    let mut deleted = fixture("wix-participation-deleted.json");
    deleted["data"]["deletedEvent"] = serde_json::json!({});
    let token = sign(&wix_claims(&deleted), "wix-test-key.pem");
    let kind = Kind::WixParticipationDeleted;
    let change = rollcall::provider::parse(kind, token.as_bytes()).unwrap();
    assert!(
        change.person.is_none(),
        "a deletion without the entity has no person"
    );
    out.push(
        Message::build(kind, change, rollcall::message::UtcTime::now())
            .to_body()
            .unwrap()
            .into_string(),
    );
    assert!(Provider::ALL.iter().all(|p| p.kinds().count() > 0));
    // And every valid delivery of events/ (file names without an expectation suffix).
    for entry in std::fs::read_dir(repo().join("events")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.matches('.').count() != 1 {
            continue;
        }
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let Some(kind) = event["rawPath"].as_str().and_then(Kind::from_route) else {
            continue;
        };
        let text = event["body"].as_str().unwrap();
        let body = if event["isBase64Encoded"] == true {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        } else {
            text.as_bytes().to_vec()
        };
        let change =
            rollcall::provider::parse(kind, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push(
            Message::build(kind, change, rollcall::message::UtcTime::now())
                .to_body()
                .unwrap()
                .into_string(),
        );
    }
    assert!(out.len() > 2 * Kind::ALL.len());
    // A kind added after this version: new `type` values are growth within v1.
    let mut future: serde_json::Value = serde_json::from_str(&out[0]).unwrap();
    future["type"] = "com.example.kind.added_later".into();
    out.push(future.to_string());
    out
}

#[test]
#[ignore = "needs Python with jsonschema (scripts/test installs it)"]
fn every_message_validates_with_an_independent_validator() {
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  jsonschema.Draft202012Validator.check_schema(schema)\n\
                  validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())\n\
                  count = 0\n\
                  for line in sys.stdin:\n    validator.validate(json.loads(line)); count += 1\n\
                  print(count)\n";
    let mut child = Command::new("python3")
        .args(["-c", script, committed_path().to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let messages = messages();
    let mut stdin = child.stdin.take().unwrap();
    for message in &messages {
        writeln!(stdin, "{message}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        messages.len().to_string()
    );
}
