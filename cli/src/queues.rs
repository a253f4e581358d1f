//! Choosing a queue from the command line (an SQLite file or an SQS URL), and the commands that read it back:
//! `queue drain`, `queue stats`, `queue peek`, `quarantine replay`.

use crate::CliError;
use rollcall::config::{Limits, Secrets};
use rollcall::ingest::{Pipeline, Replayed};
use rollcall::message::Message;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::sqlite::{DEFAULT_DEDUP_WINDOW, QueueReader, SqliteQueue};
use rollcall::queue::sqs::SqsQueue;
use rollcall::queue::{Inbox, Lane, Published, Queue, QueueError, Received};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Where the queue is.
#[derive(clap::Args, Debug, Clone)]
pub struct QueueArgs {
    /// The embedded SQLite queue file, or an SQS queue URL (`http…`).
    #[arg(long, env = "ROLLCALL_QUEUE", default_value = ".rollcall/queue.db")]
    pub queue: String,
    /// The SQS quarantine queue URL (with an SQS `--queue`; the SQLite queue keeps its quarantine in its file).
    #[arg(long, env = "ROLLCALL_QUARANTINE_QUEUE")]
    pub quarantine_queue: Option<String>,
}

/// An SQS client as every AWS tool finds its account: region and credentials from the standard chain
/// (`AWS_REGION` and `AWS_ACCESS_KEY_ID`…, then `AWS_PROFILE` or the default profile of `~/.aws/config` and
/// `~/.aws/credentials`, SSO, web identity, the container's or the instance's role). The rest as the functions
/// have it (`rollcall::aws`): `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_SQS`, TLS, timeouts and retries within
/// `deadline`. Nothing is fetched until the first request.
pub async fn sqs_client(deadline: Duration) -> aws_sdk_sqs::Client {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let chain = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let mut config = rollcall::aws::sdk_config_from_env(deadline).into_builder();
    if let Some(region) = chain.region() {
        config.set_region(Some(region.clone()));
    }
    config.set_credentials_provider(chain.credentials_provider());
    let mut sqs = aws_sdk_sqs::config::Builder::from(&config.build());
    if let Some(endpoint) = var("AWS_ENDPOINT_URL_SQS") {
        sqs = sqs.endpoint_url(endpoint);
    }
    aws_sdk_sqs::Client::from_conf(sqs.build())
}

/// Either adapter, chosen at run time.
pub enum AnyQueue {
    /// The embedded SQLite queue.
    Sqlite(SqliteQueue),
    /// Amazon SQS (or an SQS-speaking server).
    Sqs(SqsQueue),
}

impl QueueArgs {
    /// Whether `--queue` names an SQS queue (else an SQLite file).
    fn is_sqs(&self) -> bool {
        self.queue.starts_with("http://") || self.queue.starts_with("https://")
    }
}

impl AnyQueue {
    /// Opens the queue the arguments name.
    pub async fn open(args: &QueueArgs, limits: Limits) -> Result<AnyQueue, CliError> {
        if args.is_sqs() {
            let client = sqs_client(limits.queue_deadline).await;
            Ok(AnyQueue::Sqs(SqsQueue::new(
                client,
                Some(args.queue.clone()),
                args.quarantine_queue.clone(),
            )))
        } else {
            Ok(AnyQueue::Sqlite(SqliteQueue::open(
                &PathBuf::from(&args.queue),
                DEFAULT_DEDUP_WINDOW,
            )?))
        }
    }

    /// Says where messages go, for the start-up line.
    pub fn describe(&self, args: &QueueArgs) -> String {
        match self {
            AnyQueue::Sqlite(q) => format!("sqlite:{}", q.path().display()),
            AnyQueue::Sqs(_) => format!(
                "sqs:{} (quarantine: {})",
                args.queue,
                args.quarantine_queue.as_deref().unwrap_or("not configured")
            ),
        }
    }
}

impl Queue for AnyQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.publish(message).await,
            AnyQueue::Sqs(q) => q.publish(message).await,
        }
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.quarantine(record).await,
            AnyQueue::Sqs(q) => q.quarantine(record).await,
        }
    }
}

impl Inbox for AnyQueue {
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.receive(lane, max).await,
            AnyQueue::Sqs(q) => q.receive(lane, max).await,
        }
    }

    async fn delete(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.delete(lane, handle).await,
            AnyQueue::Sqs(q) => q.delete(lane, handle).await,
        }
    }

    async fn release(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.release(lane, handle).await,
            AnyQueue::Sqs(q) => q.release(lane, handle).await,
        }
    }

    async fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.count(lane).await,
            AnyQueue::Sqs(q) => q.count(lane).await,
        }
    }
}

