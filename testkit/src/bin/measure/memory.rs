//! `measure memory`: peak RSS after N invocations, against `hello`.

use crate::Result;
use crate::queues::{Via, function_env, queues};
use crate::report::{mib, verdict};
use rollcall::Kind;
use rollcall_testkit::deliveries::{self, WixSigner};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi, binary_path_in};
use std::path::Path;
use std::process::Stdio;

/// Memory of a process, bytes, from `/proc/<pid>/status`.
struct Rss {
    /// Peak resident set (`VmHWM`).
    peak: u64,
    /// Resident now, anonymous memory (heap, stacks): `RssAnon`.
    anon: u64,
    /// Resident now, mapped files (the binary and its libraries): `RssFile`.
    file: u64,
}

fn rss(pid: u32) -> Result<Rss> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok(Rss {
        peak: field("VmHWM:")?,
        anon: field("RssAnon:")?,
        file: field("RssFile:")?,
    })
}

async fn peak_rss(
    dir: &Path,
    binary: &str,
    env: &[(&str, String)],
    events: &[Vec<u8>],
) -> Result<(Rss, usize)> {
    let api = RuntimeApi::start().await;
    let mut command = api.command(&binary_path_in(dir, binary), binary, env);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {binary}: {e}"))?;
    let pid = child.id().ok_or("no pid")?;
    let mut ok = 0;
    for event in events {
        match api.invoke(event).await {
            Outcome::Response(r) if r["statusCode"] == 200 || r.get("statusCode").is_none() => {
                ok += 1
            }
            other => {
                let _ = child.kill().await;
                return Err(format!("{binary}: {other:?}"));
            }
        }
    }
    let memory = rss(pid)?;
    let _ = child.kill().await;
    Ok((memory, ok))
}

/// Prints the peak RSS of one function per provider after `invocations` deliveries, against `hello`.
pub(crate) async fn run(dir: &Path, endpoint: Option<&str>, invocations: usize) -> Result<()> {
    if endpoint.is_none() {
        eprintln!("memory: no --endpoint: functions answer 503 (no queue)");
    }
    let signer = WixSigner::new();
    let kinds = [
        Kind::OmerloParticipantCreated,
        Kind::MightyNetworksRsvpCreated,
        Kind::WixParticipationCreated,
    ];
    println!("### Peak RSS over {invocations} invocations (VmHWM)\n");
    println!(
        "| binary | peak RSS (MiB) | hello peak RSS (MiB) | ratio (goal ≤ 1.5) | at the end: files / anonymous (MiB) | hello: files / anonymous (MiB) |"
    );
    println!("| --- | --: | --: | --: | --: | --: |");
    for (i, kind) in kinds.into_iter().enumerate() {
        eprintln!("memory: {}", kind.binary());
        // Fresh queues per function: moto's FIFO send slows down as a queue grows.
        let queues = match endpoint {
            Some(endpoint) => Some(queues(endpoint).await?),
            None => None,
        };
        let env = function_env(queues.as_ref(), Via::Sqs);
        let events: Vec<Vec<u8>> = (0..invocations as u64)
            .map(|n| {
                let body = deliveries::unique_body(kind, ((i as u64) << 32) + n, &signer);
                deliveries::api_gateway_event(kind, &body)
            })
            .collect();
        let (hello, _) = peak_rss(dir, "hello", &[], &events).await?;
        let (peak, ok) = peak_rss(dir, &kind.binary(), &env, &events).await?;
        let ratio = peak.peak as f64 / hello.peak as f64;
        println!(
            "| {} ({ok} answered 200) | {:.1} | {:.1} | **{ratio:.2}** ({}) | {:.1} / {:.1} | {:.1} / {:.1} |",
            kind.binary(),
            mib(peak.peak),
            mib(hello.peak),
            verdict(ratio, 1.5),
            mib(peak.file),
            mib(peak.anon),
            mib(hello.file),
            mib(hello.anon),
        );
    }
    println!();
    Ok(())
}
