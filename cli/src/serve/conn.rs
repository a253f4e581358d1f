//! The connections of `rollcall serve`: an accept loop bounded in open connections, and per connection the clocks
//! that close silent, slow and idle clients, so that none holds a socket (a file descriptor) for long.
//!
//! Each connection is in one of three phases: waiting for a request's head (from the connection's opening, or
//! from the first byte of a kept-alive connection's next request) until `header_timeout`; serving a request (its
//! body must arrive within `body_timeout`, which the handler enforces with a JSON `408`); or idle between
//! requests until `idle_timeout`. A connection whose phase runs out is closed. When the server stops, requests
//! being served are finished and every other connection is closed at once.

use axum::Router;
use axum::http::Request;
use axum::http::request::Parts;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rollcall::answer::Rejected;
use rollcall::settings;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The most bytes of a request target (path and query) Rollcall reads; longer is a JSON `414`.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// The most header fields Rollcall reads; more is a JSON `431`.
pub const MAX_HEADERS: usize = 100;
/// The most header bytes (names, values, `": "` and line ends) Rollcall reads; more is a JSON `431`.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// hyper's own bounds, far past Rollcall's, so that its bodiless `431` is only a last resort. (hyper answers a
/// request target over 65,534 bytes with a bodiless `414`; that bound is fixed.)
const HYPER_MAX_HEADERS: usize = 1_000;
const HYPER_MAX_HEAD_BYTES: usize = 256 * 1024;
/// How long the accept loop waits after an error such as "too many open files" before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How many clients may be connected at once, and how long each may take.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The most open connections. Past it, new connections wait in the listen queue until one closes. Keep it
    /// below the process's open-file limit (`ulimit -n`).
    #[arg(long, env = settings::MAX_CONNECTIONS, default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Milliseconds a client may take to send a request's head (request line and headers), counted from the
    /// connection's opening, or from the first byte of the next request on a kept-alive connection.
    #[arg(long, env = settings::HEADER_TIMEOUT_MS, default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,
    /// Milliseconds a client may take to send a whole body, counted from the end of its head; later is `408`.
    #[arg(long, env = settings::BODY_TIMEOUT_MS, default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_ms: u64,
    /// Milliseconds a kept-alive connection may stay idle between requests before it is closed.
    #[arg(long, env = settings::IDLE_TIMEOUT_MS, default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_ms: u64,
}

/// When a request's body must have arrived; the connection layer puts it in each request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    at: Instant,
    ms: u64,
}

/// Checks what can be checked before the body is read: the target's length, the headers, and a declared
/// `Content-Length` over `max_body` (answered at once, so the body is never waited for).
pub fn check_head(parts: &Parts, max_body: usize) -> Result<(), Rejected> {
    let target = parts.uri.authority().map_or(0, |a| a.as_str().len())
        + parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Err(Rejected::UriTooLong {
            limit: MAX_TARGET_BYTES,
        });
    }
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if parts.headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return Err(Rejected::HeadersTooLarge {
            count: MAX_HEADERS,
            bytes: MAX_HEADER_BYTES,
        });
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body as u64) {
        return Err(Rejected::TooLarge { limit: max_body });
    }
    Ok(())
}

/// Runs `read` (the body's reading) until the request's body deadline; past it, `408`.
pub async fn by_body_deadline<T>(
    parts: &Parts,
    read: impl Future<Output = T>,
) -> Result<T, Rejected> {
    match parts.extensions.get::<BodyDeadline>() {
        Some(deadline) => tokio::time::timeout_at(deadline.at, read)
            .await
            .map_err(|_| Rejected::BodyTimeout { ms: deadline.ms }),
        None => Ok(read.await),
    }
}

