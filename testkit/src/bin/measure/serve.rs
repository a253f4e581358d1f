//! `measure serve`: `rollcall serve` (SQLite queue) against `floor` (bare axum) under the same closed-loop load,
//! and `rollcall serve` again with four subscriptions ([`SUBSCRIPTIONS`]: three filtered) beside the one.

use crate::Result;
use rollcall::Kind;
use rollcall_testkit::deliveries::{self, WixSigner};
use rollcall_testkit::load::{self, Plan, Prepared};
use rollcall_testkit::runtime_api::binary_path_in;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

async fn wait_listening(addr: SocketAddr) -> Result<()> {
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("nothing listens on {addr} after 10 s"))
}

/// `count` distinct deliveries, kinds in turn, prepared on every core (Wix tokens are signed one by one).
fn prepare(count: usize, first_seq: u64) -> Vec<Prepared> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = count.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let signer = WixSigner::new();
                    (t * chunk..((t + 1) * chunk).min(count))
                        .map(|i| {
                            let kind = Kind::ALL[i % Kind::ALL.len()];
                            let body = deliveries::unique_body(kind, first_seq + i as u64, &signer);
                            Prepared {
                                path: kind.route(),
                                headers: deliveries::headers(kind.provider(), &body),
                                body: body.into(),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a preparing thread"))
            .collect()
    })
}

struct Server {
    child: tokio::process::Child,
}

impl Server {
    fn start(path: &Path, args: &[String], env: &[(&str, String)]) -> Result<Server> {
        let mut command = tokio::process::Command::new(path);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        Ok(Server { child })
    }

    /// SIGTERM (a graceful stop), then at most 10 s, then SIGKILL.
    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn report_row(name: &str, report: &load::Report) -> String {
    format!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
        report.throughput(),
        report.percentile_ms(50.0),
        report.percentile_ms(99.0),
        report.ok,
        report.not_ok,
        report.failed
    )
}

/// The subscriptions the second `rollcall serve` run adds beside `default`: (name, filter policy, scope), two
/// of attribute scope and one of body scope, as a stack with a CRM, a mailing tool and analytics might have.
const SUBSCRIPTIONS: [(&str, &str, &str); 3] = [
    ("wix", r#"{"type": [{"prefix": "com.wix."}]}"#, "attributes"),
    (
        "not-omerlo",
        r#"{"source": [{"anything-but": {"prefix": "/omerlo/"}}]}"#,
        "attributes",
    ),
    (
        "going",
        r#"{"data": {"participation": {"status": ["going"]}}}"#,
        "body",
    ),
];

/// One `rollcall serve` run on a fresh queue file with `subscriptions` added beside `default`: the warm-up's and
/// the measured load's reports, and how many messages `default` holds after.
async fn serve_run(
    rollcall: &Path,
    subscriptions: &[(&str, &str, &str)],
    warming: Arc<Vec<Prepared>>,
    measured: Arc<Vec<Prepared>>,
    plan: impl Fn(bool) -> Plan,
) -> Result<(load::Report, load::Report, u64)> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let queue = temp.path().join("queue.db");
    for (name, policy, scope) in subscriptions {
        let file = temp.path().join(format!("{name}.json"));
        std::fs::write(&file, policy).map_err(|e| e.to_string())?;
        let added = std::process::Command::new(rollcall)
            .args(["subscription", "add", name, "--scope", scope, "--filter"])
            .arg(&file)
            .arg("--queue")
            .arg(&queue)
            .output()
            .map_err(|e| format!("rollcall subscription add: {e}"))?;
        if !added.status.success() {
            return Err(format!(
                "rollcall subscription add {name}: {}",
                String::from_utf8_lossy(&added.stderr).trim()
            ));
        }
    }
    let addr = free_port()?;
    let mut env = deliveries::secret_env();
    env.push(("ROLLCALL_LOG", "info".into()));
    let server = Server::start(
        rollcall,
        &[
            "serve".into(),
            "--addr".into(),
            addr.to_string(),
            "--queue".into(),
            queue.display().to_string(),
        ],
        &env,
    )?;
    wait_listening(addr).await?;
    let warm = load::run(addr, warming, plan(true)).await;
    let report = load::run(addr, measured, plan(false)).await;
    server.stop().await;
    let stats = std::process::Command::new(rollcall)
        .args(["queue", "stats", "--queue"])
        .arg(&queue)
        .output()
        .map_err(|e| format!("rollcall queue stats: {e}"))?;
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap_or_default();
    Ok((warm, report, stats["messages"].as_u64().unwrap_or(0)))
}

