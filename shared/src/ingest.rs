//! The ingest pipeline every entry point runs (the webhook Lambdas and `rollcall serve`): route, check size,
//! authenticate, parse as the kind, build the message, store it (or quarantine the delivery), answer. It knows
//! nothing of Lambda, HTTP servers or SQS: the queue is a port, requests come as plain parts. Authentication and
//! reading each run under [`panics::contain`](crate::panics): a bug never loses an authentic delivery.

use crate::answer::{Accepted, Answer, Rejected};
use crate::config::{Limits, Secrets};
use crate::kind::Kind;
use crate::message::{Message, UtcTime};
use crate::panics::{Panicked, contain};
use crate::provider::{self, Unparsable};
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
            Ok(Accepted::Quarantined {
                reason,
                internal_error,
            }) => {
                // A reason says where and what, never a value of the delivery (provider::reason).
                tracing::warn!(
                    kind,
                    status = answer.status,
                    outcome = if *internal_error {
                        "quarantined_internal_error"
                    } else {
                        "quarantined"
                    },
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

    /// Authenticates a delivery of `kind` and stores it: as a message, or in the quarantine. A panic while
    /// authenticating refuses it ([`Rejected::InternalError`]); a panic while reading it, mapping it or building
    /// its message quarantines it, with a reason that names the kind and says "internal error".
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
        let verified = contain(|| {
            #[cfg(feature = "fault-injection")]
            crate::fault::inject(headers, crate::fault::Step::Authenticate);
            provider::authenticate(kind, &self.secrets, headers, body)
        })
        .map_err(|panicked| {
            log_panic(kind, "authenticate", panicked);
            Rejected::InternalError
        })??;
        let received_at = UtcTime::now();
        let read = contain(|| {
            #[cfg(feature = "fault-injection")]
            crate::fault::inject(headers, crate::fault::Step::Read);
            provider::read(kind, verified, body)
                .map(|change| Message::build(kind, change, received_at))
        });
        let (reason, internal_error) = match read {
            Ok(Ok(message)) => {
                let published = self.within_deadline(self.queue.publish(&message)).await?;
                return Ok(Accepted::Queued {
                    id: message.id,
                    duplicate: published == Published::Duplicate,
                });
            }
            Ok(Err(reason)) => (reason.0, false),
            Err(panicked) => {
                log_panic(kind, "read", panicked);
                (internal_error_reason(kind), true)
            }
        };
        let record =
            QuarantineRecord::new(kind, reason.clone(), received_at.to_string(), headers, body);
        self.within_deadline(self.queue.quarantine(&record)).await?;
        Ok(Accepted::Quarantined {
            reason,
            internal_error,
        })
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
        let read = contain(|| {
            provider::parse(record.kind, &body)
                .map(|change| Message::build(record.kind, change, received_at))
        });
        match read {
            Ok(Ok(message)) => {
                self.within_deadline(self.queue.publish(&message)).await?;
                Ok(Replayed::Queued { id: message.id })
            }
            Ok(Err(reason)) => Ok(Replayed::StillUnparsable(reason)),
            Err(panicked) => {
                log_panic(record.kind, "replay", panicked);
                Ok(Replayed::StillUnparsable(Unparsable::new(
                    internal_error_reason(record.kind),
                )))
            }
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

/// The quarantine reason of a delivery whose reading panicked: the kind and "internal error", no value of it.
fn internal_error_reason(kind: Kind) -> String {
    format!(
        "internal error: reading this {} delivery panicked (a bug in Rollcall); replay it once fixed",
        kind.message_type()
    )
}

/// Logs a contained panic: the kind, the step and where in the code, never the panic's message (crate::panics).
fn log_panic(kind: Kind, step: &'static str, panicked: Panicked) {
    tracing::error!(
        kind = kind.message_type(),
        step,
        panic_at = panicked.at.as_deref().unwrap_or("unknown"),
        "a panic was caught while working on one delivery"
    );
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
