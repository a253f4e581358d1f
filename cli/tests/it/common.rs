//! Helpers for the CLI's process-level tests: run `rollcall`, start `rollcall serve` on a free port, make
//! unique valid deliveries, drive load, and a TCP proxy that can take the queue down or make it hang.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rollcall::Kind;
pub use rollcall_testkit::aws::endpoint;
pub use rollcall_testkit::deliveries::repo;
use rollcall_testkit::deliveries::{WixSigner, headers, unique_body};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const ROLLCALL: &str = env!("CARGO_BIN_EXE_rollcall");
pub const SECRET_VARS: [&str; 5] = [
    "ROLLCALL_QUEUE",
    "OMERLO_API_KEY",
    "MIGHTY_NETWORKS_API_KEY",
    "WIX_PUBLIC_KEY",
    "CALENDLY_SIGNING_KEY",
];

pub fn events_dir() -> PathBuf {
    repo().join("events")
}

/// Held by the tests that load the machine (thousands of deliveries, 64 in flight), so that they run one at a time
/// and no other test's bounds are measured beside them. Other tests of the binary still run in parallel.
pub async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}

/// Runs `rollcall ARGS` in `dir` with a clean environment (plus `env`).
pub fn rollcall_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(ROLLCALL);
    command.args(args).current_dir(dir);
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("rollcall runs")
}

pub fn rollcall(dir: &Path, args: &[&str]) -> Output {
    rollcall_with(dir, args, &[])
}

/// A running `rollcall serve`; killed when dropped. Its log lines are collected in `logs`.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rollcall serve` on a free port and waits until it says where it listens.
pub fn serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(ROLLCALL);
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir);
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    start(command)
}

/// Runs `command`, a `rollcall serve`, and waits until it says where it listens; its log lines are collected.
pub fn start(mut command: Command) -> Server {
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let logs = Arc::new(Mutex::new(Vec::new()));
    let url = loop {
        let line = lines.next().expect("serve says where it listens").unwrap();
        logs.lock().unwrap().push(line.clone());
        if let Some(rest) = line.split("on http://").nth(1) {
            break format!(
                "http://{}",
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches(',')
            );
        }
    };
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Server { child, url, logs }
}

