//! `rollcall send`: replays API Gateway HTTP API (payload 2.0) event files against a running server and checks
//! each answer against what the file's name expects: `NAME.json` 200 queued, `NAME.quarantined.json` 200
//! quarantined, `NAME.<status>.json` that status. Files that are not events (an env-vars file) are skipped.

use crate::CliError;
use crate::client::{HttpClient, exchange};
use base64::Engine as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `rollcall send` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Event files, or folders of them (`*.json`, not recursive).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The server to send to (`http://` or `https://`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    to: String,
}

/// What a file's name says the answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Queued,
    Quarantined,
    Status(u16),
}

impl Expect {
    fn from_name(path: &Path) -> Expect {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let stem = name.strip_suffix(".json").unwrap_or(name);
        match stem.rsplit_once('.') {
            Some((_, "quarantined")) => Expect::Quarantined,
            Some((_, code)) if code.len() == 3 => {
                code.parse().map_or(Expect::Queued, Expect::Status)
            }
            _ => Expect::Queued,
        }
    }

    fn met_by(self, status: u16, body: &serde_json::Value) -> bool {
        match self {
            Expect::Queued => status == 200 && body["status"] == "queued",
            Expect::Quarantined => status == 200 && body["status"] == "quarantined",
            Expect::Status(code) => status == code,
        }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Queued => f.write_str("200 queued"),
            Expect::Quarantined => f.write_str("200 quarantined"),
            Expect::Status(code) => write!(f, "{code}"),
        }
    }
}

/// The parts of an API Gateway HTTP API event that make the request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    raw_path: String,
    #[serde(default)]
    raw_query_string: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
    request_context: RequestContext,
}

#[derive(Deserialize)]
struct RequestContext {
    http: HttpContext,
}

#[derive(Deserialize)]
struct HttpContext {
    method: String,
}

/// Sends every event file and reports; exit status 1 if any answer was not the expected one.
pub async fn run(args: Args) -> Result<ExitCode, CliError> {
    let base = crate::client::check_url(&args.to)
        .map_err(CliError::Usage)?
        .to_owned();
    let mut files = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(CliError::io(format!("reading {}", path.display())))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let client = crate::client::new().map_err(CliError::Usage)?;
    let (total, mut failed, mut skipped) = (files.len(), 0usize, 0usize);
    for (i, file) in files.iter().enumerate() {
        let progress = format!("[{}/{total}]", i + 1);
        let text = std::fs::read_to_string(file)
            .map_err(CliError::io(format!("reading {}", file.display())))?;
        let Ok(event) = serde_json::from_str::<Event>(&text) else {
            println!(
                "{progress} skip {} (not an API Gateway HTTP API event)",
                file.display()
            );
            skipped += 1;
            continue;
        };
        let expect = Expect::from_name(file);
        match send(&client, &base, &event).await {
            Ok((status, body)) => {
                let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                if expect.met_by(status, &parsed) {
                    println!("{progress} ok   {} {status} {body}", file.display());
                } else {
                    println!(
                        "{progress} FAIL {} expected {expect}, got {status} {body}",
                        file.display()
                    );
                    failed += 1;
                }
            }
            Err(e) => {
                println!("{progress} FAIL {} {e}", file.display());
                failed += 1;
            }
        }
    }
    let passed = total - failed - skipped;
    println!("send: {passed} passed, {failed} failed, {skipped} skipped");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn send(client: &HttpClient, base: &str, event: &Event) -> Result<(u16, String), String> {
    let body = match (&event.body, event.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(text), false) => text.clone().into_bytes(),
        (Some(text), true) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("body is flagged base64 but is not: {e}"))?,
    };
    let mut uri = format!("{base}{}", event.raw_path);
    if !event.raw_query_string.is_empty() {
        uri = format!("{uri}?{}", event.raw_query_string);
    }
    let headers = event
        .headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.to_ascii_lowercase().as_str(),
                "host" | "content-length"
            )
        })
        .map(|(name, value)| (name.as_str(), value.as_str()));
    exchange(
        client,
        &event.request_context.http.method,
        &uri,
        headers,
        body,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_what_they_expect() {
        assert_eq!(
            Expect::from_name(Path::new("events/wix-participation-created.json")),
            Expect::Queued
        );
        assert_eq!(
            Expect::from_name(Path::new("a/omerlo-wrong-key.401.json")),
            Expect::Status(401)
        );
        assert_eq!(
            Expect::from_name(Path::new("x.quarantined.json")),
            Expect::Quarantined
        );
        assert_eq!(Expect::from_name(Path::new("v1.2.json")), Expect::Queued);
    }
}
