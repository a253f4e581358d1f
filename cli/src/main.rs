//! `rollcall`: run Rollcall on one machine, no AWS and no Docker. `serve` answers every webhook route with the
//! pipeline the Lambdas use; `send` replays API Gateway event files; `queue` and `quarantine` read the queue;
//! `subscription` manages the SQLite queue's subscriptions.

mod client;
#[cfg(test)]
mod flags;
mod output;
mod queues;
mod replay;
mod send;
mod serve;
mod smoke;
mod subscription;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Receive Omerlo, Mighty Networks, Wix and Calendly webhooks on one machine.
#[derive(Parser)]
#[command(name = "rollcall", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every webhook route on one port, storing messages in the queue.
    Serve(serve::Args),
    /// Replay API Gateway event files (a file or a folder) against a running server and check each answer.
    Send(send::Args),
    /// After a deploy: one authenticated test delivery per provider to the stack, and a look at the queue.
    Smoke(smoke::Args),
    /// Read the queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Work on the quarantine.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Add, list and remove the SQLite queue's subscriptions: consumers that each get their own copy of the
    /// messages their filter takes.
    #[command(subcommand)]
    Subscription(subscription::Command),
}

#[derive(Subcommand)]
enum QueueCommand {
    /// Print each waiting message body as one JSON line (what an SQS consumer receives) and remove it: a message
    /// is deleted once its line is written (into a pipe's buffer too, read or not: use `--limit`).
    Drain {
        #[command(flatten)]
        queue: queues::QueueArgs,
        /// Drain the quarantine instead of the messages.
        #[arg(long, conflicts_with = "subscription")]
        quarantine: bool,
        #[command(flatten)]
        subscription: SubscriptionArg,
        /// Take at most this many.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        #[command(flatten)]
        quiet: QuietArgs,
    },
    /// Count the waiting messages and quarantined deliveries. Reads only: works on a read-only or full disk.
    Stats {
        #[command(flatten)]
        queue: queues::QueueArgs,
        #[command(flatten)]
        subscription: SubscriptionArg,
    },
    /// Print waiting message bodies as `drain` does, oldest first, and remove nothing. SQLite queue only; reads
    /// only: works on a read-only or full disk.
    Peek {
        #[command(flatten)]
        queue: queues::QueueArgs,
        /// Peek at the quarantine instead of the messages.
        #[arg(long, conflicts_with = "subscription")]
        quarantine: bool,
        #[command(flatten)]
        subscription: SubscriptionArg,
        /// Print at most this many.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
}

#[derive(Subcommand)]
enum QuarantineCommand {
    /// Parse every quarantined delivery again with today's parsers; move those that parse to the queue, dated by
    /// their receipt. Wix tokens are verified again (all but their age); a provider's records are replayed only
    /// with its key configured.
    Replay {
        #[command(flatten)]
        queue: queues::QueueArgs,
        /// Publish the replayed messages to this SNS topic (the functions' `TOPIC_ARN`) instead of `--queue`;
        /// the records are read from `--quarantine-queue`.
        #[arg(long, env = rollcall::settings::TOPIC_ARN, value_name = "ARN")]
        topic: Option<String>,
        #[command(flatten)]
        quiet: QuietArgs,
    },
}

/// Which subscription's messages a queue tool reads.
#[derive(clap::Args)]
struct SubscriptionArg {
    /// Read this subscription's messages instead of `default`'s (SQLite queue only: on SQS each consumer has a
    /// queue of its own, named by `--queue`).
    #[arg(long, value_name = "NAME")]
    subscription: Option<String>,
}

/// When a command that takes from SQS stops.
#[derive(clap::Args)]
struct QuietArgs {
    /// On SQS, stop once the queue has answered empty for this many seconds in a row (receives long-poll up to
    /// 20 s each). The SQLite queue stops at its first empty answer.
    #[arg(long, value_name = "SECONDS", default_value_t = queues::DEFAULT_QUIET.as_secs())]
    wait: u64,
}

impl QuietArgs {
    fn wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.wait)
    }
}

/// An error that ends a command: printed as one line, exit status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A queue could not be opened or used.
    #[error("queue: {0}")]
    Queue(#[from] rollcall::queue::QueueError),
    /// A file or socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Anything else, said plainly.
    #[error("{0}")]
    Usage(String),
    /// An argument's value is refused (a filter policy, a subscription name): exit status 2, as for the usage
    /// errors the argument parser reports.
    #[error("{0}")]
    Invalid(String),
    /// Standard output's reader is gone (`… | head`): the command stops, and says nothing more.
    #[error("standard output was closed")]
    Closed,
}

impl CliError {
    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }
}

impl From<rollcall::queue::sqlite::SubscriptionError> for CliError {
    fn from(e: rollcall::queue::sqlite::SubscriptionError) -> CliError {
        use rollcall::queue::sqlite::SubscriptionError::{BadName, Policy, Queue};
        match e {
            Queue(e) => CliError::Queue(e),
            e @ (BadName(_) | Policy(_)) => CliError::Invalid(e.to_string()),
            e => CliError::Usage(e.to_string()),
        }
    }
}

/// The default embedded queue file.
pub fn default_queue() -> PathBuf {
    PathBuf::from(".rollcall/queue.db")
}

fn main() -> ExitCode {
    // A panic while `serve` works on one delivery is contained; any other ends the process (rollcall::panics).
    rollcall::panics::install();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Send(args) => send::run(args).await,
            Command::Smoke(args) => smoke::run(args).await,
            Command::Queue(QueueCommand::Drain {
                queue,
                quarantine,
                subscription,
                limit,
                quiet,
            }) => {
                let lane = queues::Read::new(quarantine, subscription.subscription);
                queues::drain(queue, lane, limit, quiet.wait()).await
            }
            Command::Queue(QueueCommand::Stats {
                queue,
                subscription,
            }) => queues::stats(queue, subscription.subscription).await,
            Command::Queue(QueueCommand::Peek {
                queue,
                quarantine,
                subscription,
                limit,
            }) => queues::peek(
                queue,
                queues::Read::new(quarantine, subscription.subscription),
                limit,
            ),
            Command::Quarantine(QuarantineCommand::Replay {
                queue,
                topic,
                quiet,
            }) => replay::replay(queue, topic, quiet.wait()).await,
            Command::Subscription(command) => subscription::run(command),
        }
    });
    match result {
        Ok(code) => code,
        Err(CliError::Closed) => ExitCode::SUCCESS,
        Err(e @ CliError::Invalid(_)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
