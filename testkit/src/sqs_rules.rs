//! A loopback HTTP proxy in front of the loopback SQS server (moto) that applies the rules moto does not: SQS's
//! character rule on a `SendMessage` body and string attributes (`#x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
//! #x10000–#x10FFFF`), non-empty string attributes, and the queue's `MaximumMessageSize` over body and attributes.
//! A message SQS would refuse is answered as SQS answers it (awsJson1_0, with the `x-amzn-query-error` header
//! the SDK reads the error code from); every other request is forwarded to the server as it is.
//!
//! The rule is written out here again, not taken from `rollcall::sqs_text`: the tests hold Rollcall to SQS's
//! documentation, not to itself.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// SQS's largest message on a queue created with the 256 KiB maximum, the value `template.yaml` pins.
pub const MAX_MESSAGE_BYTES: usize = 262_144;

/// A running proxy; it stops with the test's runtime.
pub struct SqsRules {
    /// Where it listens.
    pub addr: SocketAddr,
    refused: Arc<AtomicUsize>,
}

struct Shared {
    upstream: SocketAddr,
    max_message_bytes: usize,
    refused: Arc<AtomicUsize>,
}

impl SqsRules {
    /// A proxy in front of `upstream` (an `http://host:port` endpoint) for queues of `max_message_bytes`.
    pub async fn start(upstream: &str, max_message_bytes: usize) -> SqsRules {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the loopback endpoint is http://host:port");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let refused = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            upstream,
            max_message_bytes,
            refused: refused.clone(),
        });
        let app = Router::new().fallback(handle).with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        SqsRules { addr, refused }
    }

    /// The endpoint to give a client (`AWS_ENDPOINT_URL`); queue URLs keep naming the server.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many `SendMessage` requests it refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return plain(StatusCode::BAD_REQUEST, "unreadable request body");
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let refused = (target == Some("AmazonSQS.SendMessage"))
        .then(|| refusal(&bytes, shared.max_message_bytes))
        .flatten();
    if let Some((code, message)) = refused {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        return sqs_error(code, &message);
    }
    match forward(shared.upstream, http::Request::from_parts(parts, bytes)).await {
        Ok(response) => response,
        Err(e) => plain(StatusCode::BAD_GATEWAY, &e.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessage {
    message_body: String,
    #[serde(default)]
    message_attributes: BTreeMap<String, Attribute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attribute {
    data_type: String,
    string_value: Option<String>,
}

/// SQS's error code and message for a `SendMessage` request it would refuse; `None` when it would take it.
fn refusal(request: &[u8], max_message_bytes: usize) -> Option<(&'static str, String)> {
    let Ok(send) = serde_json::from_slice::<SendMessage>(request) else {
        // Not ours to judge: the server answers it.
        return None;
    };
    if let Some(c) = send.message_body.chars().find(|c| !accepted(*c)) {
        return Some((
            "InvalidMessageContents",
            format!(
                "Invalid binary character '#x{:X}' was found in the message body, the set of allowed characters \
                 is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                u32::from(c)
            ),
        ));
    }
    let mut size = send.message_body.len();
    for (name, attribute) in &send.message_attributes {
        let value = attribute.string_value.as_deref().unwrap_or_default();
        if value.is_empty() {
            return Some((
                "InvalidParameterValue",
                format!(
                    "Message (user) attribute '{name}' must contain a non-empty value of type 'String'."
                ),
            ));
        }
        if let Some(c) = value.chars().find(|c| !accepted(*c)) {
            return Some((
                "InvalidMessageContents",
                format!(
                    "Invalid binary character '#x{:X}' was found in the message attribute '{name}'",
                    u32::from(c)
                ),
            ));
        }
        size += name.len() + attribute.data_type.len() + value.len();
    }
    (size > max_message_bytes).then(|| {
        (
            "InvalidParameterValue",
            format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max_message_bytes} bytes."
            ),
        )
    })
}

/// SQS's character rule.
fn accepted(c: char) -> bool {
    let c = u32::from(c);
    c == 0x9
        || c == 0xA
        || c == 0xD
        || (0x20..=0xD7FF).contains(&c)
        || (0xE000..=0xFFFD).contains(&c)
        || (0x10000..=0x10FFFF).contains(&c)
}

/// An SQS client error as the JSON protocol answers it.
fn sqs_error(code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({"__type": format!("com.amazonaws.sqs#{code}"), "message": message});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("{code};Sender")) {
        headers.insert("x-amzn-query-error", value);
    }
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_owned()));
    *response.status_mut() = status;
    response
}

/// Sends `request` to `upstream` on a connection of its own and returns the answer.
async fn forward(
    upstream: SocketAddr,
    request: http::Request<Bytes>,
) -> Result<Response, Box<dyn std::error::Error + Send + Sync>> {
    let stream = tokio::net::TcpStream::connect(upstream).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let response = sender.send_request(request.map(Full::new)).await?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(body: &str, attributes: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "QueueUrl": "http://q", "MessageBody": body, "MessageAttributes": attributes
        }))
        .unwrap()
    }

    #[test]
    fn the_rules_are_sqss() {
        let ok = serde_json::json!({"type": {"DataType": "String", "StringValue": "t"}});
        assert_eq!(refusal(&send(r#"{"a":"\uffff"}"#, ok.clone()), 100), None);
        assert_eq!(
            refusal(&send("a\u{FFFF}", ok.clone()), 100).unwrap().0,
            "InvalidMessageContents"
        );
        assert_eq!(
            refusal(&send("a\u{1}", ok.clone()), 100).unwrap().0,
            "InvalidMessageContents"
        );
        let bad = serde_json::json!({"subject": {"DataType": "String", "StringValue": "\u{FFFE}"}});
        assert_eq!(
            refusal(&send("a", bad), 100).unwrap().0,
            "InvalidMessageContents"
        );
        let empty = serde_json::json!({"subject": {"DataType": "String", "StringValue": ""}});
        assert_eq!(
            refusal(&send("a", empty), 100).unwrap().0,
            "InvalidParameterValue"
        );
        // Body 90 + "type" + "String" + "t" = 101.
        assert_eq!(
            refusal(&send(&"x".repeat(90), ok.clone()), 100).unwrap().0,
            "InvalidParameterValue"
        );
        assert_eq!(refusal(&send(&"x".repeat(89), ok), 100), None);
    }
}
