//! Helpers shared by the integration tests: the sample deliveries of the test kit, test secrets (with a rotated
//! key), signing with either test key, a throwaway SQLite queue.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rollcall::config::{Limits, Secrets};
use rollcall::queue::Queue;
use rollcall::queue::sqlite::{DEFAULT_DEDUP_WINDOW, SqliteQueue};
use rollcall::{Answer, Kind, Pipeline, Request, Route};
pub use rollcall_testkit::deliveries::{
    CALENDLY_KEY, MIGHTY_KEY, OMERLO_KEY, WixSigner, fixture, fixture_text, header_map as headers,
    repo, wix_claims, wix_public_key,
};
use serde_json::Value;
use std::path::PathBuf;

/// The secrets of the test kit, with the Omerlo key list rotating (`old-key` still accepted).
pub fn secrets() -> Secrets {
    let wix = wix_public_key();
    Secrets::from_lookup(move |var| match var {
        "OMERLO_API_KEY" => Some(format!("old-key,{OMERLO_KEY}")),
        "MIGHTY_NETWORKS_API_KEY" => Some(MIGHTY_KEY.to_owned()),
        "WIX_PUBLIC_KEY" => Some(wix.clone()),
        "CALENDLY_SIGNING_KEY" => Some(format!("old-key,{CALENDLY_KEY}")),
        _ => None,
    })
}

/// `claims` signed RS256 with the private key in `fixtures/<key_file>`.
pub fn sign(claims: &Value, key_file: &str) -> String {
    let pem = fixture_text(key_file);
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test private key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("signing")
}

/// A valid, signed body for `kind` from its fixture.
pub fn body(kind: Kind) -> Vec<u8> {
    rollcall_testkit::deliveries::body(kind, &WixSigner::new())
}

/// A queue file in a temporary folder, removed with it when dropped.
pub struct TempQueue {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn temp_queue() -> (TempQueue, SqliteQueue) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/queue.db");
    let queue = SqliteQueue::open(&path, DEFAULT_DEDUP_WINDOW).unwrap();
    (TempQueue { _dir: dir, path }, queue)
}

pub fn pipeline() -> (TempQueue, Pipeline<SqliteQueue>) {
    let (temp, queue) = temp_queue();
    (temp, Pipeline::new(secrets(), queue, Limits::default()))
}

/// POSTs `body` to `kind`'s route through `pipeline`, with `headers`.
pub async fn post_with<Q: Queue>(
    pipeline: &Pipeline<Q>,
    kind: Kind,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Answer {
    let request = Request {
        method: &http::Method::POST,
        path: &kind.route(),
        headers,
        body,
    };
    pipeline.handle(Route::Any, request).await
}

/// POSTs `body` to `kind`'s route through `pipeline`, with valid credentials for it (for Calendly, its
/// signature).
pub async fn post_signed<Q: Queue>(pipeline: &Pipeline<Q>, kind: Kind, body: &[u8]) -> Answer {
    post_with(pipeline, kind, &headers(kind.provider(), body), body).await
}
