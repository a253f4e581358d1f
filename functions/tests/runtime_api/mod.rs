//! An in-repo AWS Lambda Runtime API (the HTTP interface a function process polls for work), so tests drive the
//! real function binaries exactly as Lambda does: `GET …/invocation/next`, then `POST …/response` or `…/error`.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};

/// What a function answered to one invocation.
#[derive(Debug)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response(serde_json::Value),
    /// `POST /invocation/{id}/error`, or no answer.
    Error(String),
}

struct Shared {
    next: Mutex<mpsc::UnboundedReceiver<(String, Vec<u8>)>>,
    waiting: std::sync::Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: std::sync::Mutex<Option<String>>,
}

/// A Runtime API server on a loopback port.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    queue: mpsc::UnboundedSender<(String, Vec<u8>)>,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Starts the server.
    pub async fn start() -> RuntimeApi {
        let (queue, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next: Mutex::new(next),
            waiting: Default::default(),
            init_error: Default::default(),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        RuntimeApi {
            addr,
            queue,
            shared,
        }
    }

    /// Hands `event` to the function and waits (at most 10 s) for its outcome.
    pub async fn invoke(&self, event: &[u8]) -> Outcome {
        let id = uuid::Uuid::new_v4().to_string();
        let (done, outcome) = oneshot::channel();
        self.shared.waiting.lock().unwrap().insert(id.clone(), done);
        self.queue.send((id, event.to_vec())).unwrap();
        match tokio::time::timeout(Duration::from_secs(10), outcome).await {
            Ok(Ok(outcome)) => outcome,
            _ => Outcome::Error(format!(
                "no answer within 10 s (init error: {:?})",
                self.shared.init_error.lock().unwrap()
            )),
        }
    }

    /// Starts a function binary of this workspace against this Runtime API, with `env` on top of Lambda's own.
    pub fn spawn(&self, binary: &str, env: &[(&str, String)]) -> tokio::process::Child {
        let mut command = tokio::process::Command::new(binary_path(binary));
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", binary)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{binary}"))
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"))
    }
}

/// The path of a binary Cargo built for this workspace (tests run from `target/<profile>/deps`).
pub fn binary_path(binary: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join(binary)
}

async fn next_invocation(State(shared): State<Arc<Shared>>) -> (HeaderMap, Bytes) {
    let (id, event) = shared
        .next
        .lock()
        .await
        .recv()
        .await
        .expect("runtime API queue open");
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 5_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        deadline.to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:test"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    headers.insert("content-type", "application/json".parse().unwrap());
    (headers, Bytes::from(event))
}

fn finish(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    if let Some(done) = shared.waiting.lock().unwrap().remove(id) {
        let _ = done.send(outcome);
    }
    StatusCode::ACCEPTED
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    finish(&shared, &id, Outcome::Response(value))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(
        &shared,
        &id,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}
