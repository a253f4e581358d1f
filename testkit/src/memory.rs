//! A queue in memory for the tests: it keeps every published message body and every quarantine record, in
//! order, and stores whatever it is given (no de-duplication, no deadline).

use rollcall::message::Message;
use rollcall::quarantine::QuarantineRecord;
use rollcall::queue::{Published, Queue, QueueError};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The messages and quarantine records a pipeline stored.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<Vec<String>>,
    quarantined: Mutex<Vec<QuarantineRecord>>,
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// The queue bodies of the published messages, oldest first.
    pub fn messages(&self) -> Vec<String> {
        lock(&self.messages).clone()
    }

    /// The quarantine records, oldest first.
    pub fn quarantined(&self) -> Vec<QuarantineRecord> {
        lock(&self.quarantined).clone()
    }
}

/// A test that panicked while holding a lock leaves the data as it was: read on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Queue for MemoryQueue {
    async fn publish(&self, message: &Message) -> Result<Published, QueueError> {
        // As the real queues do: a body SQS would refuse is refused for good.
        let body = message.to_body().map_err(QueueError::Refused)?;
        lock(&self.messages).push(body.into_string());
        Ok(Published::Stored)
    }

    async fn quarantine(&self, record: &QuarantineRecord) -> Result<(), QueueError> {
        record.to_body().map_err(QueueError::Refused)?;
        lock(&self.quarantined).push(record.clone());
        Ok(())
    }
}
