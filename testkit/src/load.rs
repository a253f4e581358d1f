//! A small closed-loop HTTP/1.1 load generator for loopback: `concurrency` keep-alive connections, each sending
//! its next request as soon as the previous answer is read, for a fixed duration and at most one pass over the
//! prepared requests (or cycling over them, when repeats are harmless). Latency is measured per request, from
//! just before it is written to the end of its answer's body.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One prepared request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The path.
    pub path: String,
    /// The headers (besides `host` and `content-length`).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Bytes,
}

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Connections, each with one request in flight.
    pub concurrency: usize,
    /// How long requests are started for.
    pub duration: Duration,
    /// Whether requests are reused once all were sent (false: the run ends when they run out).
    pub cycle: bool,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Requests answered 2xx.
    pub ok: u64,
    /// Requests answered otherwise.
    pub not_ok: u64,
    /// Requests that failed (connection errors).
    pub failed: u64,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Latencies of 2xx answers, microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// Whether the prepared requests ran out before the duration.
    pub exhausted: bool,
    /// One answer body that was not 2xx, for diagnosis.
    pub sample_error: Option<String>,
}

impl Report {
    /// 2xx answers per second.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile latency (0 < p ≤ 100), milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies_us.len()) - 1;
        self.latencies_us[index] as f64 / 1e3
    }
}

/// Most consecutive connection failures one connection tolerates before it stops.
const MAX_FAILURES: u32 = 20;

/// Runs `plan` against `addr` with `requests`.
pub async fn run(addr: SocketAddr, requests: Arc<Vec<Prepared>>, plan: Plan) -> Report {
    assert!(!requests.is_empty(), "no requests to send");
    let next = Arc::new(AtomicUsize::new(0));
    let not_ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut tasks = Vec::with_capacity(plan.concurrency);
    for _ in 0..plan.concurrency {
        let (requests, next, not_ok, failed) = (
            Arc::clone(&requests),
            Arc::clone(&next),
            Arc::clone(&not_ok),
            Arc::clone(&failed),
        );
        tasks.push(tokio::spawn(async move {
            connection(
                addr, &requests, &next, &not_ok, &failed, deadline, plan.cycle,
            )
            .await
        }));
    }
    let mut report = Report::default();
    for task in tasks {
        if let Ok((latencies, error)) = task.await {
            report.latencies_us.extend(latencies);
            if report.sample_error.is_none() {
                report.sample_error = error;
            }
        }
    }
    report.elapsed = started.elapsed();
    report.latencies_us.sort_unstable();
    report.ok = report.latencies_us.len() as u64;
    report.not_ok = not_ok.load(Ordering::Relaxed);
    report.failed = failed.load(Ordering::Relaxed);
    report.exhausted = !plan.cycle && next.load(Ordering::Relaxed) >= requests.len();
    report
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Option<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Some(sender)
}

async fn connection(
    addr: SocketAddr,
    requests: &[Prepared],
    next: &AtomicUsize,
    not_ok: &AtomicU64,
    failed: &AtomicU64,
    deadline: Instant,
    cycle: bool,
) -> (Vec<u64>, Option<String>) {
    let mut latencies = Vec::new();
    let mut sample_error = None;
    let mut failures = 0;
    let mut sender: Option<Sender> = None;
    let host = addr.to_string();
    while Instant::now() < deadline && failures < MAX_FAILURES {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= requests.len() && !cycle {
            break;
        }
        let prepared = &requests[index % requests.len()];
        if sender.is_none() {
            sender = connect(addr).await;
        }
        let Some(send) = sender.as_mut() else {
            failures += 1;
            failed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let mut builder = http::Request::post(prepared.path.as_str()).header("host", &host);
        for (name, value) in &prepared.headers {
            builder = builder.header(*name, value);
        }
        let request = builder
            .body(Full::new(prepared.body.clone()))
            .expect("a valid request");
        let sent = Instant::now();
        let answer = async {
            send.ready().await?;
            let response = send.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        }
        .await;
        match answer {
            Ok((status, body)) => {
                failures = 0;
                if status.is_success() {
                    latencies.push(sent.elapsed().as_micros() as u64);
                } else {
                    not_ok.fetch_add(1, Ordering::Relaxed);
                    if sample_error.is_none() {
                        sample_error =
                            Some(format!("{status}: {}", String::from_utf8_lossy(&body)));
                    }
                }
            }
            Err(_) => {
                failures += 1;
                failed.fetch_add(1, Ordering::Relaxed);
                sender = None;
            }
        }
    }
    (latencies, sample_error)
}
