//! The quarantine record: an authentic delivery that did not parse as its kind, kept whole (minus credentials)
//! so that `rollcall quarantine replay` can re-ingest it after a parser fix.

use crate::kind::{Kind, Provider};
use base64::Engine as _;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Headers never stored: they carry credentials.
const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "cookie",
    "set-cookie",
    "x-amz-security-token",
];

/// One quarantined delivery (the quarantine queue's message body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuarantineRecord {
    /// The kind of the route it was delivered to.
    pub kind: Kind,
    /// Why it did not parse.
    pub reason: String,
    /// When it was received (RFC 3339, UTC).
    pub received_at: String,
    /// The request's headers, without credentials; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body: UTF-8 text, or base64 when `body_base64` is true.
    pub body: String,
    /// Whether `body` is base64 (the received bytes were not UTF-8).
    pub body_base64: bool,
}

impl QuarantineRecord {
    /// A record of a delivery, credentials left out.
    pub fn new(
        kind: Kind,
        reason: String,
        received_at: String,
        headers: &HeaderMap,
        body: &[u8],
    ) -> QuarantineRecord {
        let mut kept: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            if SECRET_HEADERS.contains(&name.as_str()) {
                continue;
            }
            let value = String::from_utf8_lossy(value.as_bytes());
            kept.entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        let (body, body_base64) = match std::str::from_utf8(body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
        };
        QuarantineRecord {
            kind,
            reason,
            received_at,
            headers: kept,
            body,
            body_base64,
        }
    }

    /// What identifies the delivery among the quarantined ones of its route, as a hex SHA-256: the same delivery
    /// posted again has the same key, so a queue keeps it once. A Wix delivery is its token's signature (the
    /// last of its three parts), which no one without the app's key can vary; any other delivery is its body.
    pub fn delivery_key(&self) -> String {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        match self.kind.provider() {
            Provider::Wix if !self.body_base64 => {
                let signature = self.body.rsplit('.').next().unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_never_kept_and_bytes_survive() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        headers.insert("authorization", "Bearer secret".parse().unwrap());
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
}
