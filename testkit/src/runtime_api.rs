//! An in-repo AWS Lambda Runtime API (the HTTP interface a function process polls for work), so tests and
//! benchmarks drive the real function binaries exactly as Lambda does: `GET …/invocation/next`, then
//! `POST …/response` or `…/error`.
//!
//! For measurements it also notes when the first `GET …/invocation/next` arrived (the end of a function's init)
//! and when each answer arrived.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc, oneshot};

/// How long [`RuntimeApi::invoke`] waits for an answer.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a function answered to one invocation.
#[derive(Debug)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response(serde_json::Value),
    /// `POST /invocation/{id}/error`, or no answer.
    Error(String),
}

/// An outcome and when it arrived at the Runtime API (`None` when there was no answer).
#[derive(Debug)]
pub struct Timed {
    /// What the function answered.
    pub outcome: Outcome,
    /// When its answer arrived.
    pub answered_at: Option<Instant>,
}

type Waiting = HashMap<String, oneshot::Sender<(Outcome, Instant)>>;

struct Shared {
    next: Mutex<mpsc::UnboundedReceiver<(String, Vec<u8>)>>,
    waiting: std::sync::Mutex<Waiting>,
    init_error: std::sync::Mutex<Option<String>>,
    first_next: OnceLock<Instant>,
}

/// A Runtime API server on a loopback port; it stops when dropped.
pub struct RuntimeApi {
    /// Where it listens (`AWS_LAMBDA_RUNTIME_API`).
    pub addr: SocketAddr,
    queue: mpsc::UnboundedSender<(String, Vec<u8>)>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Starts the server.
    pub async fn start() -> RuntimeApi {
        let (queue, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next: Mutex::new(next),
            waiting: Default::default(),
            init_error: Default::default(),
            first_next: OnceLock::new(),
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the Runtime API");
        let addr = listener.local_addr().expect("the bound address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RuntimeApi {
            addr,
            queue,
            shared,
            server,
        }
    }

    /// Hands `event` to the function and waits (at most [`INVOKE_TIMEOUT`]) for its outcome.
    pub async fn invoke(&self, event: &[u8]) -> Outcome {
        self.invoke_timed(event).await.outcome
    }

    /// Like [`RuntimeApi::invoke`], also telling when the answer arrived.
    pub async fn invoke_timed(&self, event: &[u8]) -> Timed {
        let id = uuid::Uuid::new_v4().to_string();
        let (done, outcome) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .expect("waiting map")
            .insert(id.clone(), done);
        self.queue
            .send((id, event.to_vec()))
            .expect("the Runtime API holds its queue");
        match tokio::time::timeout(INVOKE_TIMEOUT, outcome).await {
            Ok(Ok((outcome, at))) => Timed {
                outcome,
                answered_at: Some(at),
            },
            _ => Timed {
                outcome: Outcome::Error(format!(
                    "no answer within {} s (init error: {:?})",
                    INVOKE_TIMEOUT.as_secs(),
                    self.init_error()
                )),
                answered_at: None,
            },
        }
    }

    /// When the first `GET …/invocation/next` arrived: the end of the function's init.
    pub fn first_next_at(&self) -> Option<Instant> {
        self.shared.first_next.get().copied()
    }

    /// What the function posted to `…/init/error`, if anything.
    pub fn init_error(&self) -> Option<String> {
        self.shared.init_error.lock().expect("init error").clone()
    }

    /// A command that runs the executable at `path` as function `name` against this Runtime API, with `env` on
    /// top of Lambda's own variables and nothing else from this process's environment. Standard output and
    /// error are piped; set them to null for long runs nobody reads (a full pipe stops the function).
    pub fn command(
        &self,
        path: &Path,
        name: &str,
        env: &[(&str, String)],
    ) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(path);
        command
            .env_clear()
            .envs(lambda_env(&self.addr.to_string(), name))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Starts a function binary of this workspace (built by the current profile, see [`binary_path`]) against
    /// this Runtime API, with `env` on top of Lambda's own variables.
    pub fn spawn(&self, binary: &str, env: &[(&str, String)]) -> tokio::process::Child {
        self.command(&binary_path(binary), binary, env)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"))
    }

    /// Starts the binary `binary` found in `dir` (such as `target/release`) against this Runtime API.
    pub fn spawn_in(
        &self,
        dir: &Path,
        binary: &str,
        env: &[(&str, String)],
    ) -> std::io::Result<tokio::process::Child> {
        self.command(&binary_path_in(dir, binary), binary, env)
            .spawn()
    }
}

/// The path of a binary Cargo built for this workspace with the current profile: tests and benchmarks run from
/// `target/<profile>/deps`, binaries from `target/<profile>`, and both find their siblings here.
pub fn binary_path(binary: &str) -> PathBuf {
    binary_path_in(&profile_dir(), binary)
}

/// The path of `binary` in `dir` (such as `target/release`).
pub fn binary_path_in(dir: &Path, binary: &str) -> PathBuf {
    dir.join(format!("{binary}{}", std::env::consts::EXE_SUFFIX))
}

/// `target/<profile>` of the running executable: its folder, or the parent of its `deps` folder.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable's path");
    let dir = exe.parent().expect("the executable's folder");
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.parent().expect("target/<profile>").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

async fn next_invocation(
    State(shared): State<Arc<Shared>>,
) -> Result<(HeaderMap, Bytes), StatusCode> {
    let _ = shared.first_next.set(Instant::now());
    let Some((id, event)) = shared.next.lock().await.recv().await else {
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 5_000;
    let mut headers = HeaderMap::new();
    let mut insert = |name: &'static str, value: String| {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    };
    insert("lambda-runtime-aws-request-id", id);
    insert("lambda-runtime-deadline-ms", deadline.to_string());
    insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:test".into(),
    );
    insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".into(),
    );
    insert("content-type", "application/json".into());
    Ok((headers, Bytes::from(event)))
}

fn finish(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    let at = Instant::now();
    if let Some(done) = shared.waiting.lock().expect("waiting map").remove(id) {
        let _ = done.send((outcome, at));
    }
    StatusCode::ACCEPTED
}

async fn response(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    finish(&shared, &id, Outcome::Response(value))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    finish(
        &shared,
        &id,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *shared.init_error.lock().expect("init error") =
        Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

/// The variables Lambda sets for function `name` whose Runtime API is at `api` (`host:port`).
pub fn lambda_env(api: &str, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "test".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_REGION", "us-east-1".into()),
        ("RUST_LOG", "info".into()),
    ]
}
