//! The ingest pipeline every entry point runs (the webhook Lambdas and `rollcall serve`): route, check size,
//! authenticate, parse as the kind, build the message, store it (or quarantine the delivery), answer. It knows
//! nothing of Lambda, HTTP servers or SQS: the queue is a port, requests come as plain parts.

use crate::answer::{Accepted, Answer, Rejected};
use crate::config::{Limits, NotConfigured, Secrets};
use crate::kind::Kind;
use crate::message::{Message, format_utc};
use crate::provider::{self, AuthError, Authentic, Unparsable};
use crate::quarantine::QuarantineRecord;
use crate::queue::{Published, Queue, QueueError};
use http::{HeaderMap, Method};
use std::future::Future;
use std::time::Instant;
use time::OffsetDateTime;

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
    /// (Omerlo, Mighty Networks: [`provider::authenticate_headers`]). `None` when the body must be read to
    /// decide. `rollcall serve` asks before it reads a body, so a forged delivery costs no body read.
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
        let received_at = OffsetDateTime::now_utc();
        match parsed {
            Authentic::Readable(change) => {
                let message = Message::build(kind, change, received_at);
                match self.within_deadline(self.queue.publish(&message)).await {
                    Ok(published) => Ok(Accepted::Queued {
                        id: message.id,
                        duplicate: published == Published::Duplicate,
                    }),
                    // Refused for good (SQS's characters or sizes): a retry would fail the same way.
                    Err(QueueError::Refused(refusal)) => {
                        let reason = format!("the queue refused the message: {refusal}");
                        self.quarantine(kind, reason, received_at, headers, body)
                            .await
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Authentic::Unreadable(reason) => {
                self.quarantine(kind, reason.0, received_at, headers, body)
                    .await
            }
        }
    }

    /// Stores a delivery in the quarantine, as verified ([`provider::verified_body`]).
    async fn quarantine(
        &self,
        kind: Kind,
        reason: String,
        received_at: OffsetDateTime,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Accepted, Rejected> {
        // What was verified: a Wix token without the few whitespace bytes around it.
        let body = provider::verified_body(kind, body);
        let record = QuarantineRecord::new(kind, reason, format_utc(received_at), headers, body);
        self.within_deadline(self.queue.quarantine(&record)).await?;
        Ok(Accepted::Quarantined {
            reason: record.reason,
        })
    }

    /// Reads a quarantined delivery again ([`provider::reread`]: a Wix token is verified again, all but its
    /// age) and queues it if it now parses, dated by its own `received_at`. A record this run cannot trust or
    /// date is [`Replayed::Refused`], never queued. The caller removes the record once this returns `Queued`.
    pub async fn replay(&self, record: &QuarantineRecord) -> Result<Replayed, Rejected> {
        let Ok(received_at) = OffsetDateTime::parse(
            &record.received_at,
            &time::format_description::well_known::Rfc3339,
        ) else {
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
        match provider::reread(record.kind, &self.secrets, &body) {
            Ok(Authentic::Readable(change)) => {
                let message = Message::build(record.kind, change, received_at);
                match self.within_deadline(self.queue.publish(&message)).await {
                    Ok(_) => Ok(Replayed::Queued { id: message.id }),
                    Err(QueueError::Refused(refusal)) => Ok(Replayed::StillUnparsable(
                        Unparsable::new(format!("the queue refused the message: {refusal}")),
                    )),
                    Err(e) => Err(e.into()),
                }
            }
            Ok(Authentic::Unreadable(reason)) => Ok(Replayed::StillUnparsable(reason)),
            Err(AuthError::NotConfigured(missing)) => {
                Ok(Replayed::Refused(Refusal::NoKey(missing)))
            }
            Err(AuthError::Unauthorized) => Ok(Replayed::Refused(Refusal::NotAuthentic)),
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
