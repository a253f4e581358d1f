//! Per-delivery CPU, per kind: the whole pipeline (`Pipeline::ingest`: authenticate, parse, normalize, and the
//! serialization of the message to its queue body, done by a no-op queue) against the bare parse of the same
//! content (`serde_json::from_slice::<serde_json::Value>`): the body for Omerlo and Mighty Networks, the token's
//! decoded claims for Wix (a JWT is not JSON). For Wix also a bare RS256 signature check of the token.
//!
//! Groups are named after the kind's binary; functions `pipeline`, `bare_parse` and `rs256_verify`.
//! `measure criterion` turns the results into the table of `BENCHMARKS.md`.

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey};
use rollcall::config::Limits;
use rollcall::message::Message;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::{Published, Queue, QueueError};
use rollcall::{Accepted, Kind, Pipeline, Provider};
use rollcall_testkit::deliveries::{self, WixSigner};
use std::hint::black_box;
use std::time::Duration;

/// A queue that stores nothing, but serializes each message to its queue body as every real queue does.
struct NoQueue;

impl Queue for NoQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        black_box(message.to_body());
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        black_box(record);
        Ok(())
    }
}

fn wix_claims_json(token: &[u8]) -> Vec<u8> {
    let token = std::str::from_utf8(token).expect("a token is text");
    let payload = token.split('.').nth(1).expect("a JWT payload");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload")
}

fn pipeline(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let pipeline = Pipeline::new(deliveries::secrets(), NoQueue, Limits::default());
    let signer = WixSigner::new();
    let wix_key = DecodingKey::from_rsa_pem(deliveries::wix_public_key().as_bytes())
        .expect("test public key");
    for kind in Kind::ALL {
        let body = deliveries::body(kind, &signer);
        let headers = deliveries::header_map(kind.provider());
        let outcome = runtime.block_on(pipeline.ingest(kind, &headers, &body));
        assert!(
            matches!(outcome, Ok(Accepted::Queued { .. })),
            "{kind:?}: the sample delivery is queued ({outcome:?})"
        );
        let mut group = c.benchmark_group(kind.binary());
        group.bench_function("pipeline", |b| {
            b.to_async(&runtime).iter(|| async {
                black_box(
                    pipeline
                        .ingest(kind, black_box(&headers), black_box(&body))
                        .await,
                )
            })
        });
        let parsed = match kind.provider() {
            Provider::Wix => wix_claims_json(&body),
            _ => body.clone(),
        };
        group.bench_function("bare_parse", |b| {
            b.iter(|| {
                black_box(
                    serde_json::from_slice::<serde_json::Value>(black_box(&parsed)).expect("JSON"),
                )
            })
        });
        if kind.provider() == Provider::Wix {
            let token = std::str::from_utf8(&body).expect("a token is text");
            let (message, signature) = token.rsplit_once('.').expect("a signed JWT");
            group.bench_function("rs256_verify", |b| {
                b.iter(|| {
                    let valid = jsonwebtoken::crypto::verify(
                        black_box(signature),
                        black_box(message.as_bytes()),
                        &wix_key,
                        Algorithm::RS256,
                    )
                    .expect("verification runs");
                    assert!(valid);
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = pipeline
}
criterion_main!(benches);
