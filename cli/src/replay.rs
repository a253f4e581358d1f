//! `rollcall quarantine replay`: reads each quarantine record once per run and moves those that parse now to the
//! queue, or with `--topic` to the SNS topic (the records then read from the SQS quarantine)
//! ([`Pipeline::replay`]: a Wix token is verified again, a record keeps its own receipt time, a provider whose key
//! this run lacks keeps its records). The records it keeps stay hidden until the run ends, and when a
//! kept record's lease runs out during the run and the queue hands it out again, it is recognised by its identity
//! and not read twice: the run ends once the queue has had nothing new for a while ([`Quiet`]). Then every kept
//! record is made visible again, through the handle of its latest receipt.

use crate::CliError;
use crate::output::{Lines, note};
use crate::queues::{AnyQueue, QueueArgs, Quiet, tool_limits};
use rollcall::ingest::{Pipeline, Replayed};
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::{Inbox, Lane, Queue, QueueError, Received};
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// One run's account: what it moved, and the records it keeps (identity to latest handle).
#[derive(Default)]
struct Run {
    moved: u64,
    kept: HashMap<String, String>,
}

/// `rollcall quarantine replay`: to the queue of `args`, or to the SNS topic `topic` when given (not blank).
pub async fn replay(
    args: QueueArgs,
    topic: Option<String>,
    wait: Duration,
) -> Result<ExitCode, CliError> {
    let (mut quiet, queue) = match topic.filter(|t| !t.trim().is_empty()) {
        Some(topic) => {
            let quiet = Quiet::sqs(wait);
            let queue = AnyQueue::open_topic_for_reading(&args, &topic, quiet.wait()).await?;
            (quiet, queue)
        }
        None => {
            let quiet = Quiet::new(&args, wait);
            let queue = AnyQueue::open_for_reading(&args, quiet.wait()).await?;
            (quiet, queue)
        }
    };
    let pipeline = Pipeline::new(rollcall::settings::secrets(), queue, tool_limits());
    let mut run = Run::default();
    let mut out = Lines::stdout();
    // The kept records are released however the run ends: an error, a closed pipe or a quiet queue.
    let result = run.replay_all(&pipeline, &mut quiet, &mut out).await;
    let unreleased = run.release(pipeline.queue()).await;
    result?;
    if let Some((count, error)) = unreleased {
        note(&format!(
            "{count} kept records could not be made visible at once; each is when its lease ends ({error})"
        ));
    }
    note(&format!(
        "replayed {}, still quarantined {}",
        run.moved,
        run.kept.len()
    ));
    Ok(ExitCode::SUCCESS)
}

impl Run {
    /// Receives until the quarantine has had nothing new for the quiet while.
    async fn replay_all<Q: Queue + Inbox>(
        &mut self,
        pipeline: &Pipeline<Q>,
        quiet: &mut Quiet,
        out: &mut Lines,
    ) -> Result<(), CliError> {
        loop {
            let asked = Instant::now();
            let batch = pipeline.queue().receive(Lane::Quarantine, 10).await?;
            let mut new = false;
            for received in batch {
                if let Some(handle) = self.kept.get_mut(&received.id) {
                    // Kept earlier in this run; its lease ran out. Hidden again under this receipt.
                    *handle = received.handle;
                    continue;
                }
                new = true;
                self.replay_one(pipeline, received, out).await?;
            }
            if new {
                quiet.busy();
            } else if quiet.empty(asked) {
                return Ok(());
            }
        }
    }

    /// Replays one record: moved to the queue (and said on stdout), or kept (and said why on stderr).
    async fn replay_one<Q: Queue + Inbox>(
        &mut self,
        pipeline: &Pipeline<Q>,
        received: Received,
        out: &mut Lines,
    ) -> Result<(), CliError> {
        let record: QuarantineRecord = match serde_json::from_str(&received.body) {
            Ok(record) => record,
            Err(e) => {
                note(&format!("kept: not a quarantine record ({e})"));
                self.kept.insert(received.id, received.handle);
                return Ok(());
            }
        };
        let why = match pipeline
            .replay(&record)
            .await
            .map_err(|e| CliError::Usage(e.to_string()))?
        {
            Replayed::Queued { id } => {
                pipeline
                    .queue()
                    .delete(Lane::Quarantine, &received.handle)
                    .await?;
                self.moved += 1;
                return out
                    .line(&serde_json::json!({"replayed": id, "type": record.kind}).to_string());
            }
            Replayed::StillUnparsable(reason) => reason.to_string(),
            Replayed::Refused(refusal) => refusal.to_string(),
        };
        note(&format!(
            "kept: {} received {}: {why}",
            record.kind, record.received_at
        ));
        self.kept.insert(received.id, received.handle);
        Ok(())
    }

