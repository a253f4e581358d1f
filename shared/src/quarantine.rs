//! The quarantine record: an authentic delivery that did not parse as its kind, or that the queue refused as a
//! message, kept whole (minus credentials) so that `rollcall quarantine replay` can re-ingest it after a fix.
//!
//! A record always fits its queue for any body up to [`LARGEST_BODY_LIMIT`]: the body is stored as base64 whenever
//! JSON escaping would make it larger than base64 (a body of control characters escapes to six times its size),
//! the copied headers and the reason are bounded, and [`QuarantineRecord::to_body`] checks the final size.

use crate::kind::{Kind, Provider};
use crate::sqs_text::{Body, MAX_BODY_BYTES, Refusal, json_len};
use base64::Engine as _;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Headers never stored: they carry credentials. Calendly's signature is one: a record is replayed without it
/// (`provider::reread`), and kept it would hand whoever reads the quarantine a delivery valid for hours.
const SECRET_HEADERS: [&str; 7] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "calendly-webhook-signature",
    "cookie",
    "set-cookie",
    "x-amz-security-token",
];

/// The most headers a record copies; the others are counted in `headers_left_out`.
pub const MAX_HEADERS: usize = 64;
/// The most bytes the copied headers take in the record's JSON (names, values, quotes and separators).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// The most bytes a reason takes in the record's JSON; a longer one is cut, and ends with `…`.
pub const MAX_REASON_BYTES: usize = 1024;
/// Room for the rest of a record: the keys, the kind, the time of receipt.
const RECORD_ROOM: usize = 512;
/// The largest body limit (`ROLLCALL_MAX_BODY_BYTES`) for which every record fits its queue: the body in base64
/// (4 bytes for 3) beside the bounded headers and reason, within [`MAX_BODY_BYTES`].
pub const LARGEST_BODY_LIMIT: usize =
    (MAX_BODY_BYTES - MAX_HEADER_BYTES - MAX_REASON_BYTES - RECORD_ROOM) / 4 * 3;

/// One quarantined delivery (the quarantine queue's message body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuarantineRecord {
    /// The kind of the route it was delivered to.
    pub kind: Kind,
    /// Why it did not parse.
    pub reason: String,
    /// When it was received (RFC 3339, UTC).
    pub received_at: String,
    /// The request's headers, without credentials; repeated headers are joined with `, `. At most
    /// [`MAX_HEADERS`] names and [`MAX_HEADER_BYTES`].
    pub headers: BTreeMap<String, String>,
    /// How many header fields were not copied, over the bounds (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub headers_left_out: usize,
    /// The body: UTF-8 text, or base64 when `body_base64` is true.
    pub body: String,
    /// Whether `body` is base64: the received bytes were not UTF-8, or JSON escaping would have made them
    /// larger than base64.
    pub body_base64: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl QuarantineRecord {
    /// A record of a delivery, credentials left out, headers and reason bounded.
    pub fn new(
        kind: Kind,
        reason: String,
        received_at: String,
        headers: &HeaderMap,
        body: &[u8],
    ) -> QuarantineRecord {
        let (headers, headers_left_out) = bounded_headers(headers);
        let base64_len = body.len().div_ceil(3) * 4;
        let (body, body_base64) = match std::str::from_utf8(body) {
            Ok(text) if json_len(text) <= base64_len => (text.to_owned(), false),
            _ => (base64::engine::general_purpose::STANDARD.encode(body), true),
        };
        QuarantineRecord {
            kind,
            reason: bounded_reason(reason),
            received_at,
            headers,
            headers_left_out,
            body,
            body_base64,
        }
    }

    /// The record as a queue body (see [`Body`]); refused only when over the queue's limit, which a record of a
    /// body up to [`LARGEST_BODY_LIMIT`] never is.
    pub fn to_body(&self) -> Result<Body, Refusal> {
        Body::json(self)
    }

    /// What identifies the delivery among the quarantined ones of its route, as a hex SHA-256: the same delivery
    /// posted again has the same key, so a queue keeps it once. A Wix delivery is its token's signature (the
    /// last of its three parts), which no one without the app's key can vary; any other delivery is its body.
    pub fn delivery_key(&self) -> String {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        match self.kind.provider() {
            Provider::Wix if !self.body_base64 => {
                let signature = self
                    .body
                    .rsplit_once('.')
                    .map_or(self.body.as_str(), |(_, s)| s);
                context.update(b"wix-signature:");
                context.update(signature.as_bytes());
            }
            _ => {
                context.update(&[u8::from(self.body_base64)]);
                context.update(self.body.as_bytes());
            }
        }
        context
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The body's bytes as received.
    pub fn body_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        if self.body_base64 {
            base64::engine::general_purpose::STANDARD.decode(&self.body)
        } else {
            Ok(self.body.as_bytes().to_vec())
        }
    }
}

