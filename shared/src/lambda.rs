//! The AWS Lambda adapter: what every `functions/src/bin/*.rs` calls. Builds the queue's client (the SNS topic of
//! `TOPIC_ARN` when set, else the SQS queue of `QUEUE_URL`: [`AwsQueue`]) and reads the function's own secret
//! once per cold start, then serves API Gateway (HTTP API, payload 2.0) events through the pipeline.

use crate::answer::Answer;
use crate::ingest::{Pipeline, Request, Route};
use crate::kind::{Kind, Provider};
use crate::queue::Queue;
use crate::queue::sns::AwsQueue;
use crate::settings::{self, Settings};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CONTENT_TYPE, HeaderValue};
use lambda_http::tracing::subscriber::filter::LevelFilter;
use lambda_http::{Body, IntoResponse, Response, service_fn};
use std::future::Future;
use std::pin::Pin;

pub use lambda_http::Error;

/// Runs the Lambda function of `kind` until the runtime stops it. A panic while working on one delivery is
/// contained and the process serves on; any other panic ends it ([`crate::panics`]).
pub async fn run(kind: Kind) -> Result<(), Error> {
    crate::panics::install();
    init_logging();
    let provider = kind.provider();
    // A function is given its own provider's secret only: the others' are not read (nor parsed).
    let own = |name: &str| {
        let foreign = Provider::ALL
            .iter()
            .any(|other| *other != provider && other.secret_var() == name);
        (!foreign).then(|| settings::env(name)).flatten()
    };
    let settings = match Settings::from_lookup(own) {
        Ok(settings) => settings,
        Err(malformed) => {
            tracing::error!(
                variables = malformed.vars().join(", "),
                "{malformed}: every delivery will be answered 503"
            );
            let answer = &Answer::malformed(&malformed);
            return lambda_http::run(service_fn(move |_: lambda_http::Request| async move {
                Ok::<_, Error>(LambdaAnswer(answer.clone()))
            }))
            .await;
        }
    };
    let secrets = settings::secrets_for(provider);
    for problem in secrets.problems() {
        if problem.var == provider.secret_var() {
            tracing::error!(
                var = problem.var,
                why = problem.why,
                "secret not configured: every delivery will be answered 503"
            );
        }
    }
    let limits = settings.limits;
    let pipeline = Pipeline::new(secrets, AwsQueue::from_env(limits.queue_deadline), limits);
    let pipeline = &pipeline;
    lambda_http::run(service_fn(
        move |request: lambda_http::Request| async move {
            respond(pipeline, Route::Only(kind), &request).await
        },
    ))
    .await
}

/// Logs to stdout as Lambda's logging controls ask: JSON lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at the
/// level of [`log_level`]. A level only, not per-module directives: unlike `lambda_http`'s default subscriber
/// this builds no `EnvFilter`, which keeps its regex engine out of the package (BENCHMARKS.md).
fn init_logging() {
    let var = settings::env;
    let logger = lambda_http::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(log_level(var));
    if var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        logger.json().init();
    } else {
        logger.init();
    }
}

/// The level of `AWS_LAMBDA_LOG_LEVEL` (what `LoggingConfig.ApplicationLogLevel` sets; `FATAL` is `ERROR`),
/// else of `RUST_LOG`, else `INFO`; an unknown value is `INFO`. `TRACE` is read as `DEBUG`: at that level
/// `lambda_runtime` logs every raw event (the API key headers, the bodies), so it would put secrets and personal
/// data in the logs. Release builds also compile `trace`
/// events out (the workspace's `tracing` dependency).
fn log_level(var: impl Fn(&str) -> Option<String>) -> LevelFilter {
    var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|level| match level.trim() {
            fatal if fatal.eq_ignore_ascii_case("fatal") => Some(LevelFilter::ERROR),
            level => level.parse().ok(),
        })
        .unwrap_or(LevelFilter::INFO)
        .min(LevelFilter::DEBUG)
}

