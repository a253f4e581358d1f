//! Choosing a queue from the command line (an SQLite file or an SQS URL), and the commands that read it back:
//! `queue drain`, `queue stats`, `queue peek` (each of one subscription's messages), `quarantine replay`.

use crate::CliError;
use crate::output::{Lines, note};
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use rollcall::aws::Service;
use rollcall::config::Limits;
use rollcall::message::Message;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::sns::{SnsQueue, TopicArn};
use rollcall::queue::sqlite::{DEFAULT_DEDUP_WINDOW, QueueReader, SqliteQueue};
use rollcall::queue::sqs::{MAX_RECEIVE_WAIT, SqsQueue};
use rollcall::queue::{Inbox, Lane, Published, Queue, QueueError, Received};
use rollcall::settings;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where the queue is.
#[derive(clap::Args, Debug, Clone)]
pub struct QueueArgs {
    /// The embedded SQLite queue file, or an SQS queue URL (`http…`).
    #[arg(long, env = settings::QUEUE, default_value = ".rollcall/queue.db")]
    pub queue: String,
    /// The SQS quarantine queue URL (with an SQS `--queue`; the SQLite queue keeps its quarantine in its file).
    #[arg(long, env = settings::QUARANTINE_QUEUE)]
    pub quarantine_queue: Option<String>,
}

/// An SQS client as every AWS tool finds its account: region and credentials from the standard chain
/// (`AWS_REGION` and `AWS_ACCESS_KEY_ID`…, then `AWS_PROFILE` or the default profile of `~/.aws/config` and
/// `~/.aws/credentials`, SSO, web identity, the container's or the instance's role). The rest as the functions
/// have it (`rollcall::aws`): `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_SQS`, TLS, timeouts and retries within
/// `deadline`, each attempt allowed `long_poll` more (a receive may wait that long for a message). Nothing is
/// fetched until the first request.
pub async fn sqs_client(deadline: Duration, long_poll: Duration) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config(Service::Sqs, deadline, long_poll).await)
}

/// The AWS SDK configuration of [`sqs_client`], for a client of `service` (its endpoint and TLS roots).
async fn sdk_config(
    service: Service,
    deadline: Duration,
    long_poll: Duration,
) -> aws_config::SdkConfig {
    let chain = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let config = rollcall::aws::sdk_config_for(service, settings::env, deadline);
    let mut config = config.into_builder();
    if let Some(region) = chain.region() {
        config.set_region(Some(region.clone()));
    }
    config.set_credentials_provider(chain.credentials_provider());
    let attempt = deadline / 2 + long_poll;
    config.set_timeout_config(Some(
        TimeoutConfig::builder()
            .connect_timeout(deadline / 2)
            .operation_attempt_timeout(attempt)
            .operation_timeout(attempt * 2)
            .build(),
    ));
    config.build()
}

/// Either adapter, chosen at run time.
pub enum AnyQueue {
    /// The embedded SQLite queue.
    Sqlite(SqliteQueue),
    /// Amazon SQS (or an SQS-speaking server).
    Sqs(SqsQueue),
    /// An Amazon SNS topic, its quarantine on SQS (`quarantine replay --topic`).
    Sns(SnsQueue),
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
        AnyQueue::open_with(args, limits, Duration::ZERO).await
    }

    /// Opens the queue, an SQS client allowing each attempt `wait` more than the deadline's share.
    async fn open_with(
        args: &QueueArgs,
        limits: Limits,
        wait: Duration,
    ) -> Result<AnyQueue, CliError> {
        if args.is_sqs() {
            let client = sqs_client(limits.queue_deadline, wait).await;
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

    /// Opens the queue the arguments name for a reading tool: the tools' limits and, on SQS, receives that wait
    /// up to `wait` for a message (long polling), with an SDK attempt timeout that outlasts the wait.
    pub async fn open_for_reading(args: &QueueArgs, wait: Duration) -> Result<AnyQueue, CliError> {
        let poll = wait.min(MAX_RECEIVE_WAIT);
        match AnyQueue::open_with(args, tool_limits(), poll).await? {
            AnyQueue::Sqs(q) => Ok(AnyQueue::Sqs(q.long_polling(poll))),
            sqlite => Ok(sqlite),
        }
    }

    /// Opens the SNS topic `topic` with the SQS quarantine of `--quarantine-queue`, for `quarantine replay`:
    /// receives wait as [`AnyQueue::open_for_reading`]'s do. A topic that is not an ARN, or no quarantine queue,
    /// is a usage error.
    pub async fn open_topic_for_reading(
        args: &QueueArgs,
        topic: &str,
        wait: Duration,
    ) -> Result<AnyQueue, CliError> {
        let arn = TopicArn::parse(topic).map_err(|e| CliError::Usage(format!("--topic: {e}")))?;
        let Some(quarantine) = args.quarantine_queue.clone() else {
            return Err(CliError::Usage(
                "--topic needs --quarantine-queue (ROLLCALL_QUARANTINE_QUEUE): the SQS quarantine the records \
                 are read from"
                    .into(),
            ));
        };
        let poll = wait.min(MAX_RECEIVE_WAIT);
        let deadline = tool_limits().queue_deadline;
        let sqs = SqsQueue::new(sqs_client(deadline, poll).await, None, Some(quarantine));
        // Configured as the SQS client is (`AWS_ENDPOINT_URL_SNS` for SNS alone), in the topic's region.
        let sns = rollcall::queue::sns::client_on(
            &sdk_config(Service::Sns, deadline, Duration::ZERO).await,
            Some(&arn),
        );
        Ok(AnyQueue::Sns(SnsQueue::new(
            sns,
            arn.as_str(),
            sqs.long_polling(poll),
        )))
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
            AnyQueue::Sns(_) => format!(
                "sns topic (quarantine: {})",
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
            AnyQueue::Sns(q) => q.publish(message).await,
        }
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.quarantine(record).await,
            AnyQueue::Sqs(q) => q.quarantine(record).await,
            AnyQueue::Sns(q) => q.quarantine(record).await,
        }
    }
}

