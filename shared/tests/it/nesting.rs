//! A delivery nested deeper than 64 levels is quarantined the same way for every provider: in a field Rollcall
//! reads or in one it only keeps in `original`, and for Omerlo whatever the order of its keys.

use crate::common::*;
use rollcall::{Kind, Provider};
use serde_json::{Value, json};

/// `[[…[1]…]]`, `depth` arrays deep.
fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// The body of `kind` with `extra` (JSON text) as the member `deep` of the delivery's `data` and, for Omerlo and
/// Mighty Networks, as a top-level member too: before the other keys (`first`, the canonical order) or after.
fn body_with(kind: Kind, extra: &str, first: bool) -> Vec<u8> {
    let mut value = rollcall_testkit::deliveries::kind_fixture(kind);
    value["data"]["deep"] = json!("PLACEHOLDER");
    let text = match (kind.provider(), first) {
        (Provider::Wix, _) => return wix_body(&value, extra),
        (_, true) => format!(r#"{{"a":{extra},{}"#, &value.to_string()[1..]),
        (_, false) => {
            let text = value.to_string();
            format!(r#"{},"zz":{extra}}}"#, &text[..text.len() - 1])
        }
    };
    text.replace(r#""PLACEHOLDER""#, extra).into_bytes()
}

fn wix_body(value: &Value, extra: &str) -> Vec<u8> {
    // The delivery's `data` is a JSON string inside the `data` claim: put the deep value in as text.
    let mut claims = wix_claims(value);
    let data = claims["data"].as_str().unwrap().to_owned();
    let mut delivery: Value = serde_json::from_str(&data).unwrap();
    let inner = delivery["data"]
        .as_str()
        .unwrap()
        .replace(r#""PLACEHOLDER""#, extra);
    delivery["data"] = Value::String(inner);
    claims["data"] = Value::String(delivery.to_string());
    sign(&claims, "wix-test-key.pem").into_bytes()
}

#[tokio::test]
async fn deep_nesting_is_quarantined_for_every_provider() {
    let (_temp, pipeline) = pipeline();
    for kind in Kind::ALL {
        for first in [true, false] {
            for (depth, quarantined) in [(60, false), (10_000, true)] {
                let body = body_with(kind, &nested(depth), first);
                let answer = post_signed(&pipeline, kind, &body).await;
                let answer: Value = serde_json::from_str(&answer.body).unwrap();
                let at = format!("{kind}, depth {depth}, first {first}");
                if quarantined {
                    assert_eq!(answer["status"], "quarantined", "{at}: {answer}");
                    assert_eq!(
                        answer["reason"], "the delivery is nested deeper than 64 levels",
                        "{at}"
                    );
                } else {
                    assert_eq!(answer["status"], "queued", "{at}: {answer}");
                }
            }
        }
    }
}