/// Accepts connections on `listener` and serves `app` on each until `stop` resolves; then stops accepting, lets
/// the requests being served finish, closes every other connection, and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (closing, closing_seen) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.header_read_timeout(None)
        .max_headers(HYPER_MAX_HEADERS)
        .max_header_size(HYPER_MAX_HEAD_BYTES);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        // A slot first, then a connection: past the bound, clients wait in the kernel's listen queue.
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // Most often the open-file limit: wait for connections to close rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        connections.spawn(connection(
            stream,
            slot,
            http.clone(),
            app.clone(),
            limits,
            closing_seen.clone(),
        ));
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// An accept error that concerns one connection only (it went away before it was accepted).
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it ends, its phase's time runs out, or the server stops; then frees its slot.
async fn connection(
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    http: http1::Builder,
    app: Router,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
) {
    let clock = Arc::new(Clock::new(limits));
    let io = TokioIo::new(Watched {
        stream,
        clock: clock.clone(),
    });
    let service = Timed {
        inner: TowerToHyperService::new(app),
        clock: clock.clone(),
        body_timeout_ms: limits.body_timeout_ms,
    };
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        let deadline = clock.deadline();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            () = sleep_until(deadline) => {
                if clock.expired() {
                    tracing::debug!("closing a connection: too slow or idle too long");
                    return;
                }
            }
            () = clock.changed.notified() => {}
            _ = closing.changed(), if !stopping => {
                // A request being served is finished (and its connection then closed); a connection waiting
                // for a head or idle is closed now, so that stopping does not wait for slow clients.
                if !matches!(clock.phase(), Phase::Busy) {
                    return;
                }
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Where a connection is, and until when it may stay there.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for (the rest of) a request's head.
    Head { until: Instant },
    /// A request is being served.
    Busy,
    /// Between requests.
    Idle { until: Instant },
}

/// A connection's phase, moved on by its socket (bytes read) and its service (request in, answer out).
struct Clock {
    phase: Mutex<Phase>,
    changed: Notify,
    header_timeout: Duration,
    idle_timeout: Duration,
}

impl Clock {
    fn new(limits: ConnectionLimits) -> Clock {
        let header_timeout = Duration::from_millis(limits.header_timeout_ms);
        Clock {
            phase: Mutex::new(Phase::Head {
                until: Instant::now() + header_timeout,
            }),
            changed: Notify::new(),
            header_timeout,
            idle_timeout: Duration::from_millis(limits.idle_timeout_ms),
        }
    }

    fn set(&self, next: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = next(*phase);
        drop(phase);
        self.changed.notify_one();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deadline(&self) -> Option<Instant> {
        match self.phase() {
            Phase::Head { until } | Phase::Idle { until } => Some(until),
            Phase::Busy => None,
        }
    }

    fn expired(&self) -> bool {
        self.deadline().is_some_and(|until| until <= Instant::now())
    }

    /// Bytes arrived: an idle connection starts its next request's head.
    fn on_bytes(&self) {
        if let Phase::Idle { .. } = self.phase() {
            let until = Instant::now() + self.header_timeout;
            self.set(|phase| match phase {
                Phase::Idle { .. } => Phase::Head { until },
                other => other,
            });
        }
    }

    fn on_request(&self) {
        self.set(|_| Phase::Busy);
    }

    fn on_answer(&self) {
        let until = Instant::now() + self.idle_timeout;
        self.set(|_| Phase::Idle { until });
    }
}

/// The socket, telling the clock when bytes arrive.
struct Watched {
    stream: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.on_bytes();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The app, telling the clock when a request starts and ends, and giving each request its body deadline.
struct Timed {
    inner: TowerToHyperService<Router>,
    clock: Arc<Clock>,
    body_timeout_ms: u64,
}

type Answered<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Timed {
    type Response =
        <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Response;
    type Error = <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Error;
    type Future = Answered<Self::Response, Self::Error>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        self.clock.on_request();
        request.extensions_mut().insert(BodyDeadline {
            at: Instant::now() + Duration::from_millis(self.body_timeout_ms),
            ms: self.body_timeout_ms,
        });
        let answer = self.inner.call(request);
        let clock = self.clock.clone();
        Box::pin(async move {
            let answer = answer.await;
            clock.on_answer();
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(build: http::request::Builder) -> Parts {
        build.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_head_is_checked_against_rollcall_limits() {
        let ok = parts(Request::post("/webhooks/x").header("content-length", "10"));
        assert_eq!(check_head(&ok, 10), Ok(()));
        let declared = parts(Request::post("/x").header("content-length", "1000000000000000"));
        assert_eq!(
            check_head(&declared, 10),
            Err(Rejected::TooLarge { limit: 10 })
        );
        let long = parts(Request::post(format!("/{}", "a".repeat(MAX_TARGET_BYTES))));
        assert!(matches!(
            check_head(&long, 10),
            Err(Rejected::UriTooLong { .. })
        ));
        let mut many = Request::post("/x");
        for i in 0..=MAX_HEADERS {
            many = many.header(format!("x-{i}"), "v");
        }
        assert!(matches!(
            check_head(&parts(many), 10),
            Err(Rejected::HeadersTooLarge { .. })
        ));
        let big = parts(Request::post("/x").header("x-big", "v".repeat(MAX_HEADER_BYTES)));
        assert!(matches!(
            check_head(&big, 10),
            Err(Rejected::HeadersTooLarge { .. })
        ));
    }
}