impl Inbox for AnyQueue {
    async fn receive(&self, lane: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.receive(lane, max).await,
            AnyQueue::Sqs(q) => q.receive(lane, max).await,
            AnyQueue::Sns(q) => q.receive(lane, max).await,
        }
    }

    async fn delete(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.delete(lane, handle).await,
            AnyQueue::Sqs(q) => q.delete(lane, handle).await,
            AnyQueue::Sns(q) => q.delete(lane, handle).await,
        }
    }

    async fn release(&self, lane: Lane, handle: &str) -> Result<(), QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.release(lane, handle).await,
            AnyQueue::Sqs(q) => q.release(lane, handle).await,
            AnyQueue::Sns(q) => q.release(lane, handle).await,
        }
    }

    async fn count(&self, lane: Lane) -> Result<u64, QueueError> {
        match self {
            AnyQueue::Sqlite(q) => q.count(lane).await,
            AnyQueue::Sqs(q) => q.count(lane).await,
            AnyQueue::Sns(q) => q.count(lane).await,
        }
    }
}

/// Limits for the reading tools: the SDK gets more time than a webhook answer would. The body limit plays no
/// part in them (a replay re-reads what was accepted), so `ROLLCALL_MAX_BODY_BYTES` is not read.
pub fn tool_limits() -> Limits {
    Limits {
        queue_deadline: std::time::Duration::from_secs(10),
        ..Limits::default()
    }
}

/// How long a reading tool waits on SQS for the queue to answer empty before it stops, by default: one long
/// poll of SQS's longest wait, which asks every server of the queue.
pub const DEFAULT_QUIET: Duration = MAX_RECEIVE_WAIT;

/// When a reading tool stops: once the queue has answered empty (or nothing new) for a while in a row. The SQLite
/// queue answers for the whole file at once, so its while is zero: it stops at the first empty answer.
pub struct Quiet {
    wait: Duration,
    since: Option<Instant>,
}

impl Quiet {
    /// Stops after `wait` of empty answers on SQS, at the first on SQLite.
    pub fn new(args: &QueueArgs, wait: Duration) -> Quiet {
        Quiet {
            wait: if args.is_sqs() { wait } else { Duration::ZERO },
            since: None,
        }
    }

    /// Stops after `wait` of empty answers, as on SQS (the quarantine of `quarantine replay --topic`).
    pub fn sqs(wait: Duration) -> Quiet {
        Quiet { wait, since: None }
    }

    /// The quiet while; each receive may wait that long for a message (SQS long polling, at most 20 s).
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// After an empty answer to a receive sent at `asked`: whether the queue has been quiet long enough.
    pub fn empty(&mut self, asked: Instant) -> bool {
        self.since.get_or_insert(asked).elapsed() >= self.wait
    }

    /// After an answer with something new in it.
    pub fn busy(&mut self) {
        self.since = None;
    }
}

/// What a reading tool reads: the quarantine, or the messages of one subscription (`default` unless named).
pub enum Read {
    /// The quarantined deliveries.
    Quarantine,
    /// The messages of the subscription named, or of `default`.
    Messages(Option<String>),
}

impl Read {
    /// The quarantine when `quarantine`, else the messages of `subscription`.
    pub fn new(quarantine: bool, subscription: Option<String>) -> Read {
        if quarantine {
            Read::Quarantine
        } else {
            Read::Messages(subscription)
        }
    }

    fn lane(&self) -> Lane {
        match self {
            Read::Quarantine => Lane::Quarantine,
            Read::Messages(_) => Lane::Messages,
        }
    }