/// `rollcall queue drain ARGS`: the message bodies. On SQS it stops after 1 s of empty answers unless `extra`
/// says otherwise (`--wait`): the tests fill their queues before they drain them.
pub fn drain(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let mut args = vec!["queue", "drain"];
    args.extend_from_slice(extra);
    if !extra.contains(&"--wait") {
        args.extend(["--wait", "1"]);
    }
    let out = rollcall_with(dir, &args, env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// How many `events/` files expect `expect` (`queued`, `quarantined`).
pub fn event_files(expect: &str) -> usize {
    std::fs::read_dir(events_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && name != "env.json")
        .filter(|name| match expect {
            "queued" => name.matches('.').count() == 1,
            other => name.contains(&format!(".{other}.")),
        })
        .count()
}

/// One HTTP delivery.
#[derive(Clone)]
pub struct Delivery {
    pub kind: Kind,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Delivery {
    /// `body` delivered to `kind`'s route with valid credentials for it (for Calendly, its signature).
    pub fn new(kind: Kind, body: Vec<u8>) -> Delivery {
        Delivery {
            kind,
            headers: headers(kind.provider(), &body),
            body,
        }
    }
}

/// `count` valid deliveries over every kind, each a distinct change (hence a distinct message id), signed and
/// authenticated with the `--dev` sample credentials.
pub fn unique_deliveries(count: usize) -> Vec<Delivery> {
    let signer = WixSigner::new();
    let run = u64::from(uuid::Uuid::new_v4().as_fields().0) << 24;
    (0..count)
        .map(|i| {
            let kind = Kind::ALL[i % Kind::ALL.len()];
            Delivery::new(kind, unique_body(kind, run + i as u64, &signer))
        })
        .collect()
}

/// An HTTP answer: status and JSON body.
pub type Answer = (u16, Value);

/// Posts `deliveries` to `base` with `concurrency` requests in flight; answers in delivery order. Bounded: each
/// delivery is sent once.
pub async fn load(base: &str, deliveries: Arc<Vec<Delivery>>, concurrency: usize) -> Vec<Answer> {
    load_counted(
        base,
        deliveries,
        concurrency,
        &Arc::new(AtomicUsize::new(0)),
    )
    .await
}

/// [`load`], counting the `200` answers in `answered` as they arrive.
pub async fn load_counted(
    base: &str,
    deliveries: Arc<Vec<Delivery>>,
    concurrency: usize,
    answered: &Arc<AtomicUsize>,
) -> Vec<Answer> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(vec![(0u16, Value::Null); deliveries.len()]));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, answers, deliveries, base, answered) = (
            client.clone(),
            next.clone(),
            answers.clone(),
            deliveries.clone(),
            base.to_owned(),
            answered.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(delivery) = deliveries.get(i) else {
                    break;
                };
                let answer = post(&client, &base, delivery).await;
                if answer.0 == 200 {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                answers.lock().unwrap()[i] = answer;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(answers).unwrap().into_inner().unwrap()
}

/// Posts one delivery; a connection failure is status 0.
pub async fn post(
    client: &Client<HttpConnector, Full<Bytes>>,
    base: &str,
    delivery: &Delivery,
) -> Answer {
    let mut request = http::Request::post(format!("{base}{}", delivery.kind.route()));
    for (name, value) in &delivery.headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(delivery.body.clone())))
        .unwrap();
    match client.request(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// A TCP proxy in front of a server, whose mode a test switches: forward, refuse (close at once), or hang
/// (hold connections open and forward nothing).
pub struct FaultProxy {
    pub addr: std::net::SocketAddr,
    mode: Arc<AtomicU8>,
}

pub const UP: u8 = 0;
pub const DOWN: u8 = 1;
pub const HANG: u8 = 2;

impl FaultProxy {
    pub async fn start(upstream: std::net::SocketAddr) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(UP));
        let shared = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = shared.clone();
                tokio::spawn(async move { relay(client, upstream, mode).await });
            }
        });
        FaultProxy { addr, mode }
    }

    pub fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

async fn relay(
    mut client: tokio::net::TcpStream,
    upstream: std::net::SocketAddr,
    mode: Arc<AtomicU8>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let (mut a, mut b) = ([0u8; 16384], [0u8; 16384]);
    loop {
        // Check the mode before every chunk, so pooled connections obey it too.
        let chunk = tokio::select! {
            n = client.read(&mut a) => (true, n),
            n = server.read(&mut b) => (false, n),
        };
        match mode.load(Ordering::SeqCst) {
            DOWN => return,
            HANG => {
                std::future::pending::<()>().await;
            }
            _ => {}
        }
        let (from_client, Ok(n)) = chunk else { return };
        if n == 0 {
            return;
        }
        let written = if from_client {
            server.write_all(&a[..n]).await
        } else {
            client.write_all(&b[..n]).await
        };
        if written.is_err() {
            return;
        }
    }
}

/// Creates a FIFO messages queue and a FIFO quarantine queue on the loopback SQS server.
pub async fn create_queues(endpoint: &str) -> (String, String) {
    let client = rollcall_testkit::aws::sqs(endpoint, rollcall_testkit::aws::SETUP_DEADLINE);
    rollcall_testkit::aws::create_queues(&client).await
}

/// The environment that points `rollcall` at an SQS endpoint and queue pair.
pub fn sqs_env<'a>(
    endpoint: &'a str,
    fifo: &'a str,
    quarantine: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("ROLLCALL_QUEUE", fifo),
        ("ROLLCALL_QUARANTINE_QUEUE", quarantine),
    ]
}

/// Runs `rollcall serve ARGS` with `env`: its exit status and stderr, or a failure when it is still serving.
pub fn serve_exit(args: &[&str], env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(ROLLCALL);
    command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for var in SECRET_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    use std::io::Read as _;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started with {env:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}
