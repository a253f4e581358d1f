//! Per-delivery CPU, per kind: the whole pipeline (`Pipeline::ingest`: authenticate, parse, normalize, and the
//! serialization of the message to its queue body, done by a no-op queue) against the bare parse of the same
//! content (`serde_json::from_slice::<serde_json::Value>`): the body for Omerlo and Mighty Networks, the token's
//! decoded claims for Wix (a JWT is not JSON). For Wix also a bare RS256 signature check of the token and the
//! bare parse of every JSON layer the claims nest (`bare_parse_nested`). The work itself is
//! `rollcall_testkit::per_delivery`, which `measure instructions` counts too.
//!
//! Groups are named after the kind's binary; functions `pipeline`, `bare_parse`, `bare_parse_nested` and
//! `rs256_verify`.
//! `measure criterion` turns the results into the table of `BENCHMARKS.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use rollcall::Kind;
use rollcall_testkit::deliveries::WixSigner;
use rollcall_testkit::per_delivery::{self, Sample};
use std::hint::black_box;
use std::time::Duration;

fn pipeline(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let pipeline = per_delivery::pipeline();
    let signer = WixSigner::new();
    for kind in Kind::ALL {
        let sample = Sample::new(kind, &signer);
        runtime.block_on(per_delivery::ingest(&pipeline, &sample));
        let mut group = c.benchmark_group(kind.binary());
        group.bench_function("pipeline", |b| {
            b.to_async(&runtime)
                .iter(|| per_delivery::ingest(&pipeline, &sample))
        });
        group.bench_function("bare_parse", |b| b.iter(|| black_box(sample.bare_parse())));
        if sample.rs256_verify().is_some() {
            group.bench_function("bare_parse_nested", |b| {
                b.iter(|| black_box(sample.bare_parse_nested()))
            });
            group.bench_function("rs256_verify", |b| {
                b.iter(|| assert_eq!(sample.rs256_verify(), Some(true)))
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
