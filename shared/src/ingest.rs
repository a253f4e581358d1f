//! The ingest pipeline every entry point runs (the webhook Lambdas and `rollcall serve`): route, check size,
//! authenticate, parse as the kind, build the message, store it (or quarantine the delivery), answer. It knows
//! nothing of Lambda, HTTP servers or SQS: the queue is a port, requests come as plain parts. Authentication and
//! reading each run under [`panics::contain`](crate::panics): a bug never loses an authentic delivery.

use crate::answer::{Accepted, Answer, Rejected};
use crate::config::{Limits, NotConfigured, Secrets};
use crate::kind::Kind;
use crate::message::{Message, UtcTime};
use crate::panics::{Panicked, contain};
use crate::provider::{self, AuthError, Authentic, Unparsable};
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
    /// Not read: this run cannot trust or date it. It stays in the quarantine.
    Refused(Refusal),
}

/// Why a quarantine record was not replayed, whether or not it would parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its provider's key is not configured (or not usable): only a run that holds it may replay the provider's
    /// records.
    #[error("not replayed, this run needs its provider's key: {0}")]
    NoKey(NotConfigured),
    /// Its Wix token does not verify with the configured keys (signature, header, issuer or audience).
    #[error("not replayed: its Wix token does not verify with the configured key and app id")]
    NotAuthentic,
    /// Its `received_at` is not an RFC 3339 time: the message's `time` cannot be told.
    #[error("not replayed: its received_at is not an RFC 3339 time")]
    ReceivedAt,
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
        let result = match routed(route, request.method, request.path) {
            Ok(kind) => self.ingest(kind, request.headers, request.body).await,
            Err(rejected) => Err(rejected),
        };
        logged(route.resolve(request.path), &result, started)
    }

    /// The answer to a request that its head alone refuses, logged as [`Pipeline::handle`] logs it: a path no
    /// kind is served at, a method other than POST, or credentials in the headers that do not authenticate
    /// (Omerlo, Mighty Networks; Calendly's signature header and its age: [`provider::authenticate_headers`]).
    /// `None` when the body must be read to decide. `rollcall serve` asks before it reads a body, so a forged or
    /// stale delivery costs no body read.
    pub fn refuse_from_head(
        &self,
        route: Route,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Answer> {
        let started = Instant::now();
        let rejected = match routed(route, method, path) {
            Ok(kind) => provider::authenticate_headers(kind, &self.secrets, headers)
                .err()?
                .into(),
            Err(rejected) => rejected,
        };
        Some(logged(route.resolve(path), &Err(rejected), started))
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
            Ok(Ok(message)) => match self.within_deadline(self.queue.publish(&message)).await {
                Ok(published) => {
                    return Ok(Accepted::Queued {
                        id: message.id,
                        duplicate: published == Published::Duplicate,
                    });
                }
                // Refused for good (SQS's characters or sizes): a retry would fail the same way.
                Err(QueueError::Refused(refusal)) => {
                    (format!("the queue refused the message: {refusal}"), false)
                }
                Err(e) => return Err(e.into()),
            },
            Ok(Err(reason)) => (reason.0, false),
            Err(panicked) => {
                log_panic(kind, "read", panicked);
                (internal_error_reason(kind), true)
            }
        };
        self.quarantine(kind, reason, internal_error, received_at, headers, body)
            .await
    }

    /// Stores a delivery in the quarantine, as verified ([`provider::verified_body`]).
    async fn quarantine(
        &self,
        kind: Kind,
        reason: String,
        internal_error: bool,
        received_at: UtcTime,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Accepted, Rejected> {
        // What was verified: a Wix token without the few whitespace bytes around it.
        let body = provider::verified_body(kind, body);
        let record = QuarantineRecord::new(kind, reason, received_at.to_string(), headers, body);
        self.within_deadline(self.queue.quarantine(&record)).await?;
        Ok(Accepted::Quarantined {
            reason: record.reason,
            internal_error,
        })
    }

    /// Reads a quarantined delivery again ([`provider::reread`]: a Wix token is verified again, all but its
    /// age) and queues it if it now parses, dated by its own `received_at`. A record this run cannot trust or
    /// date is [`Replayed::Refused`], never queued. A panic while reading it keeps it, as
    /// [`Pipeline::ingest`] does. The caller removes the record once this returns `Queued`.
    pub async fn replay(&self, record: &QuarantineRecord) -> Result<Replayed, Rejected> {
        let Some(received_at) = UtcTime::parse(&record.received_at) else {
            return Ok(Replayed::Refused(Refusal::ReceivedAt));
        };
        let body = match record.body_bytes() {
            Ok(body) => body,
            Err(e) => {
                return Ok(Replayed::StillUnparsable(Unparsable::new(format!(
                    "stored body: {e}"
                ))));
            }
        };
        let read = contain(|| {
            provider::reread(record.kind, &self.secrets, &body).map(|authentic| match authentic {
                Authentic::Readable(change) => Ok(Message::build(record.kind, change, received_at)),
                Authentic::Unreadable(reason) => Err(reason),
            })
        });
        match read {
            Ok(Ok(Ok(message))) => match self.within_deadline(self.queue.publish(&message)).await {
                Ok(_) => Ok(Replayed::Queued { id: message.id }),
                Err(QueueError::Refused(refusal)) => Ok(Replayed::StillUnparsable(
                    Unparsable::new(format!("the queue refused the message: {refusal}")),
                )),
                Err(e) => Err(e.into()),
            },
            Ok(Ok(Err(reason))) => Ok(Replayed::StillUnparsable(reason)),
            Ok(Err(AuthError::NotConfigured(missing))) => {
                Ok(Replayed::Refused(Refusal::NoKey(missing)))
            }
            Ok(Err(AuthError::Unauthorized)) => Ok(Replayed::Refused(Refusal::NotAuthentic)),
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

/// The kind `route` serves at `path` to `method`, or why none does (no route: `404`; not POST: `405`).
fn routed(route: Route, method: &Method, path: &str) -> Result<Kind, Rejected> {
    match route.resolve(path) {
        None => Err(Rejected::not_found(path)),
        Some(_) if method != Method::POST => Err(Rejected::MethodNotAllowed {
            method: method.to_string(),
        }),
        Some(kind) => Ok(kind),
    }
}

/// The answer to `result`, with its one log line (kind, id, status, milliseconds; never a body or a secret).
fn logged(kind: Option<Kind>, result: &Result<Accepted, Rejected>, started: Instant) -> Answer {
    let answer = Answer::new(result);
    let ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let kind = kind.map(Kind::message_type).unwrap_or("-");
    match result {
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
