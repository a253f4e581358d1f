//! Helpers shared by the integration tests: fixtures, Wix token signing, test secrets, a throwaway queue.
#![allow(dead_code)]

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rollcall::config::{Limits, Secrets};
use rollcall::queue::sqlite::{DEFAULT_DEDUP_WINDOW, SqliteQueue};
use rollcall::{Kind, Pipeline, Provider};
use serde_json::{Value, json};
use std::path::PathBuf;

pub const OMERLO_KEY: &str = "rollcall-dev-omerlo-key";
pub const MIGHTY_KEY: &str = "rollcall-dev-mighty-networks-key";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn fixture_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name)).expect("fixture is JSON")
}

pub fn wix_public_key() -> String {
    std::fs::read_to_string(repo().join("events/wix-test-key.pub.pem")).expect("test public key")
}

pub fn secrets() -> Secrets {
    let wix = wix_public_key();
    Secrets::from_lookup(move |var| match var {
        "OMERLO_API_KEY" => Some(format!("old-key,{OMERLO_KEY}")),
        "MIGHTY_NETWORKS_API_KEY" => Some(MIGHTY_KEY.to_owned()),
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        _ => None,
    })
}

/// Claims of a Wix delivery: the decoded delivery with `data` and `identity` encoded as JSON strings again.
pub fn wix_claims(delivery: &Value) -> Value {
    let mut outer = delivery.clone();
    for key in ["data", "identity"] {
        if let Some(inner) = outer.get(key).cloned() {
            outer[key] = Value::String(inner.to_string());
        }
    }
    json!({"data": outer.to_string(), "iat": 1_767_225_600})
}

pub fn sign(claims: &Value, key_file: &str) -> String {
    let pem = fixture_text(key_file);
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("signing")
}

/// A valid, signed body for `kind` from its fixture.
pub fn body(kind: Kind) -> Vec<u8> {
    let name = format!("{}.json", kind.binary());
    match kind.provider() {
        Provider::Wix => sign(&wix_claims(&fixture(&name)), "wix-test-key.pem").into_bytes(),
        _ => fixture_text(&name).into_bytes(),
    }
}

/// Headers carrying valid credentials for `provider`.
pub fn headers(provider: Provider) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    match provider {
        Provider::Omerlo => {
            headers.insert("x-api-key", OMERLO_KEY.parse().unwrap());
            headers.insert("content-type", "application/json".parse().unwrap());
        }
        Provider::MightyNetworks => {
            headers.insert(
                "authorization",
                format!("Bearer {MIGHTY_KEY}").parse().unwrap(),
            );
            headers.insert("content-type", "application/json".parse().unwrap());
        }
        Provider::Wix => {
            headers.insert("content-type", "text/plain".parse().unwrap());
        }
    }
    headers
}

pub struct TempQueue {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn temp_queue() -> (TempQueue, SqliteQueue) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/queue.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    (TempQueue { dir, path }, queue)
}

pub fn pipeline() -> (TempQueue, Pipeline<SqliteQueue>) {
    let (temp, queue) = temp_queue();
    (temp, Pipeline::new(secrets(), queue, Limits::default()))
}
