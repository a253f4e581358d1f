//! The ingest pipeline every entry point runs (the webhook Lambdas and `rollcall serve`): route, check size,
//! authenticate, parse as the kind, build the message, store it (or quarantine the delivery), answer. It knows
//! nothing of Lambda, HTTP servers or SQS: the queue is a port, requests come as plain parts.

use crate::answer::{Accepted, Answer, Rejected};
use crate::config::{Limits, Secrets};
use crate::kind::Kind;
use crate::message::{Message, UtcTime};
use crate::provider::{self, Authentic, Unparsable};
use crate::quarantine::QuarantineRecord;
use crate::queue::{Published, Queue, QueueError};
use http::{HeaderMap, Method};
use std::future::Future;
use std::time::Instant;

/// Which kinds an entry point serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// One kind (a Lambda function): its route, possibly behind a stage prefix.
    Only(Kind),
    /// Every kind, by path (`rollcall serve`).
    Any,
}

impl Route {
    /// The kind this route serves at `path`, if any.
    pub fn resolve(self, path: &str) -> Option<Kind> {
        match self {
            Route::Any => Kind::from_route(path),
            Route::Only(kind) => {
                let path = path.strip_suffix('/').unwrap_or(path);
                path.ends_with(&kind.route()).then_some(kind)
            }
        }
    }
}

/// An HTTP request, as the entry points hand it over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path, without query.
    pub path: &'a str,
    /// The headers, as received.
    pub headers: &'a HeaderMap,
    /// The body bytes, as received (base64 already decoded).
    pub body: &'a [u8],
}

/// What a replay of a quarantined delivery led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// It parses now and is on the queue.
    Queued {
        /// The message id.
        id: String,
    },
    /// It still does not parse.
    StillUnparsable(Unparsable),
}

/// The pipeline: secrets, limits and a queue.
pub struct Pipeline<Q> {
    secrets: Secrets,
    queue: Q,
    limits: Limits,
}

impl<Q: Queue> Pipeline<Q> {
    /// A pipeline over `queue`.
    pub fn new(secrets: Secrets, queue: Q, limits: Limits) -> Pipeline<Q> {
        Pipeline {
            secrets,
            queue,
            limits,
        }
    }

    /// The queue.
    pub fn queue(&self) -> &Q {
        &self.queue
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Serves one request and logs one line for it (kind, id, status, milliseconds; never a body or a secret).
    pub async fn handle(&self, route: Route, request: Request<'_>) -> Answer {
        let started = Instant::now();
        let kind = route.resolve(request.path);
        let result = match kind {
            None => Err(Rejected::NotFound {
                path: request.path.to_owned(),
            }),
            Some(_) if request.method != Method::POST => Err(Rejected::MethodNotAllowed {
                method: request.method.to_string(),
            }),
            Some(kind) => self.ingest(kind, request.headers, request.body).await,
        };
        let answer = Answer::new(&result);
        let ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        let kind = kind.map(Kind::message_type).unwrap_or("-");
        match &result {
            Ok(Accepted::Queued { id, duplicate }) => {
                tracing::info!(
                    kind,
                    id,
                    status = answer.status,
                    outcome = "queued",
                    duplicate,
                    ms
                )
            }
            Ok(Accepted::Quarantined { reason }) => {
                // A reason says where and what, never a value of the delivery (provider::reason).
                tracing::warn!(
                    kind,
                    status = answer.status,
                    outcome = "quarantined",
                    reason,
                    ms
                )
            }
            Err(rejected) => tracing::warn!(
                kind,
                status = answer.status,
                outcome = rejected.code(),
                error = %rejected,
                cause = std::error::Error::source(rejected).map(ToString::to_string),
                ms
            ),
        }
        answer
    }

    /// Authenticates a delivery of `kind` and stores it: as a message, or in the quarantine.
    pub async fn ingest(
        &self,
        kind: Kind,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Accepted, Rejected> {
        let limit = self.limits.max_body_bytes;
        if body.len() > limit {
            return Err(Rejected::TooLarge { limit });
        }
        let parsed = provider::receive(kind, &self.secrets, headers, body)?;
        let received_at = UtcTime::now();
        match parsed {
            Authentic::Readable(change) => {
                let message = Message::build(kind, change, received_at);
                let published = self.within_deadline(self.queue.publish(&message)).await?;
                Ok(Accepted::Queued {
                    id: message.id,
                    duplicate: published == Published::Duplicate,
                })
            }
            Authentic::Unreadable(reason) => {
                let record = QuarantineRecord::new(
                    kind,
                    reason.0.clone(),
                    received_at.to_string(),
                    headers,
                    body,
                );
                self.within_deadline(self.queue.quarantine(&record)).await?;
                Ok(Accepted::Quarantined { reason: reason.0 })
            }
        }
    }

    /// Parses a quarantined delivery again (it was authenticated on receipt) and queues it if it now parses.
    /// The caller removes the record once this returns `Queued`.
    pub async fn replay(&self, record: &QuarantineRecord) -> Result<Replayed, Rejected> {
        let body = match record.body_bytes() {
            Ok(body) => body,
            Err(e) => {
                return Ok(Replayed::StillUnparsable(Unparsable::new(format!(
                    "stored body: {e}"
                ))));
            }
        };
        let received_at = UtcTime::parse(&record.received_at).unwrap_or_else(UtcTime::now);
        match provider::parse(record.kind, &body) {
            Ok(change) => {
                let message = Message::build(record.kind, change, received_at);
                self.within_deadline(self.queue.publish(&message)).await?;
                Ok(Replayed::Queued { id: message.id })
            }
            Err(reason) => Ok(Replayed::StillUnparsable(reason)),
        }
    }

    async fn within_deadline<T>(
        &self,
        operation: impl Future<Output = Result<T, QueueError>>,
    ) -> Result<T, QueueError> {
        tokio::time::timeout(self.limits.queue_deadline, operation)
            .await
            .unwrap_or(Err(QueueError::TimedOut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_serves_its_route_behind_a_stage_prefix() {
        let route = Route::Only(Kind::WixParticipationCreated);
        assert_eq!(
            route.resolve("/webhooks/wix/participation-created"),
            Some(Kind::WixParticipationCreated)
        );
        assert_eq!(
            route.resolve("/prod/webhooks/wix/participation-created/"),
            Some(Kind::WixParticipationCreated)
        );
        assert_eq!(route.resolve("/webhooks/wix/participation-updated"), None);
        assert_eq!(
            Route::Any.resolve("/webhooks/wix/participation-updated"),
            Some(Kind::WixParticipationUpdated)
        );
    }
}
