//! `measure`: the figures of `BENCHMARKS.md`, each as a ratio against a reference measured in the same run on
//! the same machine. Every section prints a markdown table on standard output (progress goes to standard
//! error). Loopback only; every loop is bounded.
//!
//! - `coldstart`: per function binary against `hello`, alternating runs: init (process start to the first
//!   `GET …/invocation/next`) and first answer (process start to the first response posted), minus the queue's
//!   own round trip (a `SendMessage` of the same kind of message, on a fresh client, to the same SQS server:
//!   moto, or with `--stub-queue` a stand-in in this process that answers at once).
//! - `memory`: peak RSS (`VmHWM`) after N invocations, against `hello`.
//! - `sizes`: binary and zipped `bootstrap` sizes.
//! - `serve`: `rollcall serve` (SQLite queue) against `floor` (bare axum) under the same closed-loop load.
//! - `criterion`: the pipeline benchmarks' medians as ratios.
//! - `instructions`: the same per-delivery work counted in instructions under callgrind (`ingest-loop`).

use clap::{Parser, Subcommand};
use rollcall::Kind;
use rollcall::config::Limits;
use rollcall::queue::Queue;
use rollcall::queue::sqs::SqsQueue;
use rollcall_testkit::deliveries::{self, WixSigner};
use rollcall_testkit::load::{self, Plan, Prepared};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi, binary_path_in, lambda_env, profile_dir};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Rollcall's performance figures, as ratios against same-run references")]
struct Cli {
    /// Where the release binaries are (default: this executable's folder).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    /// An SQS-speaking server on loopback (moto) for the functions' queue.
    #[arg(long, global = true, env = "ROLLCALL_BENCH_AWS_ENDPOINT")]
    endpoint: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Issue 4's alternative for secrets: `secret-at-init` (fetches its key from Secrets Manager at cold start)
    /// against the shipped `omerlo-participant-created` (key in its environment): cold start and size.
    #[cfg(feature = "secrets-manager")]
    Secrets {
        /// Alternating rounds.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Cold start per function binary against hello.
    Coldstart(Coldstart),
    /// Peak RSS over N invocations against hello.
    Memory {
        /// Invocations per binary.
        #[arg(long, default_value_t = 1000)]
        invocations: usize,
    },
    /// Binary and zipped sizes.
    Sizes {
        /// More folders of binaries to list (such as an arm64 build), each as LABEL=DIR.
        #[arg(long = "also")]
        also: Vec<String>,
    },
    /// `rollcall serve` against the bare axum floor.
    Serve {
        /// Connections, one request in flight each.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Measured seconds per server.
        #[arg(long, default_value_t = 8)]
        seconds: u64,
        /// Warm-up seconds per server.
        #[arg(long, default_value_t = 1)]
        warmup: u64,
        /// Distinct deliveries prepared for `rollcall serve` (each is sent once).
        #[arg(long, default_value_t = 240_000)]
        deliveries: usize,
    },
    /// The pipeline benchmarks (criterion medians) as ratios.
    Criterion {
        /// Criterion's output folder.
        #[arg(long, default_value = "target/criterion")]
        results: PathBuf,
    },
    /// One row of `scripts/bench-profiles` for the build in `--dir`: `omerlo-participant-created`'s size, zipped
    /// size and instructions from `exec` to its first Runtime API call, and instructions per Omerlo and Wix
    /// delivery when `ingest-loop` is there too (callgrind).
    Profile {
        /// The variant's name, the row's first cell.
        #[arg(long)]
        label: String,
    },
    /// Instructions per delivery (callgrind over `ingest-loop`) as ratios: the same work as `criterion`, counted
    /// exactly and repeatably.
    Instructions {
        /// Deliveries counted (the difference between this many plus `base` and `base` alone).
        #[arg(long, default_value_t = 200)]
        deliveries: u64,
        /// Deliveries of the baseline run, whose count (set-up, first-use work) is subtracted.
        #[arg(long, default_value_t = 20)]
        base: u64,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let dir = cli.dir.clone().unwrap_or_else(profile_dir);
    let result = runtime.block_on(async {
        match cli.command {
            Command::Coldstart(options) => coldstart(&dir, cli.endpoint.as_deref(), &options).await,
            Command::Memory { invocations } => {
                memory(&dir, cli.endpoint.as_deref(), invocations).await
            }
            Command::Sizes { also } => sizes(&dir, &also),
            Command::Serve {
                concurrency,
                seconds,
                warmup,
                deliveries,
            } => serve(&dir, concurrency, seconds, warmup, deliveries).await,
            Command::Criterion { results } => criterion(&results),
            Command::Instructions { deliveries, base } => instructions(&dir, deliveries, base),
            Command::Profile { label } => profile(&dir, &label),
            #[cfg(feature = "secrets-manager")]
            Command::Secrets { rounds } => secrets(&dir, cli.endpoint.as_deref(), rounds).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

// ------------------------------------------------------------------------------------------------ statistics

fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn verdict(ratio: f64, goal: f64) -> &'static str {
    if ratio <= goal { "met" } else { "missed" }
}

// ------------------------------------------------------------------------------------------------ queues

struct Queues {
    endpoint: String,
    fifo: String,
    quarantine: String,
}

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    rollcall_testkit::aws::sqs(endpoint, Duration::from_secs(5))
}

async fn queues(endpoint: &str) -> Result<Queues> {
    let client = sqs_client(endpoint);
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let create = |name: String, fifo: bool| {
        let mut request = client.create_queue().queue_name(name);
        if fifo {
            request = request.attributes(
                aws_sdk_sqs::types::QueueAttributeName::FifoQueue,
                "true".to_string(),
            );
        }
        async move {
            request
                .send()
                .await
                .map_err(|e| format!("creating a queue at {endpoint}: {e:?}"))?
                .queue_url
                .ok_or_else(|| "no queue URL".to_string())
        }
    };
    Ok(Queues {
        endpoint: endpoint.to_owned(),
        fifo: create(format!("bench-{unique}.fifo"), true).await?,
        quarantine: create(format!("bench-q-{unique}"), false).await?,
    })
}

/// A stand-in for SQS on loopback that answers every request at once with a well-formed `SendMessage` result
/// (AWS JSON 1.0, as the SDK's SQS client speaks it), for `coldstart --stub-queue`. It stores nothing.
async fn queue_stand_in() -> Result<Queues> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("queue stand-in: {e}"))?;
    let endpoint = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| format!("queue stand-in: {e}"))?
    );
    let sent = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().fallback(move |_request: axum::body::Bytes| {
        let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            (
                [
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amzn-requestid", "stand-in"),
                ],
                format!(
                    r#"{{"MessageId":"00000000-0000-4000-8000-{n:012}","MD5OfMessageBody":"00000000000000000000000000000000","SequenceNumber":"{n:020}"}}"#
                ),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Queues {
        fifo: format!("{endpoint}/000000000000/stand-in.fifo"),
        quarantine: format!("{endpoint}/000000000000/stand-in-quarantine"),
        endpoint,
    })
}

fn function_env(queues: Option<&Queues>) -> Vec<(&'static str, String)> {
    let mut env = deliveries::secret_env();
    if let Some(q) = queues {
        env.extend([
            ("QUEUE_URL", q.fifo.clone()),
            ("QUARANTINE_QUEUE_URL", q.quarantine.clone()),
            ("AWS_ENDPOINT_URL", q.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ]);
    }
    env
}

/// The queue's own round trip for the first message of a process: a fresh client (new connection), one
/// `SendMessage` of the message `body` makes, timed from the call to its answer.
async fn queue_round_trip(queues: &Queues, kind: Kind, body: &[u8]) -> Result<f64> {
    let change = rollcall::provider::parse(kind, body).map_err(|e| e.to_string())?;
    let message = rollcall::Message::build(kind, change, time::OffsetDateTime::now_utc());
    let queue = SqsQueue::new(
        sqs_client(&queues.endpoint),
        Some(queues.fifo.clone()),
        None,
    );
    let started = Instant::now();
    tokio::time::timeout(
        Limits::default().queue_deadline * 4,
        queue.publish(&message),
    )
    .await
    .map_err(|_| "SendMessage timed out".to_string())?
    .map_err(|e| format!("SendMessage: {e}"))?;
    Ok(ms(started.elapsed()))
}

// ------------------------------------------------------------------------------------------------ coldstart

struct Run {
    init_ms: f64,
    first_answer_ms: Option<f64>,
}

/// Starts `binary` against a fresh Runtime API, hands it `event` (if any) and measures.
async fn cold_run(
    dir: &Path,
    binary: &str,
    env: &[(&str, String)],
    event: Option<&[u8]>,
) -> Result<Run> {
    let api = RuntimeApi::start().await;
    let path = binary_path_in(dir, binary);
    let mut command = api.command(&path, binary, env);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let first_answer_ms = match event {
        Some(event) => {
            let timed = api.invoke_timed(event).await;
            match (&timed.outcome, timed.answered_at) {
                (Outcome::Response(response), Some(at))
                    if response["statusCode"] == 200 || response.get("statusCode").is_none() =>
                {
                    Some(ms(at - started))
                }
                (outcome, _) => {
                    let _ = child.kill().await;
                    return Err(format!("{binary}: unexpected outcome {outcome:?}"));
                }
            }
        }
        None => {
            let mut waited = 0;
            while api.first_next_at().is_none() && waited < 1000 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                waited += 1;
            }
            None
        }
    };
    let init_ms = api
        .first_next_at()
        .map(|at| ms(at - started))
        .ok_or_else(|| format!("{binary}: never asked for work"))?;
    let _ = child.kill().await;
    Ok(Run {
        init_ms,
        first_answer_ms,
    })
}

// The options of `measure coldstart` (no doc comment here: clap would take it for the subcommand's about).
#[derive(clap::Args)]
struct Coldstart {
    /// Rounds; each runs hello and the function alternately.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Extra environment for the functions (not hello), as KEY=VALUE: for experiments.
    #[arg(long = "env")]
    extra_env: Vec<String>,
    /// Words added to the table's heading, such as "queue over HTTPS", to tell runs apart.
    #[arg(long)]
    label: Option<String>,
    /// Measure only this binary (a function or `consumer`; repeatable; default: all of them).
    #[arg(long = "only", value_name = "BIN")]
    only: Vec<String>,
    /// Queue the functions' messages on an in-process stand-in that answers `SendMessage` at once (instead of
    /// `--endpoint`), so that a first answer is the function's own work, with a round trip of a fraction of a
    /// millisecond left to subtract.
    #[arg(long)]
    stub_queue: bool,
}

/// The binaries `coldstart` measures, in table order: every function then `consumer`, or the `--only` ones.
fn coldstart_binaries(only: &[String]) -> Result<Vec<(String, Option<Kind>)>> {
    let mut binaries: Vec<(String, Option<Kind>)> =
        Kind::ALL.iter().map(|k| (k.binary(), Some(*k))).collect();
    binaries.push(("consumer".into(), None));
    if let Some(unknown) = only
        .iter()
        .find(|name| !binaries.iter().any(|(binary, _)| binary == *name))
    {
        let known: Vec<&str> = binaries.iter().map(|(binary, _)| binary.as_str()).collect();
        return Err(format!(
            "--only {unknown}: not a measured binary (one of {})",
            known.join(", ")
        ));
    }
    if !only.is_empty() {
        binaries.retain(|(binary, _)| only.contains(binary));
    }
    Ok(binaries)
}

async fn coldstart(dir: &Path, endpoint: Option<&str>, options: &Coldstart) -> Result<()> {
    let Coldstart {
        rounds,
        extra_env,
        label,
        only,
        stub_queue,
    } = options;
    let rounds = *rounds;
    let binaries = coldstart_binaries(only)?;
    let queues = match endpoint {
        _ if *stub_queue => Some(queue_stand_in().await?),
        Some(endpoint) => Some(queues(endpoint).await?),
        None => {
            eprintln!("coldstart: no --endpoint: first answers are not measured");
            None
        }
    };
    let mut env = function_env(queues.as_ref());
    for pair in extra_env {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--env {pair}: expected KEY=VALUE"))?;
        env.push((String::from(key).leak(), value.to_string()));
    }
    let consumer_env = {
        let mut env = env.clone();
        env.push(("TABLE_NAME", "rollcall-bench-ledger".into()));
        env
    };
    let signer = WixSigner::new();
    // One SendMessage before measuring, so that the measuring process's own one-time set-up is not counted.
    if let Some(q) = &queues {
        let kind = Kind::OmerloParticipantCreated;
        queue_round_trip(q, kind, &deliveries::unique_body(kind, u64::MAX, &signer)).await?;
    }
    struct Samples {
        init: Vec<f64>,
        hello_init: Vec<f64>,
        first: Vec<f64>,
        hello_first: Vec<f64>,
        rtt: Vec<f64>,
    }
    let mut samples: Vec<Samples> = binaries
        .iter()
        .map(|_| Samples {
            init: vec![],
            hello_init: vec![],
            first: vec![],
            hello_first: vec![],
            rtt: vec![],
        })
        .collect();
    let mut seq = 0u64;
    for round in 0..rounds {
        eprintln!("coldstart: round {}/{rounds}", round + 1);
        for ((binary, kind), s) in binaries.iter().zip(samples.iter_mut()) {
            seq += 1;
            let body = kind.map(|k| deliveries::unique_body(k, seq, &signer));
            let event = match (kind, &body, &queues) {
                (Some(k), Some(body), Some(_)) => Some(deliveries::api_gateway_event(*k, body)),
                _ => None,
            };
            let hello_event = event.clone().unwrap_or_else(|| b"{}".to_vec());
            let hello = cold_run(dir, "hello", &[], Some(&hello_event)).await?;
            let env = if kind.is_some() { &env } else { &consumer_env };
            let run = cold_run(dir, binary, env, event.as_deref()).await?;
            s.hello_init.push(hello.init_ms);
            s.hello_first.extend(hello.first_answer_ms);
            s.init.push(run.init_ms);
            if let (Some(first), Some(q), Some(k)) = (run.first_answer_ms, &queues, kind) {
                s.first.push(first);
                // A different id than the function's message, so that the FIFO queue stores both.
                let other = deliveries::unique_body(*k, seq + (1 << 40), &signer);
                s.rtt.push(queue_round_trip(q, *k, &other).await?);
            }
        }
    }
    let label = label
        .as_deref()
        .map_or(String::new(), |label| format!(", {label}"));
    println!("### Cold start{label} ({rounds} alternating rounds; medians, ms)\n");
    println!(
        "| binary | init | hello init | init ratio (goal ≤ 1.3) | first answer | queue round trip | first answer − queue | hello first answer | first-answer ratio (goal ≤ 1.3) |"
    );
    println!("| --- | --: | --: | --: | --: | --: | --: | --: | --: |");
    let (mut init_ratios, mut first_ratios) = (vec![], vec![]);
    for ((binary, _), s) in binaries.iter().zip(&samples) {
        let (init, hello_init) = (median(&s.init), median(&s.hello_init));
        let init_ratio = init / hello_init;
        init_ratios.push(init_ratio);
        let first_cells = if s.first.is_empty() {
            "n/a | n/a | n/a | n/a | n/a".to_string()
        } else {
            let (first, rtt, hello_first) =
                (median(&s.first), median(&s.rtt), median(&s.hello_first));
            let net = first - rtt;
            let ratio = net / hello_first;
            first_ratios.push(ratio);
            format!(
                "{first:.2} | {rtt:.2} | {net:.2} | {hello_first:.2} | **{ratio:.2}** ({})",
                verdict(ratio, 1.3)
            )
        };
        println!(
            "| {binary} | {init:.2} | {hello_init:.2} | **{init_ratio:.2}** ({}) | {first_cells} |",
            verdict(init_ratio, 1.3)
        );
    }
    let worst = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    println!(
        "\nWorst init ratio {:.2}; worst first-answer ratio {:.2}.\n",
        worst(&init_ratios),
        worst(&first_ratios)
    );
    Ok(())
}

// ------------------------------------------------------------------------------------------------ secrets

#[cfg(feature = "secrets-manager")]
async fn secrets(dir: &Path, endpoint: Option<&str>, rounds: usize) -> Result<()> {
    let endpoint =
        endpoint.ok_or("secrets: needs --endpoint (Secrets Manager and SQS on loopback)")?;
    let queues = queues(endpoint).await?;
    let kind = Kind::OmerloParticipantCreated;
    let with_env = function_env(Some(&queues));
    let key = with_env
        .iter()
        .find(|(var, _)| *var == kind.provider().secret_var())
        .map(|(_, value)| value.clone())
        .ok_or("no test key for Omerlo")?;
    let manager = secrets_client(endpoint);
    let arn = manager
        .create_secret()
        .name(format!("rollcall-bench-{}", uuid::Uuid::new_v4().simple()))
        .secret_string(key)
        .send()
        .await
        .map_err(|e| format!("creating a secret at {endpoint}: {e:?}"))?
        .arn
        .ok_or("no secret ARN")?;
    let mut with_fetch: Vec<(&str, String)> = with_env
        .iter()
        .filter(|(var, _)| *var != kind.provider().secret_var())
        .cloned()
        .collect();
    with_fetch.push(("OMERLO_API_KEY_SECRET_ARN", arn.clone()));
    let signer = WixSigner::new();
    let (mut env_runs, mut fetch_runs, mut round_trips) = (vec![], vec![], vec![]);
    let mut seq = 1u64 << 41;
    for round in 0..rounds {
        eprintln!("secrets: round {}/{rounds}", round + 1);
        for (binary, env, runs) in [
            (kind.binary(), &with_env, &mut env_runs),
            ("secret-at-init".to_string(), &with_fetch, &mut fetch_runs),
        ] {
            seq += 1;
            let body = deliveries::unique_body(kind, seq, &signer);
            let event = deliveries::api_gateway_event(kind, &body);
            let run: Run = cold_run(dir, &binary, env, Some(&event)).await?;
            runs.push(run);
        }
        // The secret's own round trip, as the function's first call makes it: a fresh client.
        let started = Instant::now();
        secrets_client(endpoint)
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| format!("GetSecretValue: {e:?}"))?;
        round_trips.push(ms(started.elapsed()));
    }
    let init = |runs: &[Run]| median(&runs.iter().map(|r| r.init_ms).collect::<Vec<_>>());
    let first = |runs: &[Run]| {
        median(
            &runs
                .iter()
                .filter_map(|r| r.first_answer_ms)
                .collect::<Vec<_>>(),
        )
    };
    let size = |binary: &str| -> Result<(f64, f64)> {
        let path = binary_path_in(dir, binary);
        let raw = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((mib(raw.len()), mib(zipped_size(&path)?)))
    };
    println!(
        "### Secrets: environment (dynamic reference) vs Secrets Manager at cold start ({rounds} alternating rounds; medians)\n"
    );
    println!("| variant | init (ms) | first answer (ms) | binary (MiB) | zipped (MiB) |");
    println!("| --- | --: | --: | --: | --: |");
    for (label, binary, runs) in [
        ("key in the environment (shipped)", kind.binary(), &env_runs),
        (
            "GetSecretValue at cold start",
            "secret-at-init".to_string(),
            &fetch_runs,
        ),
    ] {
        let (raw, zipped) = size(&binary)?;
        println!(
            "| {label} (`{binary}`) | {:.2} | {:.2} | {raw:.2} | {zipped:.2} |",
            init(runs),
            first(runs)
        );
    }
    println!(
        "\nGetSecretValue round trip on a fresh client (loopback moto, not AWS): median {:.2} ms.\n",
        median(&round_trips)
    );
    Ok(())
}

#[cfg(feature = "secrets-manager")]
fn secrets_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&rollcall::aws::sdk_config_from_lookup(
        rollcall_testkit::aws::lookup(endpoint),
        Duration::from_secs(5),
    ))
}