/// Limits for the reading tools: the SDK gets more time than a webhook answer would. The body limit plays no
/// part in them (a replay re-reads what was accepted), so `ROLLCALL_MAX_BODY_BYTES` is not read.
fn tool_limits() -> Limits {
    Limits {
        queue_deadline: std::time::Duration::from_secs(10),
        ..Limits::default()
    }
}

/// `rollcall queue drain`.
pub async fn drain(args: QueueArgs, quarantine: bool) -> Result<ExitCode, CliError> {
    let queue = AnyQueue::open(&args, tool_limits()).await?;
    let lane = if quarantine {
        Lane::Quarantine
    } else {
        Lane::Messages
    };
    let mut stdout = std::io::stdout().lock();
    let mut drained = 0u64;
    loop {
        let batch = queue.receive(lane, 10).await?;
        if batch.is_empty() {
            break;
        }
        for received in batch {
            writeln!(stdout, "{}", received.body).map_err(CliError::io("writing to stdout"))?;
            stdout.flush().map_err(CliError::io("writing to stdout"))?;
            queue.delete(lane, &received.handle).await?;
            drained += 1;
        }
    }
    eprintln!(
        "drained {drained} {}",
        if quarantine {
            "quarantined deliveries"
        } else {
            "messages"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `rollcall queue stats`. The SQLite file is opened read-only.
pub async fn stats(args: QueueArgs) -> Result<ExitCode, CliError> {
    let (messages, quarantine) = if args.is_sqs() {
        let queue = AnyQueue::open(&args, tool_limits()).await?;
        let messages = queue.count(Lane::Messages).await?;
        let quarantine = match queue.count(Lane::Quarantine).await {
            Err(QueueError::NotConfigured(_)) => None,
            other => Some(other?),
        };
        (messages, quarantine)
    } else {
        let queue = QueueReader::open(&PathBuf::from(&args.queue))?;
        (
            queue.count(Lane::Messages)?,
            Some(queue.count(Lane::Quarantine)?),
        )
    };
    println!(
        "{}",
        serde_json::json!({"messages": messages, "quarantine": quarantine})
    );
    Ok(ExitCode::SUCCESS)
}

/// `rollcall queue peek`: the SQLite file opened read-only. SQS has no look without a receive, and every receive
/// counts toward the dead-letter queue's `maxReceiveCount`, so it is refused there.
pub fn peek(args: QueueArgs, quarantine: bool, limit: Option<u64>) -> Result<ExitCode, CliError> {
    if args.is_sqs() {
        return Err(CliError::Usage(
            "queue peek reads the SQLite queue only: on SQS every look is a receive, which counts toward the \
             dead-letter queue's receive limit (a peeked message could end up there); use `queue stats` to \
             count, or `queue drain` to take the messages"
                .into(),
        ));
    }
    let queue = QueueReader::open(&PathBuf::from(&args.queue))?;
    let lane = if quarantine {
        Lane::Quarantine
    } else {
        Lane::Messages
    };
    let mut stdout = std::io::stdout().lock();
    let peeked = queue.peek(lane, limit, |body| {
        writeln!(stdout, "{body}").map_err(CliError::io("writing to stdout"))
    })?;
    stdout.flush().map_err(CliError::io("writing to stdout"))?;
    eprintln!(
        "peeked at {peeked} {} (nothing removed)",
        if quarantine {
            "quarantined deliveries"
        } else {
            "messages"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `rollcall quarantine replay`.
pub async fn replay(args: QueueArgs) -> Result<ExitCode, CliError> {
    let queue = AnyQueue::open(&args, tool_limits()).await?;
    let pipeline = Pipeline::new(Secrets::from_env(), queue, tool_limits());
    let (mut moved, mut kept) = (0u64, Vec::new());
    loop {
        let batch = pipeline.queue().receive(Lane::Quarantine, 10).await?;
        if batch.is_empty() {
            break;
        }
        for received in batch {
            let record: QuarantineRecord = match serde_json::from_str(&received.body) {
                Ok(record) => record,
                Err(e) => {
                    eprintln!("kept: not a quarantine record ({e})");
                    kept.push(received.handle);
                    continue;
                }
            };
            match pipeline
                .replay(&record)
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?
            {
                Replayed::Queued { id } => {
                    pipeline
                        .queue()
                        .delete(Lane::Quarantine, &received.handle)
                        .await?;
                    println!(
                        "{}",
                        serde_json::json!({"replayed": id, "type": record.kind})
                    );
                    moved += 1;
                }
                Replayed::StillUnparsable(reason) => {
                    eprintln!(
                        "kept: {} received {}: {reason}",
                        record.kind, record.received_at
                    );
                    kept.push(received.handle);
                }
            }
        }
    }
    // What stays is visible again at once (not only when its lease ends) for the next look.
    for handle in &kept {
        pipeline.queue().release(Lane::Quarantine, handle).await?;
    }
    eprintln!("replayed {moved}, still quarantined {}", kept.len());
    Ok(ExitCode::SUCCESS)
}
