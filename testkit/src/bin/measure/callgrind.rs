//! Instruction counts under `valgrind --tool=callgrind`, for `instructions` and `profile`.

use crate::Result;
use rollcall::Kind;
use rollcall_testkit::runtime_api::binary_path_in;
use std::path::Path;
use std::process::Stdio;

/// Instructions `command` runs under callgrind (its standard output discarded); a failure of the program is an
/// error when `must_succeed`.
pub(crate) fn callgrind(
    mut command: std::process::Command,
    what: &str,
    must_succeed: bool,
) -> Result<u64> {
    let output = command
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("valgrind (apt install valgrind): {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if must_succeed && !output.status.success() {
        return Err(format!("{what} under callgrind: {stderr}"));
    }
    stderr
        .lines()
        .find_map(|line| {
            line.split_once("Collected :")
                .map(|(_, n)| n.trim().to_owned())
        })
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            format!("{what} under callgrind: no instruction count in its output: {stderr}")
        })
}

/// A `valgrind --tool=callgrind` command for `program`.
pub(crate) fn valgrind(program: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("valgrind");
    command
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(program);
    command
}

/// Instructions callgrind counts for `ingest-loop KIND WORK COUNT`.
fn callgrind_instructions(dir: &Path, kind: Kind, work: &str, count: u64) -> Result<u64> {
    let mut command = valgrind(&binary_path_in(dir, "ingest-loop"));
    command.args([kind.binary(), work.to_owned(), count.to_string()]);
    callgrind(
        command,
        &format!("ingest-loop {} {work}", kind.binary()),
        true,
    )
}

/// Instructions of one delivery of `kind` through `work`: `deliveries` more minus `base`, so that set-up is not
/// counted.
pub(crate) fn per_delivery_instructions(
    dir: &Path,
    kind: Kind,
    work: &str,
    deliveries: u64,
    base: u64,
) -> Result<f64> {
    let few = callgrind_instructions(dir, kind, work, base)?;
    let many = callgrind_instructions(dir, kind, work, base + deliveries)?;
    Ok(many.saturating_sub(few) as f64 / deliveries as f64)
}
