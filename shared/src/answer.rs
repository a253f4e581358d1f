//! The HTTP contract every entry point shares: what a delivery led to ([`Accepted`] or [`Rejected`]) and the
//! one mapping of each to a status and a JSON body.

use crate::config::NotConfigured;
use crate::provider::AuthError;
use crate::queue::QueueError;
use serde_json::json;

/// A delivery the provider may forget about: it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The message is on the queue (or was already: a retry of the same change).
    Queued {
        /// The message id.
        id: String,
        /// True when the queue already held this id (the provider retried).
        duplicate: bool,
    },
    /// Authentic but not readable as its kind, or reading it hit a bug in Rollcall (a panic): stored in the
    /// quarantine for replay.
    Quarantined {
        /// Why it did not parse; for a bug, the kind and "internal error", never a value of the delivery.
        reason: String,
        /// True when reading, mapping or building the message panicked (a bug, not the delivery's shape).
        internal_error: bool,
    },
}

/// A delivery that was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// No credentials, or wrong ones.
    #[error("missing or wrong credentials")]
    Unauthorized,
    /// A secret or queue address is missing or unusable on this deployment.
    #[error(transparent)]
    NotConfigured(#[from] NotConfigured),
    /// The body is over the limit.
    #[error("the body is over the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Webhooks are delivered with POST only.
    #[error("method {method} is not allowed here; webhooks are delivered with POST")]
    MethodNotAllowed {
        /// The method used.
        method: String,
    },
    /// No webhook kind is served at this path.
    #[error("no webhook route at {path}")]
    NotFound {
        /// The path asked for, as [`Rejected::not_found`] writes it: percent-encoded and bounded.
        path: String,
    },
    /// The queue did not take the message in time; nothing was stored and the provider should retry.
    #[error("the queue is unavailable; nothing was stored, retry later")]
    QueueUnavailable(#[source] QueueError),
    /// The body did not arrive in time (`rollcall serve`).
    #[error("the body did not arrive within {ms} ms")]
    BodyTimeout {
        /// The time allowed, in milliseconds.
        ms: u64,
    },
    /// The request target (path and query) is too long (`rollcall serve`).
    #[error("the request target is over the limit of {limit} bytes")]
    UriTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Too many headers, or too many header bytes (`rollcall serve`).
    #[error("the headers are over the limit of {count} fields or {bytes} bytes")]
    HeadersTooLarge {
        /// The most header fields.
        count: usize,
        /// The most header bytes (names, values and their separators).
        bytes: usize,
    },
    /// Authenticating the delivery panicked (a bug in Rollcall): nothing was stored, the provider should retry.
    #[error("an internal error stopped the delivery; nothing was stored, retry later")]
    InternalError,
}

impl From<AuthError> for Rejected {
    fn from(error: AuthError) -> Rejected {
        match error {
            AuthError::Unauthorized => Rejected::Unauthorized,
            AuthError::NotConfigured(missing) => Rejected::NotConfigured(missing),
        }
    }
}

impl From<QueueError> for Rejected {
    fn from(error: QueueError) -> Rejected {
        match error {
            QueueError::NotConfigured(missing) => Rejected::NotConfigured(missing),
            other => Rejected::QueueUnavailable(other),
        }
    }
}

/// The most bytes of a refused path that an answer or a log line repeats ([`Rejected::not_found`]).
pub const MAX_LOGGED_PATH_BYTES: usize = 256;

impl Rejected {
    /// A `404` for `path`, which no one authenticated: it is repeated percent-encoded (every byte outside
    /// visible ASCII, and `%`, as `%XX`: no line break, control, bidirectional mark or escape code reaches a log
    /// or a terminal) and cut to [`MAX_LOGGED_PATH_BYTES`], marked with a final `...`.
    pub fn not_found(path: &str) -> Rejected {
        let mut shown = String::with_capacity(path.len().min(MAX_LOGGED_PATH_BYTES));
        for byte in path.bytes() {
            let visible = byte.is_ascii_graphic() && byte != b'%';
            if shown.len() + if visible { 1 } else { 3 } > MAX_LOGGED_PATH_BYTES {
                shown.push_str("...");
                break;
            }
            if visible {
                shown.push(char::from(byte));
            } else {
                shown.push_str(&format!("%{byte:02X}"));
            }
        }
        Rejected::NotFound { path: shown }
    }

    /// A short machine-readable code, the `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::Unauthorized => "unauthorized",
            Rejected::NotConfigured(_) => "not_configured",
            Rejected::TooLarge { .. } => "payload_too_large",
            Rejected::MethodNotAllowed { .. } => "method_not_allowed",
            Rejected::NotFound { .. } => "not_found",
            Rejected::QueueUnavailable(_) => "queue_unavailable",
            Rejected::BodyTimeout { .. } => "request_timeout",
            Rejected::UriTooLong { .. } => "uri_too_long",
            Rejected::HeadersTooLarge { .. } => "headers_too_large",
            Rejected::InternalError => "internal_error",
        }
    }

    /// The HTTP status; never `410`, on which Calendly deletes the subscription.
    pub fn status(&self) -> u16 {
        match self {
            Rejected::Unauthorized => 401,
            Rejected::NotFound { .. } => 404,
            Rejected::MethodNotAllowed { .. } => 405,
            Rejected::BodyTimeout { .. } => 408,
            Rejected::TooLarge { .. } => 413,
            Rejected::UriTooLong { .. } => 414,
            Rejected::HeadersTooLarge { .. } => 431,
            Rejected::InternalError => 500,
            Rejected::NotConfigured(_) | Rejected::QueueUnavailable(_) => 503,
        }
    }
}

