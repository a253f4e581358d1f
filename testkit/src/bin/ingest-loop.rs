//! `ingest-loop KIND WORK COUNT`: does one piece of per-delivery work (`pipeline`, `bare-parse`, and for Wix
//! `bare-parse-nested` or `rs256-verify`, see `rollcall_testkit::per_delivery`) COUNT times on the sample
//! delivery of the kind named by its binary (e.g. `omerlo-participant-created`). `measure instructions` runs it
//! under callgrind at two counts and takes the difference, so that set-up is not counted.

use rollcall::Kind;
use rollcall_testkit::deliveries::WixSigner;
use rollcall_testkit::per_delivery::{self, Sample};
use std::hint::black_box;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, work, count] = args.as_slice() else {
        eprintln!(
            "usage: ingest-loop KIND pipeline|bare-parse|bare-parse-nested|rs256-verify COUNT"
        );
        return ExitCode::FAILURE;
    };
    let (Some(kind), Ok(count)) = (Kind::from_binary(kind), count.parse::<u64>()) else {
        eprintln!("unknown kind `{kind}` or count `{count}`");
        return ExitCode::FAILURE;
    };
    let sample = Sample::new(kind, &WixSigner::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let pipeline = per_delivery::pipeline();
    for _ in 0..count {
        match work.as_str() {
            "pipeline" => runtime.block_on(per_delivery::ingest(&pipeline, &sample)),
            "bare-parse" => drop(black_box(sample.bare_parse())),
            "bare-parse-nested" if sample.bare_parse_nested().is_some() => {}
            "rs256-verify" if sample.rs256_verify() == Some(true) => {}
            _ => {
                eprintln!("`{work}` is not a work of {}", kind.binary());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