    /// The subscription named, refused on SQS (each consumer has its own queue there).
    fn subscription(&self, args: &QueueArgs) -> Result<Option<&str>, CliError> {
        match self {
            Read::Messages(Some(name)) if args.is_sqs() => Err(not_on_sqs(name)),
            Read::Messages(name) => Ok(name.as_deref()),
            Read::Quarantine => Ok(None),
        }
    }

    /// What was read, for the closing note.
    fn what(&self) -> String {
        match self {
            Read::Quarantine => "quarantined deliveries".to_owned(),
            Read::Messages(None) => "messages".to_owned(),
            Read::Messages(Some(name)) => format!("messages of subscription `{name}`"),
        }
    }
}

fn not_on_sqs(name: &str) -> CliError {
    CliError::Usage(format!(
        "--subscription {name}: subscriptions are the SQLite queue's; on SQS each consumer reads a queue of its \
         own: pass its URL as --queue"
    ))
}

/// `rollcall queue drain`: prints each message and deletes it once printed, until `limit` or until the queue
/// has been quiet for `wait` (SQS).
pub async fn drain(
    args: QueueArgs,
    read: Read,
    limit: Option<u64>,
    wait: Duration,
) -> Result<ExitCode, CliError> {
    let subscription = read.subscription(&args)?;
    let mut quiet = Quiet::new(&args, wait);
    let queue = match (
        AnyQueue::open_for_reading(&args, quiet.wait()).await?,
        subscription,
    ) {
        (AnyQueue::Sqlite(queue), Some(name)) => AnyQueue::Sqlite(queue.subscription(name).await?),
        (queue, _) => queue,
    };
    let lane = read.lane();
    let mut out = Lines::stdout();
    let mut drained = 0u64;
    loop {
        let wanted = limit.map_or(10, |limit| limit.saturating_sub(drained).min(10));
        if wanted == 0 {
            break;
        }
        let asked = Instant::now();
        let batch = queue.receive(lane, wanted as usize).await?;
        if batch.is_empty() {
            if quiet.empty(asked) {
                break;
            }
            continue;
        }
        quiet.busy();
        let mut batch = batch.into_iter();
        while let Some(received) = batch.next() {
            if let Err(e) = out.line(&received.body) {
                // Not written, so not deleted: visible again at once, with the rest of the batch.
                for unread in std::iter::once(received).chain(batch) {
                    let _ = queue.release(lane, &unread.handle).await;
                }
                return Err(e);
            }
            queue.delete(lane, &received.handle).await?;
            drained += 1;
        }
    }
    note(&format!("drained {drained} {}", read.what()));
    Ok(ExitCode::SUCCESS)
}

/// `rollcall queue stats`, of `default`'s messages or `subscription`'s. The SQLite file is opened read-only.
pub async fn stats(args: QueueArgs, subscription: Option<String>) -> Result<ExitCode, CliError> {
    let read = Read::Messages(subscription);
    let subscription = read.subscription(&args)?;
    let (messages, quarantine) = if args.is_sqs() {
        let queue = AnyQueue::open(&args, tool_limits()).await?;
        let messages = queue.count(Lane::Messages).await?;
        let quarantine = match queue.count(Lane::Quarantine).await {
            Err(QueueError::NotConfigured(_)) => None,
            other => Some(other?),
        };
        (messages, quarantine)
    } else {
        let queue = reader(&args, subscription)?;
        (
            queue.count(Lane::Messages)?,
            Some(queue.count(Lane::Quarantine)?),
        )
    };
    let mut counts = serde_json::json!({"messages": messages, "quarantine": quarantine});
    if let Some(name) = subscription {
        counts["subscription"] = name.into();
    }
    println!("{counts}");
    Ok(ExitCode::SUCCESS)
}

/// `rollcall queue peek`: the SQLite file opened read-only. SQS has no look without a receive, and every receive
/// counts toward the dead-letter queue's `maxReceiveCount`, so it is refused there.
pub fn peek(args: QueueArgs, read: Read, limit: Option<u64>) -> Result<ExitCode, CliError> {
    if args.is_sqs() {
        return Err(CliError::Usage(
            "queue peek reads the SQLite queue only: on SQS every look is a receive, which counts toward the \
             dead-letter queue's receive limit (a peeked message could end up there); use `queue stats` to \
             count, or `queue drain` to take the messages"
                .into(),
        ));
    }
    let queue = reader(&args, read.subscription(&args)?)?;
    let mut out = Lines::stdout();
    let peeked = queue.peek(read.lane(), limit, |body| out.line(body))?;
    note(&format!(
        "peeked at {peeked} {} (nothing removed)",
        read.what()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The queue file opened read-only, reading `subscription`'s messages (`default`'s when none is named).
fn reader(args: &QueueArgs, subscription: Option<&str>) -> Result<QueueReader, CliError> {
    let queue = QueueReader::open(&PathBuf::from(&args.queue))?;
    Ok(match subscription {
        Some(name) => queue.subscription(name)?,
        None => queue,
    })
}