/// An HTTP answer: a status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

impl Answer {
    /// The answer for what a delivery led to.
    pub fn new(result: &Result<Accepted, Rejected>) -> Answer {
        let (status, body) = match result {
            Ok(Accepted::Queued { id, .. }) => (200, json!({"status": "queued", "id": id})),
            Ok(Accepted::Quarantined { reason, .. }) => {
                (200, json!({"status": "quarantined", "reason": reason}))
            }
            Err(rejected) => {
                let mut body = json!({
                    "status": "error",
                    "error": rejected.code(),
                    "message": rejected.to_string(),
                });
                if let Rejected::NotConfigured(missing) = rejected {
                    body["variable"] = json!(missing.var);
                }
                (rejected.status(), body)
            }
        };
        Answer {
            status,
            body: body.to_string(),
        }
    }

    /// The answer while settings are malformed: 503 `not_configured`, naming every malformed variable (in
    /// `variables`) and why.
    pub fn malformed(malformed: &crate::settings::Malformed) -> Answer {
        let body = json!({
            "status": "error",
            "error": "not_configured",
            "message": malformed.to_string(),
            "variables": malformed.vars(),
        });
        Answer {
            status: 503,
            body: body.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_has_its_status_and_a_json_body() {
        let cases = [
            (Rejected::Unauthorized, 401),
            (Rejected::NotFound { path: "/x".into() }, 404),
            (
                Rejected::MethodNotAllowed {
                    method: "GET".into(),
                },
                405,
            ),
            (Rejected::TooLarge { limit: 1 }, 413),
            (Rejected::BodyTimeout { ms: 1 }, 408),
            (Rejected::UriTooLong { limit: 1 }, 414),
            (Rejected::HeadersTooLarge { count: 1, bytes: 1 }, 431),
            (
                Rejected::NotConfigured(NotConfigured {
                    var: "OMERLO_API_KEY",
                    why: "unset".into(),
                }),
                503,
            ),
            (Rejected::QueueUnavailable(QueueError::TimedOut), 503),
            (Rejected::InternalError, 500),
        ];
        for (rejected, status) in cases {
            let answer = Answer::new(&Err(rejected.clone()));
            assert_eq!(answer.status, status);
            // Calendly deletes a subscription at once on a 410 (Wix and others give up on it too).
            assert_ne!(answer.status, 410, "{rejected:?}");
            let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            assert_eq!(body["error"], rejected.code());
            assert!(!body["message"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn a_refused_path_is_repeated_percent_encoded_and_bounded() {
        let Rejected::NotFound { path } =
            Rejected::not_found("/a b%\u{85}\u{9b}31m\u{2028}\u{202e}\r\n\x1b[2J/ok")
        else {
            unreachable!()
        };
        assert_eq!(
            path,
            "/a%20b%25%C2%85%C2%9B31m%E2%80%A8%E2%80%AE%0D%0A%1B[2J/ok"
        );
        let Rejected::NotFound { path } = Rejected::not_found(&"\u{2028}".repeat(1000)) else {
            unreachable!()
        };
        assert!(path.len() <= MAX_LOGGED_PATH_BYTES + 3 && path.ends_with("..."));
        assert!(path.bytes().all(|b| b.is_ascii_graphic()));
    }

    #[test]
    fn missing_secret_names_the_variable() {
        let answer = Answer::new(&Err(Rejected::NotConfigured(NotConfigured {
            var: "WIX_PUBLIC_KEY",
            why: "the variable is not set".into(),
        })));
        assert!(answer.body.contains(r#""variable":"WIX_PUBLIC_KEY""#));
    }

    #[test]
    fn accepted_answers() {
        let queued = Answer::new(&Ok(Accepted::Queued {
            id: "a".into(),
            duplicate: false,
        }));
        assert_eq!(
            (queued.status, queued.body.as_str()),
            (200, r#"{"id":"a","status":"queued"}"#)
        );
        for internal_error in [false, true] {
            let q = Answer::new(&Ok(Accepted::Quarantined {
                reason: "r".into(),
                internal_error,
            }));
            assert_eq!(q.body, r#"{"reason":"r","status":"quarantined"}"#);
        }
    }
}