/// The headers to copy, within [`MAX_HEADERS`] and [`MAX_HEADER_BYTES`], and how many fields were left out.
fn bounded_headers(headers: &HeaderMap) -> (BTreeMap<String, String>, usize) {
    let (mut kept, mut bytes, mut left_out) = (BTreeMap::<String, String>::new(), 0, 0);
    for (name, value) in headers {
        if SECRET_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes());
        let repeated = kept.contains_key(name.as_str());
        // `"name":"value",` for a new name, `, value` for a repeated one.
        let cost = if repeated {
            2 + json_len(&value)
        } else {
            json_len(name.as_str()) + json_len(&value) + 6
        };
        let fits = bytes + cost <= MAX_HEADER_BYTES && (repeated || kept.len() < MAX_HEADERS);
        if !fits {
            left_out += 1;
            continue;
        }
        bytes += cost;
        match kept.get_mut(name.as_str()) {
            Some(joined) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => {
                kept.insert(name.as_str().to_owned(), value.into_owned());
            }
        }
    }
    (kept, left_out)
}

/// `reason`, cut to [`MAX_REASON_BYTES`] of JSON with `…` at the end when longer.
fn bounded_reason(reason: String) -> String {
    if json_len(&reason) <= MAX_REASON_BYTES {
        return reason;
    }
    let mut cut = String::new();
    let mut bytes = 0;
    for c in reason.chars() {
        bytes += json_len(c.encode_utf8(&mut [0; 4]));
        if bytes > MAX_REASON_BYTES - '…'.len_utf8() {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_kept_and_bytes_survive() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        headers.insert("authorization", "Bearer secret".parse().unwrap());
        headers.insert(
            "calendly-webhook-signature",
            "t=1,v1=secret".parse().unwrap(),
        );
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.append("x-forwarded-for", "1.1.1.1".parse().unwrap());
        headers.append("x-forwarded-for", "2.2.2.2".parse().unwrap());
        let body = [0xff, 0xfe, b'{'];
        let record = QuarantineRecord::new(
            Kind::OmerloParticipantCreated,
            "r".into(),
            "t".into(),
            &headers,
            &body,
        );
        assert_eq!(record.headers.len(), 2);
        assert_eq!(record.headers["x-forwarded-for"], "1.1.1.1, 2.2.2.2");
        assert!(!serde_json::to_string(&record).unwrap().contains("secret"));
        assert!(record.body_base64);
        assert_eq!(record.body_bytes().unwrap(), body);
    }

    /// The most headers and header bytes a record keeps, and a reason longer than it keeps.
    fn worst_headers_and_reason() -> (HeaderMap, String) {
        let mut headers = HeaderMap::new();
        for i in 0..200 {
            let name = http::HeaderName::try_from(format!("x-padding-{i}")).unwrap();
            headers.insert(name, "\"\\".repeat(40).parse().unwrap());
        }
        (headers, "payload.\u{1}".repeat(1000))
    }

    #[test]
    fn the_worst_bodies_at_the_largest_limit_fit_the_queue() {
        let (headers, reason) = worst_headers_and_reason();
        for c in ['\u{1}', '"', '\\', '\u{B}', '\u{FFFF}', 'é'] {
            let body = c.to_string().repeat(LARGEST_BODY_LIMIT / c.len_utf8());
            let record = QuarantineRecord::new(
                Kind::OmerloParticipantCreated,
                reason.clone(),
                "2026-01-01T00:00:00Z".into(),
                &headers,
                body.as_bytes(),
            );
            let written = record.to_body().unwrap_or_else(|e| panic!("{c:?}: {e}"));
            assert!(written.as_str().len() <= MAX_BODY_BYTES, "{c:?}");
            let back: QuarantineRecord = serde_json::from_str(written.as_str()).unwrap();
            assert_eq!(back.body_bytes().unwrap(), body.as_bytes(), "{c:?}");
        }
    }

    #[test]
    fn a_body_is_base64_only_when_escaping_would_be_larger() {
        let record = |body: &str| {
            QuarantineRecord::new(
                Kind::OmerloParticipantCreated,
                "r".into(),
                "t".into(),
                &HeaderMap::new(),
                body.as_bytes(),
            )
        };
        let readable = record(r#"{"name": "Ada", "note": "a \"quoted\" word"}"#);
        assert!(!readable.body_base64);
        assert!(record(&"\u{1}".repeat(30)).body_base64);
        assert!(record(&"\"".repeat(30)).body_base64);
    }

    #[test]
    fn headers_and_reasons_are_bounded() {
        let (headers, reason) = worst_headers_and_reason();
        let record = QuarantineRecord::new(
            Kind::OmerloParticipantCreated,
            reason,
            "t".into(),
            &headers,
            b"{}",
        );
        assert!(record.headers.len() <= MAX_HEADERS);
        assert_eq!(record.headers.len() + record.headers_left_out, 200);
        let headers_json = serde_json::to_string(&record.headers).unwrap();
        assert!(
            headers_json.len() <= MAX_HEADER_BYTES,
            "{}",
            headers_json.len()
        );
        assert!(json_len(&record.reason) <= MAX_REASON_BYTES);
        assert!(record.reason.ends_with('…') && record.reason.starts_with("payload."));
        let short = QuarantineRecord::new(
            Kind::OmerloParticipantCreated,
            "r".into(),
            "t".into(),
            &HeaderMap::new(),
            b"{}",
        );
        assert!(
            !serde_json::to_string(&short)
                .unwrap()
                .contains("headers_left_out")
        );
    }
}