/// Serves one API Gateway request through the pipeline.
pub async fn respond<Q: Queue>(
    pipeline: &Pipeline<Q>,
    route: Route,
    request: &lambda_http::Request,
) -> Result<LambdaAnswer, Error> {
    let answer = pipeline
        .handle(
            route,
            Request {
                method: request.method(),
                path: request.uri().path(),
                headers: request.headers(),
                body: request.body().as_ref(),
            },
        )
        .await;
    Ok(LambdaAnswer(answer))
}

/// An answer as API Gateway gets it: its status, `content-type: application/json` and the JSON text. It becomes
/// a response as it is: `lambda_http`'s conversion of a `Response` would decode the text again by its charset,
/// which links a character-encoding library into every function for nothing (BENCHMARKS.md).
#[derive(Debug)]
pub struct LambdaAnswer(pub Answer);

impl IntoResponse for LambdaAnswer {
    fn into_response(self) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        let mut response = Response::new(Body::Text(self.0.body));
        *response.status_mut() =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Box::pin(std::future::ready(response))
    }
}

/// Runs the reference consumer (SQS event source, `ReportBatchItemFailures`) until the runtime stops it. Reads
/// `TABLE_NAME` (the DynamoDB ledger) and `ROLLCALL_DEDUP_TTL_DAYS` (default 7).
#[cfg(feature = "consumer")]
pub async fn run_consumer() -> Result<(), Error> {
    use crate::consumer::dynamodb::DynamoLedger;
    use crate::consumer::{Consumer, LogOnly};
    use lambda_http::LambdaEvent;
    use lambda_http::aws_lambda_events::sqs::SqsEvent;

    // No delivery scope here: any panic ends the process, as with `panic = "abort"` ([`crate::panics`]).
    crate::panics::install();
    init_logging();
    let settings = Settings::from_env().inspect_err(|malformed| {
        tracing::error!(variables = malformed.vars().join(", "), "{malformed}");
    })?;
    let table = settings::env(settings::TABLE_NAME)
        .filter(|table| !table.trim().is_empty())
        .ok_or("TABLE_NAME is not set: name the ledger's DynamoDB table")?;
    let ttl = settings.dedup_ttl;
    // The ledger must outlast the oldest signature the webhook functions accept, or a replay gets through (the
    // ages are well-formed: the settings were checked; the secrets themselves are not needed here).
    for gap in crate::config::AgeBound::replay_gaps(ttl, settings::env) {
        tracing::warn!(
            gap,
            "the ledger does not cover every replayed signed delivery"
        );
    }
    let config = crate::aws::sdk_config_for(
        crate::aws::Service::DynamoDb,
        settings::env,
        std::time::Duration::from_secs(5),
    );
    let ledger = DynamoLedger::new(aws_sdk_dynamodb::Client::new(&config), table, ttl);
    let consumer = &Consumer::new(ledger, LogOnly);
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(consumer.process(event.payload).await?)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_become_responses_as_they_are() {
        let body = r#"{"status":"queued","id":"é1"}"#;
        let answer = Answer {
            status: 200,
            body: body.into(),
        };
        let response = LambdaAnswer(answer).into_response().await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(matches!(response.body(), Body::Text(text) if text == body));
    }

    #[test]
    fn the_log_level_follows_lambda_then_rust_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(var, _)| *var == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        assert_eq!(log_level(env(&[])), LevelFilter::INFO);
        assert_eq!(log_level(env(&[("RUST_LOG", "debug")])), LevelFilter::DEBUG);
        let both = &[("AWS_LAMBDA_LOG_LEVEL", "WARN"), ("RUST_LOG", "debug")];
        assert_eq!(log_level(env(both)), LevelFilter::WARN);
        assert_eq!(
            log_level(env(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")])),
            LevelFilter::ERROR
        );
        assert_eq!(
            log_level(env(&[("RUST_LOG", "rollcall=debug")])),
            LevelFilter::INFO
        );
        assert_eq!(
            log_level(env(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")])),
            LevelFilter::DEBUG
        );
    }
}
