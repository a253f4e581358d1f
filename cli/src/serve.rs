//! `rollcall serve`: every webhook route on one port, answered by the same pipeline as the Lambda functions.

mod conn;

use crate::CliError;
use crate::queues::{AnyQueue, QueueArgs};
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONNECTION, HeaderValue};
use axum::response::Response;
use bytes::BytesMut;
use http_body_util::BodyExt;
use rollcall::config::{AGE_BOUNDS, AgeBound, SAMPLE_SECRETS, Secrets};
use rollcall::queue::sqlite::DEFAULT_DEDUP_WINDOW;
use rollcall::settings::{self, Settings};
use rollcall::{Answer, Kind, Pipeline, Provider, Rejected, Request, Route};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

/// What `--dev` sets `WIX_MAX_TOKEN_AGE_SECS` and `CALENDLY_MAX_SIGNATURE_AGE_SECS` to when they are unset: the
/// `events/` samples are signed at a fixed, old time (so that they stay byte-for-byte reproducible), which the
/// default maximum ages refuse.
const DEV_MAX_AGE: &str = "off";

/// `rollcall serve` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    queue: QueueArgs,
    /// Fill every missing secret with the sample credentials of `events/` (never in production).
    #[arg(long)]
    dev: bool,
    #[command(flatten)]
    connections: conn::ConnectionLimits,
}

type Shared = Arc<Pipeline<AnyQueue>>;

/// Runs the server until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROLLCALL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let lookup = |var: &str| {
        let set = settings::env(var).filter(|v| !v.trim().is_empty());
        if !args.dev {
            return set;
        }
        set.or_else(|| {
            SAMPLE_SECRETS
                .iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| value.to_string())
        })
        .or_else(|| {
            AGE_BOUNDS
                .iter()
                .any(|bound| bound.var == var)
                .then(|| DEV_MAX_AGE.to_owned())
        })
    };
    // A malformed setting (a limit, a secret) stops the server before it listens, naming every one.
    let limits = Settings::from_lookup(lookup)
        .map_err(|malformed| CliError::Usage(format!("refusing to start: {malformed}")))?
        .limits;
    if args.dev {
        let unset = |var: &str| settings::env(var).is_none_or(|v| v.trim().is_empty());
        let defaulted: Vec<&str> = SAMPLE_SECRETS
            .iter()
            .map(|(var, _)| *var)
            .filter(|var| unset(var))
            .collect();
        if !defaulted.is_empty() {
            eprintln!(
                "WARNING: --dev: using the PUBLIC SAMPLE credentials of events/ for {}. Anyone can forge \
                 deliveries to this server. Never use --dev in production.",
                defaulted.join(", ")
            );
        }
        for AgeBound { provider, var, .. } in AGE_BOUNDS.into_iter().filter(|b| unset(b.var)) {
            eprintln!(
                "WARNING: --dev: {var} is not set, so {provider:?} signatures of ANY AGE are accepted (the \
                 samples of events/ are old). Captured deliveries can be replayed. Never use --dev in \
                 production."
            );
        }
    }
    let secrets = Secrets::from_lookup(lookup);
    for problem in secrets.problems() {
        eprintln!("warning: {problem}; its provider's deliveries will be answered 503");
    }
    let queue = AnyQueue::open(&args.queue, limits).await?;
    if let AnyQueue::Sqlite(_) = &queue {
        for gap in AgeBound::replay_gaps(DEFAULT_DEDUP_WINDOW, lookup) {
            eprintln!("warning: {gap}");
        }
    }
    let description = queue.describe(&args.queue);
    let pipeline: Shared = Arc::new(Pipeline::new(secrets, queue, limits));
    let app = axum::Router::new().fallback(handle).with_state(pipeline);
    let stop = shutdown()?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(CliError::io(format!("cannot listen on {}", args.addr)))?;
    let local = listener
        .local_addr()
        .map_err(CliError::io("reading the bound address"))?;
    eprintln!(
        "rollcall serving {} webhook routes on http://{local}, queue {description}",
        Kind::ALL.len()
    );
    for provider in Provider::ALL {
        for kind in provider.kinds() {
            eprintln!("  POST http://{local}{}", kind.route());
        }
    }
    conn::serve(listener, app, args.connections, stop).await;
    eprintln!("rollcall stopped");
    Ok(ExitCode::SUCCESS)
}