// ------------------------------------------------------------------------------------------------ memory

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

async fn memory(dir: &Path, endpoint: Option<&str>, invocations: usize) -> Result<()> {
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
        let env = function_env(queues.as_ref());
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

// ------------------------------------------------------------------------------------------------ sizes

fn zipped_size(binary: &Path) -> Result<u64> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let bootstrap = temp.path().join("bootstrap");
    std::fs::copy(binary, &bootstrap).map_err(|e| format!("{}: {e}", binary.display()))?;
    let zip = temp.path().join("bootstrap.zip");
    // Deflate at the default level, as `cargo lambda` and the `zip` command package a Lambda.
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[2], 'bootstrap')",
        ])
        .arg(&zip)
        .arg(&bootstrap)
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if !status.success() {
        return Err("zipping failed".into());
    }
    std::fs::metadata(&zip)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// Bytes as MiB.
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The binary `name` of `folder`: `folder/NAME` as cargo writes it, else `folder/NAME/bootstrap` as
/// `cargo lambda build` (and so `sam build`) does.
fn package_binary(folder: &Path, name: &str) -> PathBuf {
    let plain = binary_path_in(folder, name);
    if plain.is_file() {
        plain
    } else {
        folder.join(name).join("bootstrap")
    }
}

fn sizes(dir: &Path, also: &[String]) -> Result<()> {
    let mut folders = vec![("host".to_string(), dir.to_path_buf())];
    for entry in also {
        let (label, path) = entry
            .split_once('=')
            .ok_or_else(|| format!("--also {entry}: expected LABEL=DIR"))?;
        folders.push((label.to_string(), PathBuf::from(path)));
    }
    let mut binaries: Vec<String> = Kind::ALL.iter().map(|k| k.binary()).collect();
    binaries.push("consumer".into());
    binaries.push("hello".into());
    println!("### Package size (release profile; zipped = `bootstrap` deflated)\n");
    println!("| build | binary | size (MiB) | zipped (MiB) | goal ≤ 2.5 MiB zipped |");
    println!("| --- | --- | --: | --: | --- |");
    for (label, folder) in &folders {
        for binary in &binaries {
            let path = package_binary(folder, binary);
            let Ok(meta) = std::fs::metadata(&path) else {
                if binary == "hello" && label != "host" {
                    continue; // the reference is the host's; other builds are of the functions only
                }
                println!("| {label} | {binary} | not built | | |");
                continue;
            };
            let zipped = zipped_size(&path)?;
            let goal = if binary == "hello" {
                "reference"
            } else {
                verdict(mib(zipped), 2.5)
            };
            println!(
                "| {label} | {binary} | {:.2} | {:.2} | {goal} |",
                mib(meta.len()),
                mib(zipped)
            );
        }
    }
    println!();
    Ok(())
}