/// Prints `rollcall serve` against the floor under the same load, and checks that every answered delivery was
/// stored.
pub(crate) async fn run(
    dir: &Path,
    concurrency: usize,
    seconds: u64,
    warmup: u64,
    count: usize,
) -> Result<()> {
    let warmup_count = count / 10;
    eprintln!("serve: preparing {count} distinct signed deliveries");
    let started = Instant::now();
    let measured = Arc::new(prepare(count, 1 << 48));
    let warming = Arc::new(prepare(warmup_count, 1 << 47));
    eprintln!(
        "serve: prepared in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let plan = |secs: u64, cycle: bool| Plan {
        concurrency,
        duration: Duration::from_secs(secs),
        cycle,
    };

    // The floor: same requests, answered 200 without work (repeats are harmless here).
    let addr = free_port()?;
    let floor = Server::start(&binary_path_in(dir, "floor"), &[addr.to_string()], &[])?;
    wait_listening(addr).await?;
    load::run(addr, Arc::clone(&warming), plan(warmup, true)).await;
    let floor_report = load::run(addr, Arc::clone(&measured), plan(seconds, true)).await;
    floor.stop().await;

    // rollcall serve with the embedded SQLite queue, every delivery distinct so each is stored: with its one
    // subscription, then with four on a fresh file (the same deliveries, so the same work but the fan-out).
    let rollcall = binary_path_in(dir, "rollcall");
    let serve_plan = |warming: bool| plan(if warming { warmup } else { seconds }, false);
    let (warm, serve_report, stored) = serve_run(
        &rollcall,
        &[],
        Arc::clone(&warming),
        Arc::clone(&measured),
        serve_plan,
    )
    .await?;
    let answered = warm.ok + serve_report.ok;
    let (warm4, serve4, stored4) =
        serve_run(&rollcall, &SUBSCRIPTIONS, warming, measured, serve_plan).await?;
    let answered4 = warm4.ok + serve4.ok;

    println!(
        "### `rollcall serve` (SQLite queue) vs the HTTP floor: {concurrency} connections, {seconds} s after {warmup} s warm-up\n"
    );
    println!("| server | deliveries/s | p50 (ms) | p99 (ms) | 2xx | other | failed |");
    println!("| --- | --: | --: | --: | --: | --: | --: |");
    println!("{}", report_row("floor (bare axum, 200)", &floor_report));
    println!("{}", report_row("rollcall serve", &serve_report));
    println!(
        "{}",
        report_row("rollcall serve, 4 subscriptions (3 filtered)", &serve4)
    );
    let throughput_ratio = serve_report.throughput() / floor_report.throughput();
    let p99 = serve_report.percentile_ms(99.0);
    println!(
        "\nThroughput ratio serve/floor: **{throughput_ratio:.2}**; p99 ratio serve/floor: **{:.2}**.",
        p99 / floor_report.percentile_ms(99.0)
    );
    println!(
        "Goal ≥ 5,000 deliveries/s with p99 < 20 ms: **{}** ({:.0}/s, p99 {p99:.2} ms).",
        if serve_report.throughput() >= 5000.0 && p99 < 20.0 {
            "met"
        } else {
            "missed"
        },
        serve_report.throughput()
    );
    println!(
        "Durability check: {answered} deliveries answered 2xx (warm-up included), {stored} messages in the queue file{}.",
        if stored == answered {
            " (every one stored)"
        } else {
            " (MISMATCH)"
        }
    );
    let ratio4 = serve4.throughput() / serve_report.throughput();
    let p99_4 = serve4.percentile_ms(99.0);
    println!(
        "4 subscriptions (filters: {}) against 1: throughput **{ratio4:.2}×**, p99 {p99_4:.2} ms. Goal ≥ 0.8× with \
         p99 < 20 ms: **{}**. Durability check: {answered4} answered 2xx, {stored4} messages for `default`{}.",
        SUBSCRIPTIONS
            .iter()
            .map(|(_, policy, scope)| format!("`{policy}` ({scope})"))
            .collect::<Vec<_>>()
            .join(", "),
        if ratio4 >= 0.8 && p99_4 < 20.0 {
            "met"
        } else {
            "missed"
        },
        if stored4 == answered4 {
            " (every one stored)"
        } else {
            " (MISMATCH)"
        }
    );
    if serve_report.exhausted || serve4.exhausted {
        println!(
            "The {count} prepared deliveries ran out before {seconds} s: throughput is over the time they took."
        );
    }
    if let Some(error) = serve_report
        .sample_error
        .as_ref()
        .or(serve4.sample_error.as_ref())
    {
        println!("A non-2xx answer: `{error}`");
    }
    println!();
    Ok(())
}