async fn handle(State(pipeline): State<Shared>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = pipeline.limits().max_body_bytes;
    if let Err(rejected) = conn::check_head(&parts, limit) {
        return refused(rejected);
    }
    // A request its head refuses (no route, not POST, a wrong API key) is answered before its body is read; a
    // body left unread (one is declared) leaves the connection unable to carry another request.
    if let Some(answer) =
        pipeline.refuse_from_head(Route::Any, &parts.method, parts.uri.path(), &parts.headers)
    {
        let response = json_response(answer.status, answer.body);
        let declared = |name| parts.headers.contains_key(name);
        let bodiless = !declared(http::header::TRANSFER_ENCODING)
            && parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0");
        return if bodiless {
            response
        } else {
            closing(response)
        };
    }
    // Read at most one byte past the limit: enough for the pipeline to answer 413 without buffering more.
    let read =
        match conn::by_body_deadline(&parts, read_capped(body, limit.saturating_add(1))).await {
            Ok(read) => read,
            Err(rejected) => return refused(rejected),
        };
    let Ok(body) = read else {
        // The client went away mid-body: nothing is stored, and nobody is left to read an answer.
        return json_response(
            400,
            r#"{"status":"error","error":"bad_request","message":"the body could not be read"}"#
                .into(),
        );
    };
    let answer = pipeline
        .handle(
            Route::Any,
            Request {
                method: &parts.method,
                path: parts.uri.path(),
                headers: &parts.headers,
                body: &body,
            },
        )
        .await;
    let mut response = json_response(answer.status, answer.body);
    if body.len() > limit {
        // The rest of the body was never read, so this connection cannot carry another request: say so, or a
        // client's connection pool may send its next request into a connection the server is closing.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The answer to a request refused before the pipeline (its head is over a limit, or its body is too slow), with
/// `Connection: close`: the body is not read to its end, so the connection cannot carry another request.
fn refused(rejected: Rejected) -> Response {
    let answer = Answer::new(&Err(rejected.clone()));
    tracing::warn!(status = answer.status, outcome = rejected.code(), error = %rejected);
    closing(json_response(answer.status, answer.body))
}

/// `response` with `Connection: close`: its request's body was not read to its end, so the connection cannot
/// carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A JSON response. Every answer's status is a valid HTTP status; one that is not is answered `500` and logged,
/// never turned into a `200`.
fn json_response(status: u16, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_else(|_| {
        tracing::error!(
            status,
            "an answer with an invalid HTTP status: answering 500"
        );
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    });
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn read_capped(mut body: Body, cap: usize) -> Result<BytesMut, axum::Error> {
    let mut buffer = BytesMut::new();
    while buffer.len() < cap {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame?.into_data() {
            let room = cap - buffer.len();
            buffer.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(buffer)
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is called, not when first polled, so
/// a signal that arrives right after start-up is not missed.
fn shutdown() -> Result<impl std::future::Future<Output = ()>, CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(CliError::io("installing the Ctrl-C handler"))?;
        let mut terminate = signal(SignalKind::terminate())
            .map_err(CliError::io("installing the SIGTERM handler"))?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}

#[cfg(test)]
mod tests {
    use super::json_response;

    #[test]
    fn an_invalid_status_is_answered_500_not_200() {
        let response = json_response(1000, "{}".into());
        assert_eq!(response.status(), 500);
        let response = json_response(202, "{}".into());
        assert_eq!(response.status(), 202);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}