    /// Makes every kept record visible again at once (not only when its lease ends), for the next look. A
    /// record whose lease has already run out refuses its handle; that is harmless. Returns how many were not
    /// released and the first error.
    async fn release(&self, queue: &impl Inbox) -> Option<(usize, QueueError)> {
        let mut failed: Option<(usize, QueueError)> = None;
        for handle in self.kept.values() {
            if let Err(e) = queue.release(Lane::Quarantine, handle).await {
                let (count, _) = failed.get_or_insert((0, e));
                *count += 1;
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall::Kind;
    use rollcall::config::{Limits, Secrets};
    use rollcall::message::Message;
    use rollcall::queue::Published;
    use std::sync::Mutex;

    /// A quarantine whose leases end at once: every receive hands out every record not deleted, under a new
    /// handle, and only a record's latest handle is valid (as on SQS).
    #[derive(Default)]
    struct Leaky {
        records: Mutex<Vec<(String, String, u32)>>,
        published: Mutex<Vec<String>>,
        released: Mutex<Vec<String>>,
    }

    impl Queue for Leaky {
        async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
            self.published.lock().unwrap().push(message.id.clone());
            Ok(Published::Stored)
        }
        async fn quarantine(&self, _: &QuarantineRecord) -> Result<(), QueueError> {
            Ok(())
        }
    }

    impl Inbox for Leaky {
        async fn receive(&self, _: Lane, max: usize) -> Result<Vec<Received>, QueueError> {
            let mut records = self.records.lock().unwrap();
            Ok(records
                .iter_mut()
                .take(max)
                .map(|(id, body, receipts)| {
                    *receipts += 1;
                    Received {
                        id: id.clone(),
                        handle: format!("{id}#{receipts}"),
                        body: body.clone(),
                    }
                })
                .collect())
        }
        async fn delete(&self, _: Lane, handle: &str) -> Result<(), QueueError> {
            self.records
                .lock()
                .unwrap()
                .retain(|(id, _, n)| format!("{id}#{n}") != handle);
            Ok(())
        }
        async fn release(&self, _: Lane, handle: &str) -> Result<(), QueueError> {
            let latest = self
                .records
                .lock()
                .unwrap()
                .iter()
                .any(|(id, _, n)| format!("{id}#{n}") == handle);
            if !latest {
                return Err(QueueError::Unavailable(format!("stale handle {handle}")));
            }
            self.released.lock().unwrap().push(handle.to_owned());
            Ok(())
        }
        async fn count(&self, _: Lane) -> Result<u64, QueueError> {
            Ok(self.records.lock().unwrap().len() as u64)
        }
    }

    fn record(body: &[u8]) -> String {
        let record = QuarantineRecord::new(
            Kind::OmerloParticipantCreated,
            "refused by an older parser".into(),
            "2026-11-01T00:00:00Z".into(),
            &http::HeaderMap::new(),
            body,
        );
        serde_json::to_string(&record).unwrap()
    }

    #[tokio::test]
    async fn a_run_reads_each_record_once_and_ends_though_leases_run_out() {
        let fixture = rollcall_testkit::deliveries::fixture_text("omerlo-participant-created.json");
        let queue = Leaky::default();
        *queue.records.lock().unwrap() = vec![
            ("kept-1".into(), record(b"{\"truncated\""), 0),
            ("moved".into(), record(fixture.as_bytes()), 0),
            ("kept-2".into(), "not a record".into(), 0),
        ];
        let secrets = Secrets::from_lookup(|var| {
            (var == "OMERLO_API_KEY").then(|| rollcall::config::SAMPLE_OMERLO_API_KEY.to_owned())
        });
        let pipeline = Pipeline::new(secrets, queue, Limits::default());
        let mut run = Run::default();
        let quiet_args = QueueArgs {
            queue: "queue.db".into(),
            quarantine_queue: None,
        };
        let mut quiet = Quiet::new(&quiet_args, Duration::from_secs(20));
        let mut out = Lines::stdout();
        tokio::time::timeout(
            Duration::from_secs(10),
            run.replay_all(&pipeline, &mut quiet, &mut out),
        )
        .await
        .expect("the run ends")
        .unwrap();
        assert_eq!(run.moved, 1);
        assert_eq!(pipeline.queue().published.lock().unwrap().len(), 1);
        assert!(
            run.release(pipeline.queue()).await.is_none(),
            "latest handles"
        );
        let mut released = pipeline.queue().released.lock().unwrap().clone();
        released.sort();
        assert_eq!(
            released,
            ["kept-1#2", "kept-2#2"],
            "each read once, its lease renewed once"
        );
    }
}