// ------------------------------------------------------------------------------------------------ serve

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
                            Prepared {
                                path: kind.route(),
                                headers: deliveries::headers(kind.provider()),
                                body: deliveries::unique_body(kind, first_seq + i as u64, &signer)
                                    .into(),
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

async fn serve(
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

    // rollcall serve with the embedded SQLite queue, every delivery distinct so each is stored.
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let queue = temp.path().join("queue.db");
    let addr = free_port()?;
    let rollcall = binary_path_in(dir, "rollcall");
    let mut env = deliveries::secret_env();
    env.push(("ROLLCALL_LOG", "info".into()));
    let server = Server::start(
        &rollcall,
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
    let warm = load::run(addr, Arc::clone(&warming), plan(warmup, false)).await;
    let serve_report = load::run(addr, Arc::clone(&measured), plan(seconds, false)).await;
    server.stop().await;
    let stats = std::process::Command::new(&rollcall)
        .args(["queue", "stats", "--queue"])
        .arg(&queue)
        .output()
        .map_err(|e| format!("rollcall queue stats: {e}"))?;
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap_or_default();
    let stored = stats["messages"].as_u64().unwrap_or(0);
    let answered = warm.ok + serve_report.ok;

    println!(
        "### `rollcall serve` (SQLite queue) vs the HTTP floor: {concurrency} connections, {seconds} s after {warmup} s warm-up\n"
    );
    println!("| server | deliveries/s | p50 (ms) | p99 (ms) | 2xx | other | failed |");
    println!("| --- | --: | --: | --: | --: | --: | --: |");
    println!("{}", report_row("floor (bare axum, 200)", &floor_report));
    println!("{}", report_row("rollcall serve", &serve_report));
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
    if serve_report.exhausted {
        println!(
            "The {count} prepared deliveries ran out before {seconds} s: throughput is over the time they took."
        );
    }
    if let Some(error) = &serve_report.sample_error {
        println!("A non-2xx answer: `{error}`");
    }
    println!();
    Ok(())
}

// ------------------------------------------------------------------------------------------------ criterion

fn criterion_median_ns(results: &Path, group: &str, function: &str) -> Option<f64> {
    let path = results
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["median"]["point_estimate"].as_f64()
}

fn criterion(results: &Path) -> Result<()> {
    println!("### Per-delivery CPU (criterion medians, µs)\n");
    println!("| kind | pipeline | bare parse | RS256 verify | ratio | goal | verdict |");
    println!("| --- | --: | --: | --: | --: | --- | --- |");
    let mut found = false;
    let mut nested_rows = Vec::new();
    for kind in Kind::ALL {
        let group = kind.binary();
        let (Some(pipeline), Some(parse)) = (
            criterion_median_ns(results, &group, "pipeline"),
            criterion_median_ns(results, &group, "bare_parse"),
        ) else {
            continue;
        };
        found = true;
        let us = |ns: f64| ns / 1e3;
        match criterion_median_ns(results, &group, "rs256_verify") {
            Some(verify) => {
                let ratio = (pipeline - verify) / parse;
                if let Some(nested) = criterion_median_ns(results, &group, "bare_parse_nested") {
                    nested_rows.push((group.clone(), us(pipeline - verify), us(nested), "µs"));
                }
                println!(
                    "| {group} | {:.1} | {:.1} | {:.1} | (pipeline − verify) / parse = **{ratio:.2}** | ≤ verify + 2 × parse | {} |",
                    us(pipeline),
                    us(parse),
                    us(verify),
                    verdict(ratio, 2.0)
                );
            }
            None => {
                let ratio = pipeline / parse;
                println!(
                    "| {group} | {:.1} | {:.1} | | pipeline / parse = **{ratio:.2}** | ≤ 2 × parse | {} |",
                    us(pipeline),
                    us(parse),
                    verdict(ratio, 2.0)
                );
            }
        }
    }
    if !found {
        return Err(format!(
            "no criterion results under {}: run `cargo bench -p rollcall-testkit` first",
            results.display()
        ));
    }
    println!();
    print_nested(&nested_rows);
    Ok(())
}

// ------------------------------------------------------------------------------------------------ instructions

/// Instructions `command` runs under callgrind (its standard output discarded); a failure of the program is an
/// error when `must_succeed`.
fn callgrind(mut command: std::process::Command, what: &str, must_succeed: bool) -> Result<u64> {
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
fn valgrind(program: &Path) -> std::process::Command {
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
fn per_delivery_instructions(
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

fn instructions(dir: &Path, deliveries: u64, base: u64) -> Result<()> {
    println!(
        "### Per-delivery CPU (instructions per delivery, callgrind: {deliveries} deliveries after {base})\n"
    );
    println!("| kind | pipeline | bare parse | RS256 verify | ratio | goal | verdict |");
    println!("| --- | --: | --: | --: | --: | --- | --- |");
    let mut nested_rows = Vec::new();
    for kind in Kind::ALL {
        eprintln!("instructions: {}", kind.binary());
        let per_delivery =
            |work: &str| per_delivery_instructions(dir, kind, work, deliveries, base);
        let (pipeline, parse) = (per_delivery("pipeline")?, per_delivery("bare-parse")?);
        let k = |n: f64| format!("{:.0} k", n / 1e3);
        if kind.provider() == rollcall::Provider::Wix {
            let verify = per_delivery("rs256-verify")?;
            let nested = per_delivery("bare-parse-nested")?;
            nested_rows.push((kind.binary(), (pipeline - verify) / 1e3, nested / 1e3, "k"));
            let ratio = (pipeline - verify) / parse;
            println!(
                "| {} | {} | {} | {} | (pipeline − verify) / parse = **{ratio:.2}** | ≤ verify + 2 × parse | {} |",
                kind.binary(),
                k(pipeline),
                k(parse),
                k(verify),
                verdict(ratio, 2.0)
            );
        } else {
            let ratio = pipeline / parse;
            println!(
                "| {} | {} | {} | | pipeline / parse = **{ratio:.2}** | ≤ 2 × parse | {} |",
                kind.binary(),
                k(pipeline),
                k(parse),
                verdict(ratio, 2.0)
            );
        }
    }
    println!();
    print_nested(&nested_rows);
    Ok(())
}

/// The Wix rows against the bare parse of every JSON layer a token nests (`bare_parse_nested`): how far the
/// pipeline is from reading the delivery at all, beside the goal's reference that reads only the outer layer.
fn print_nested(rows: &[(String, f64, f64, &str)]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "Wix beside the bare parse of every JSON layer (the claims, their `data`, its `data` and `identity`):\n"
    );
    println!("| kind | pipeline − verify | nested bare parse | ratio |");
    println!("| --- | --: | --: | --: |");
    for (kind, work, nested, unit) in rows {
        println!(
            "| {kind} | {work:.1} {unit} | {nested:.1} {unit} | **{:.2}** |",
            work / nested
        );
    }
    println!();
}

// ------------------------------------------------------------------------------------------------ profile

/// Prints the `scripts/bench-profiles` row of the build in `dir`.
fn profile(dir: &Path, label: &str) -> Result<()> {
    let kind = Kind::OmerloParticipantCreated;
    let binary = binary_path_in(dir, &kind.binary());
    let size = std::fs::metadata(&binary)
        .map_err(|e| format!("{}: {e}", binary.display()))?
        .len();
    // Nothing listens on port 9: the function stops at its first Runtime API call.
    let mut init = valgrind(&binary);
    init.env_clear()
        .envs(lambda_env("127.0.0.1:9", &kind.binary()))
        .envs(function_env(None))
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
