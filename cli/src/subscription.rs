//! `rollcall subscription`: the named subscriptions of the SQLite queue file, the local counterpart of an SNS
//! topic's subscriptions. Each keeps its own copy of the messages its filter policy takes (SNS's JSON and
//! scopes, the same file `consumer.yaml`'s `FilterPolicy` takes), from the moment it is added; a running `serve`
//! applies a change at its next commit.

use crate::CliError;
use crate::output::{Lines, note};
use rollcall::filter::{FilterPolicy, Scope};
use rollcall::queue::sqlite::subscriptions::SubscriptionInfo;
use rollcall::queue::sqlite::{SubscriptionError, SubscriptionName, Subscriptions};
use serde::Serialize;
use serde_json::value::RawValue;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The queue file the subscriptions live in.
#[derive(clap::Args, Debug, Clone)]
pub struct QueueFile {
    /// The embedded SQLite queue file (created when absent). On SQS each consumer has a queue of its own,
    /// subscribed to the stack's topic (`consumer.yaml`).
    #[arg(long, env = "ROLLCALL_QUEUE", default_value = ".rollcall/queue.db")]
    queue: String,
}

impl QueueFile {
    /// The file, or why the queue named is not one.
    fn path(&self) -> Result<PathBuf, CliError> {
        if self.queue.starts_with("http://") || self.queue.starts_with("https://") {
            return Err(CliError::Usage(format!(
                "subscriptions live in the SQLite queue file, and `{}` is an SQS queue: on AWS each consumer \
                 has a queue of its own subscribed to the stack's topic (deploy consumer.yaml)",
                self.queue
            )));
        }
        Ok(PathBuf::from(&self.queue))
    }
}

/// What `rollcall subscription` does.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Add a subscription: from now on it keeps its own copy of each message its filter takes (every message
    /// without `--filter`); read it with `rollcall queue drain --subscription NAME`.
    Add {
        /// Its name: 1 to 80 ASCII letters, digits, `-` and `_` (as an SQS queue name allows).
        name: String,
        /// A file holding an SNS subscription filter policy (JSON), as `consumer.yaml`'s `FilterPolicy` takes.
        #[arg(long, value_name = "FILE")]
        filter: Option<PathBuf>,
        /// What the filter matches: the message attributes (`type`, `source`, `subject`) or the message body.
        #[arg(long, value_parser = scope, default_value = "attributes", requires = "filter")]
        scope: Scope,
        #[command(flatten)]
        queue: QueueFile,
    },
    /// Print each subscription as one JSON line: name, filter policy, scope and waiting messages.
    List {
        #[command(flatten)]
        queue: QueueFile,
    },
    /// Remove a subscription; refused while messages wait for it, unless `--discard`.
    Remove {
        /// Its name.
        name: String,
        /// Delete the messages waiting for it too.
        #[arg(long)]
        discard: bool,
        #[command(flatten)]
        queue: QueueFile,
    },
}

/// `--scope`: `attributes` or `body` (SNS's `MessageAttributes` and `MessageBody` too).
fn scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).ok_or_else(|| "use `attributes` or `body`".to_owned())
}

/// Runs a `rollcall subscription` command.
pub fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Add {
            name,
            filter,
            scope,
            queue,
        } => add(&queue.path()?, &name, filter.as_deref(), scope),
        Command::List { queue } => list(&queue.path()?),
        Command::Remove {
            name,
            discard,
            queue,
        } => remove(&queue.path()?, &name, discard),
    }
}

fn add(path: &Path, name: &str, filter: Option<&Path>, scope: Scope) -> Result<ExitCode, CliError> {
    let name = SubscriptionName::parse(name)?;
    let policy = match filter {
        None => None,
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(CliError::io(format!("reading {}", file.display())))?;
            Some(FilterPolicy::parse(text.trim(), scope).map_err(SubscriptionError::from)?)
        }
    };
    Subscriptions::open(path)?.add(&name, policy.as_ref())?;
    note(&format!(
        "added subscription `{name}` ({}): it gets the messages published from now on",
        match &policy {
            Some(policy) => format!("filter of {} scope", policy.scope().sns_name()),
            None => "every message".to_owned(),
        }
    ));
    Ok(ExitCode::SUCCESS)
}

/// One line of `subscription list`.
#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    /// The policy as stored (JSON, not a string holding it); `null`: every message.
    filter_policy: Option<&'a RawValue>,
    /// SNS's `FilterPolicyScope` name.
    scope: &'static str,
    waiting: u64,
}

fn list(path: &Path) -> Result<ExitCode, CliError> {
    let subscriptions = Subscriptions::open(path)?.list()?;
    let mut out = Lines::stdout();
    for SubscriptionInfo {
        name,
        filter_policy,
        scope,
        waiting,
    } in &subscriptions
    {
        let policy = filter_policy
            .as_deref()
            .map(serde_json::from_str::<&RawValue>)
            .transpose()
            .map_err(|e| CliError::Usage(format!("the stored filter policy of `{name}`: {e}")))?;
        let line = serde_json::to_string(&Listed {
            name,
            filter_policy: policy,
            scope: scope.sns_name(),
            waiting: *waiting,
        })
        .map_err(|e| CliError::Usage(e.to_string()))?;
        out.line(&line)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(path: &Path, name: &str, discard: bool) -> Result<ExitCode, CliError> {
    let name = SubscriptionName::parse(name)?;
    let deleted = Subscriptions::open(path)?.remove(&name, discard)?;
    note(&format!(
        "removed subscription `{name}`{}",
        if deleted > 0 {
            format!(" and the {deleted} messages waiting for it")
        } else {
            String::new()
        }
    ));
    Ok(ExitCode::SUCCESS)
}
