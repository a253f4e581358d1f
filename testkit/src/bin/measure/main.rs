//! `measure`: the figures of `BENCHMARKS.md`, each as a ratio against a reference measured in the same run on
//! the same machine. Every section prints a markdown table on standard output (progress goes to standard
//! error). Loopback only; every loop is bounded.
//!
//! - `coldstart`: per function binary against `hello`, alternating runs: init (process start to the first
//!   `GET …/invocation/next`) and first answer (process start to the first response posted), minus the queue's
//!   own round trip (a `SendMessage` of the same kind of message, on a fresh client, to the same SQS server:
//!   moto, or with `--stub-queue` a stand-in in this process that answers at once); with `--sns`, each function
//!   also with `TOPIC_ARN` set instead of `QUEUE_URL`, its round trip then one SNS `Publish`.
//! - `memory`: peak RSS (`VmHWM`) after N invocations, against `hello`.
//! - `sizes`: binary and zipped `bootstrap` sizes.
//! - `serve`: `rollcall serve` (SQLite queue) against `floor` (bare axum) under the same closed-loop load, and
//!   with four subscriptions (three filtered) against one.
//! - `criterion`: the pipeline benchmarks' medians as ratios.
//! - `instructions`: the same per-delivery work counted in instructions under callgrind (`ingest-loop`).
//! - `profile`: one row of `scripts/bench-profiles` (sizes and instruction counts) for the build in `--dir`.
//!
//! One module per section; `report`, `queues` and `callgrind` hold what several of them share.

mod callgrind;
mod coldstart;
mod criterion;
mod instructions;
mod memory;
mod profile;
mod queues;
mod report;
mod serve;
mod sizes;

use clap::{Parser, Subcommand};
use rollcall_testkit::runtime_api::profile_dir;
use std::path::PathBuf;

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
    /// Cold start per function binary against hello.
    Coldstart(coldstart::Coldstart),
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
    /// `rollcall serve` against the bare axum floor, and with four subscriptions (three filtered) against one.
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
            Command::Coldstart(options) => {
                coldstart::run(&dir, cli.endpoint.as_deref(), &options).await
            }
            Command::Memory { invocations } => {
                memory::run(&dir, cli.endpoint.as_deref(), invocations).await
            }
            Command::Sizes { also } => sizes::run(&dir, &also),
            Command::Serve {
                concurrency,
                seconds,
                warmup,
                deliveries,
            } => serve::run(&dir, concurrency, seconds, warmup, deliveries).await,
            Command::Criterion { results } => criterion::run(&results),
            Command::Instructions { deliveries, base } => instructions::run(&dir, deliveries, base),
            Command::Profile { label } => profile::run(&dir, &label),
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

/// A section's outcome; the error is printed as it is.
type Result<T> = std::result::Result<T, String>;
