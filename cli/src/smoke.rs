//! `rollcall smoke`: after a deploy, one test delivery per provider to the stack's URLs, authenticated with the
//! deployment's own credentials, and a look at the queue for the resulting messages. Smoke messages come from
//! the tenant `rollcall-smoke` (`source` ends in `/rollcall-smoke`, `rollcall::smoke`). On AWS only the stack's
//! smoke subscription takes them: `--check-queue` reads its queue (the `SmokeQueueUrl` output), never the
//! messages queue, so no consumer's message is hidden, blocked or counted toward its dead-letter limit.

use crate::CliError;
use crate::client::exchange;
use crate::queues::{AnyQueue, QueueArgs};
use rollcall::config::Limits;
use rollcall::provider::calendly;
use rollcall::queue::{Inbox, Lane};
use rollcall::smoke::Content;
use rollcall::{Kind, Message, Provider};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// `rollcall smoke` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The webhook base URL (the stack's `WebhookBaseUrl` output, or a `rollcall serve` address).
    #[arg(long)]
    to: String,
    /// The Wix app's private key (PEM) to sign a valid Wix delivery; without it, Rollcall must refuse an
    /// unsigned one (401).
    #[arg(long)]
    wix_private_key: Option<PathBuf>,
    /// Also check the queue for the smoke messages (and remove them); `--queue` names it: on AWS the stack's
    /// smoke queue (output `SmokeQueueUrl`), locally the `rollcall serve` queue file.
    #[arg(long)]
    check_queue: bool,
    #[command(flatten)]
    queue: QueueArgs,
}

/// Sends the smoke deliveries and checks the answers (and the queue); exit status 1 on any difference.
pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let base = crate::client::check_url(&args.to).map_err(CliError::Usage)?;
    let client = crate::client::new().map_err(CliError::Usage)?;
    let unique = uuid::Uuid::new_v4().to_string();
    let mut queued = HashSet::new();
    let mut failed = 0;
    for provider in Provider::ALL {
        let Smoke {
            kind,
            headers,
            body,
            expect,
        } = delivery(provider, &unique, args.wix_private_key.as_deref())?;
        let uri = format!("{base}{}", kind.route());
        let headers = headers.iter().map(|(name, value)| (*name, value.as_str()));
        let (status, answer) = exchange(&client, "POST", &uri, headers, body)
            .await
            .map_err(CliError::Usage)?;
        let answer: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        let ok = status == expect && (expect != 200 || answer["status"] == "queued");
        println!(
            "{} {} {status} {answer}",
            if ok { "ok  " } else { "FAIL" },
            kind.route()
        );
        if !ok {
            failed += 1;
        } else if let Some(id) = answer["id"].as_str() {
            queued.insert(id.to_owned());
        }
    }
    if args.check_queue && !queued.is_empty() {
        failed += check_queue(&args.queue, &mut queued).await?;
    }
    println!(
        "smoke: {} passed, {failed} failed",
        Provider::ALL.len() + usize::from(args.check_queue) - failed
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A smoke delivery: its kind, its headers, its body, and the status it must get.
struct Smoke {
    kind: Kind,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    expect: u16,
}

/// The smoke delivery for `provider` (`rollcall::smoke`), with the deployment's credentials.
fn delivery(
    provider: Provider,
    unique: &str,
    wix_key: Option<&std::path::Path>,
) -> Result<Smoke, CliError> {
    let secret = |provider: Provider| {
        let var = provider.secret_var();
        rollcall::settings::env(var)
            .and_then(|v| {
                v.split(',')
                    .map(str::trim)
                    .find(|k| !k.is_empty())
                    .map(str::to_owned)
            })
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "{var} is not set: the smoke test authenticates as the provider"
                ))
            })
    };
    let smoke = rollcall::smoke::delivery(provider, unique);
    let json = ("content-type", "application/json".to_owned());
    let (headers, body, expect) = match (provider, smoke.content) {
        (Provider::Omerlo, Content::Body(body)) => (
            vec![("x-api-key", secret(provider)?), json],
            body.to_string().into_bytes(),
            200,
        ),
        (Provider::Calendly, Content::Body(body)) => {
            let body = body.to_string().into_bytes();
            let now = time::OffsetDateTime::now_utc()
                .unix_timestamp()
                .unsigned_abs();
            let signature = calendly::signature_header(secret(provider)?.as_bytes(), now, &body);
            (
                vec![(calendly::SIGNATURE_HEADER, signature), json],
                body,
                200,
            )
        }
        // Mighty Networks: its bearer key.
        (_, Content::Body(body)) => {
            let bearer = format!("Bearer {}", secret(provider)?);
            (
                vec![("authorization", bearer), json],
                body.to_string().into_bytes(),
                200,
            )
        }
        (_, Content::WixClaims(claims)) => {
            let headers = vec![("content-type", "text/plain".to_owned())];
            match wix_key {
                Some(path) => {
                    let pem = std::fs::read(path)
                        .map_err(CliError::io(format!("reading {}", path.display())))?;
                    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).map_err(|e| {
                        CliError::Usage(format!(
                            "{} is not an RSA private key: {e}",
                            path.display()
                        ))
                    })?;
                    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
                    let token = jsonwebtoken::encode(&header, &claims, &key)
                        .map_err(|e| CliError::Usage(format!("signing: {e}")))?;
                    (headers, token.into_bytes(), 200)
                }
                None => {
                    use base64::Engine as _;
                    let b64 = |v: &Value| {
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
                    };
                    let unsigned = format!(
                        "{}.{}.{}",
                        b64(&json!({"alg": "RS256", "typ": "JWT"})),
                        b64(&claims),
                        b64(&json!("unsigned"))
                    );
                    (headers, unsigned.into_bytes(), 401)
                }
            }
        }
    };
    Ok(Smoke {
        kind: smoke.kind,
        headers,
        body,
        expect,
    })
}

/// Looks for the smoke messages in the queue (a few rounds), removes them, and counts a failure if any is missing.
/// Other messages are left to their consumer; seeing any means the queue is not a smoke queue, which it says.
async fn check_queue(args: &QueueArgs, waiting: &mut HashSet<String>) -> Result<usize, CliError> {
    let limits = Limits {
        queue_deadline: std::time::Duration::from_secs(10),
        ..Limits::default()
    };
    let queue = AnyQueue::open(args, limits).await?;
    let smoke_suffix = format!("/{}", rollcall::smoke::TENANT);
    let mut others = 0;
    for _ in 0..10 {
        if waiting.is_empty() {
            break;
        }
        let batch = queue.receive(Lane::Messages, 10).await?;
        if batch.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        for received in batch {
            let Ok(message) = Message::from_body(&received.body) else {
                others += 1;
                continue;
            };
            if waiting.remove(&message.id) {
                queue.delete(Lane::Messages, &received.handle).await?;
            } else if !message.source.ends_with(&smoke_suffix) {
                others += 1;
            }
        }
    }
    if others > 0 {
        println!(
            "note queue {}: {others} message(s) other than smoke ones were received (left for their consumer, \
             hidden until their visibility ends); on AWS check the stack's smoke queue: --queue \"$SmokeQueueUrl\"",
            args.queue
        );
    }
    if waiting.is_empty() {
        println!(
            "ok   queue {}: every smoke message arrived (and was removed)",
            args.queue
        );
        Ok(0)
    } else {
        println!("FAIL queue {}: missing {waiting:?}", args.queue);
        Ok(1)
    }
}
