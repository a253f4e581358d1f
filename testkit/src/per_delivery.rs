//! The per-delivery work of BENCHMARKS.md, shared by the criterion benchmarks (`benches/pipeline.rs`) and the
//! instruction counts of `measure instructions` (the `ingest-loop` binary under callgrind): the whole pipeline
//! on a kind's sample delivery with a queue that stores nothing, and its references, the bare parse of the same
//! content and, for Wix, the bare RS256 check of the token and the bare parse of every JSON layer it nests.

use crate::deliveries::{self, WixSigner};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use rollcall::config::Limits;
use rollcall::message::Message;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::{Published, Queue, QueueError};
use rollcall::{Accepted, Kind, Pipeline, Provider};
use std::hint::black_box;

/// A queue that stores nothing, but serializes each message to its queue body as every real queue does.
pub struct NoQueue;

impl Queue for NoQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        black_box(message.to_body()?);
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        black_box(record);
        Ok(())
    }
}

/// One kind's sample delivery, ready to be ingested or parsed again and again.
pub struct Sample {
    /// The kind.
    pub kind: Kind,
    /// The body as the provider sends it (a signed token for Wix).
    pub body: Vec<u8>,
    /// The headers carrying valid credentials.
    pub headers: http::HeaderMap,
    /// What the bare parse reads: the body, or for Wix the token's decoded claims (a JWT is not JSON).
    pub json: Vec<u8>,
    wix_key: DecodingKey,
}

impl Sample {
    /// The sample of `kind` (Wix: signed by `signer`).
    pub fn new(kind: Kind, signer: &WixSigner) -> Sample {
        let body = deliveries::body(kind, signer);
        let json = match kind.provider() {
            Provider::Wix => claims_json(&body),
            _ => body.clone(),
        };
        Sample {
            kind,
            headers: deliveries::header_map(kind.provider(), &body),
            body,
            json,
            wix_key: DecodingKey::from_rsa_pem(deliveries::wix_public_key().as_bytes())
                .expect("test public key"),
        }
    }

    /// The bare parse: `serde_json::from_slice::<serde_json::Value>` of [`Sample::json`].
    pub fn bare_parse(&self) -> serde_json::Value {
        serde_json::from_slice(black_box(&self.json)).expect("JSON")
    }

    /// The bare parse of every JSON layer of a Wix delivery: [`Sample::bare_parse`], then each string in it that
    /// holds a JSON object parsed in turn (the claim `data`, then its `data` and `identity`); `None` for other
    /// providers, whose bodies nest nothing.
    pub fn bare_parse_nested(&self) -> Option<serde_json::Value> {
        fn unnest(value: &mut serde_json::Value) {
            match value {
                serde_json::Value::String(text) if text.starts_with('{') => {
                    *value = serde_json::from_str(text).expect("nested JSON");
                    unnest(value);
                }
                serde_json::Value::Object(map) => map.values_mut().for_each(unnest),
                serde_json::Value::Array(items) => items.iter_mut().for_each(unnest),
                _ => {}
            }
        }
        if self.kind.provider() != Provider::Wix {
            return None;
        }
        let mut value = self.bare_parse();
        unnest(&mut value);
        Some(value)
    }

    /// The bare RS256 check of a Wix token (`jsonwebtoken::crypto::verify`); `None` for other providers.
    pub fn rs256_verify(&self) -> Option<bool> {
        if self.kind.provider() != Provider::Wix {
            return None;
        }
        let token = std::str::from_utf8(&self.body).expect("a token is text");
        let (message, signature) = token.rsplit_once('.').expect("a signed JWT");
        let valid = jsonwebtoken::crypto::verify(
            black_box(signature),
            black_box(message.as_bytes()),
            &self.wix_key,
            Algorithm::RS256,
        )
        .expect("verification runs");
        Some(valid)
    }
}

/// A pipeline that accepts every sample (the test secrets) and queues into [`NoQueue`].
pub fn pipeline() -> Pipeline<NoQueue> {
    Pipeline::new(deliveries::secrets(), NoQueue, Limits::default())
}

/// Ingests `sample` once; panics unless it is queued.
pub async fn ingest(pipeline: &Pipeline<NoQueue>, sample: &Sample) {
    let outcome = pipeline
        .ingest(
            sample.kind,
            black_box(&sample.headers),
            black_box(&sample.body),
        )
        .await;
    assert!(
        matches!(outcome, Ok(Accepted::Queued { .. })),
        "{:?}: the sample delivery is queued ({outcome:?})",
        sample.kind
    );
}

fn claims_json(token: &[u8]) -> Vec<u8> {
    let token = std::str::from_utf8(token).expect("a token is text");
    let payload = token.split('.').nth(1).expect("a JWT payload");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload")
}
