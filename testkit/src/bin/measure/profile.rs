//! `measure profile`: one row of `scripts/bench-profiles` for a build.

use crate::Result;
use crate::callgrind::{callgrind, per_delivery_instructions, valgrind};
use crate::queues::{Via, function_env};
use crate::report::mib;
use crate::sizes::zipped_size;
use rollcall::Kind;
use rollcall_testkit::runtime_api::{binary_path_in, lambda_env};
use std::path::Path;

/// Prints the `scripts/bench-profiles` row of the build in `dir`.
pub(crate) fn run(dir: &Path, label: &str) -> Result<()> {
    let kind = Kind::OmerloParticipantCreated;
    let binary = binary_path_in(dir, &kind.binary());
    let size = std::fs::metadata(&binary)
        .map_err(|e| format!("{}: {e}", binary.display()))?
        .len();
    // Nothing listens on port 9: the function stops at its first Runtime API call.
    let mut init = valgrind(&binary);
    init.env_clear()
        .envs(lambda_env("127.0.0.1:9", &kind.binary()))
        .envs(function_env(None, Via::Sqs))
        .envs([
            ("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q.fifo"),
            (
                "QUARANTINE_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/1/q",
            ),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ]);
    let init = callgrind(init, &kind.binary(), false)?;
    let m = |n: f64| format!("{:.3} M", n / 1e6);
    let delivery = |kind: Kind| -> Result<String> {
        if !binary_path_in(dir, "ingest-loop").exists() {
            return Ok("n/a".into());
        }
        per_delivery_instructions(dir, kind, "pipeline", 200, 20).map(m)
    };
    println!(
        "| {label} | {:.2} | {:.2} | {} | {} | {} |",
        mib(size),
        mib(zipped_size(&binary)?),
        m(init as f64),
        delivery(Kind::OmerloParticipantCreated)?,
        delivery(Kind::WixParticipationCreated)?,
    );
    Ok(())
}
