//! `measure coldstart`: init and first answer per function binary against `hello`, alternating runs; with
//! `--sns`, each function a second time with `TOPIC_ARN` set instead of `QUEUE_URL`, in the same rounds.

use crate::Result;
use crate::queues::{Via, function_env, queue_round_trip, queue_stand_in, queues};
use crate::report::{median, ms, verdict};
use rollcall::Kind;
use rollcall_testkit::deliveries::{self, WixSigner};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi, binary_path_in};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

struct Run {
    init_ms: f64,
    first_answer_ms: Option<f64>,
}

/// Starts `binary` against a fresh Runtime API, hands it `event` (if any) and measures.
async fn cold_run(
    dir: &Path,
    binary: &str,
    env: &[(&str, String)],
    event: Option<&[u8]>,
) -> Result<Run> {
    let api = RuntimeApi::start().await;
    let path = binary_path_in(dir, binary);
    let mut command = api.command(&path, binary, env);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
    let first_answer_ms = match event {
        Some(event) => {
            let timed = api.invoke_timed(event).await;
            match (&timed.outcome, timed.answered_at) {
                (Outcome::Response(response), Some(at))
                    if response["statusCode"] == 200 || response.get("statusCode").is_none() =>
                {
                    Some(ms(at - started))
                }
                (outcome, _) => {
                    let _ = child.kill().await;
                    return Err(format!("{binary}: unexpected outcome {outcome:?}"));
                }
            }
        }
        None => {
            let mut waited = 0;
            while api.first_next_at().is_none() && waited < 1000 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                waited += 1;
            }
            None
        }
    };
    let init_ms = api
        .first_next_at()
        .map(|at| ms(at - started))
        .ok_or_else(|| format!("{binary}: never asked for work"))?;
    let _ = child.kill().await;
    Ok(Run {
        init_ms,
        first_answer_ms,
    })
}

// The options of `measure coldstart` (no doc comment here: clap would take it for the subcommand's about).
#[derive(clap::Args)]
pub(crate) struct Coldstart {
    /// Rounds; each runs hello and the function alternately.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Extra environment for the functions (not hello), as KEY=VALUE: for experiments.
    #[arg(long = "env")]
    extra_env: Vec<String>,
    /// Words added to the table's heading, such as "queue over HTTPS", to tell runs apart.
    #[arg(long)]
    label: Option<String>,
    /// Measure only this binary (a function or `consumer`; repeatable; default: all of them).
    #[arg(long = "only", value_name = "BIN")]
    only: Vec<String>,
    /// Queue the functions' messages on an in-process stand-in that answers `SendMessage` at once (instead of
    /// `--endpoint`), so that a first answer is the function's own work, with a round trip of a fraction of a
    /// millisecond left to subtract.
    #[arg(long)]
    stub_queue: bool,
    /// Also run each function with `TOPIC_ARN` set (an SNS FIFO topic, `Publish`) instead of `QUEUE_URL`, in the
    /// same rounds, as rows `BIN (SNS)`; its queue round trip is one `Publish` on a fresh client.
    #[arg(long)]
    sns: bool,
}

/// One row of the table: a binary, the kind of delivery it is handed (none for `consumer`) and where its
/// messages go.
struct Row {
    binary: String,
    kind: Option<Kind>,
    via: Via,
}

impl Row {
    fn name(&self) -> String {
        match self.via {
            Via::Sqs => self.binary.clone(),
            Via::Sns => format!("{} (SNS)", self.binary),
        }
    }
}

/// The rows `coldstart` measures, in table order: every function (with `sns`, each followed by itself publishing
/// to the topic) then `consumer`, or the `--only` ones.
fn coldstart_rows(only: &[String], sns: bool) -> Result<Vec<Row>> {
    let mut binaries: Vec<(String, Option<Kind>)> =
        Kind::ALL.iter().map(|k| (k.binary(), Some(*k))).collect();
    binaries.push(("consumer".into(), None));
    if let Some(unknown) = only
        .iter()
        .find(|name| !binaries.iter().any(|(binary, _)| binary == *name))
    {
        let known: Vec<&str> = binaries.iter().map(|(binary, _)| binary.as_str()).collect();
        return Err(format!(
            "--only {unknown}: not a measured binary (one of {})",
            known.join(", ")
        ));
    }
    if !only.is_empty() {
        binaries.retain(|(binary, _)| only.contains(binary));
    }
    let mut rows = Vec::new();
    for (binary, kind) in binaries {
        let also_sns = sns && kind.is_some();
        rows.push(Row {
            binary: binary.clone(),
            kind,
            via: Via::Sqs,
        });
        if also_sns {
            rows.push(Row {
                binary,
                kind,
                via: Via::Sns,
            });
        }
    }
    Ok(rows)
}

/// Prints the cold-start table: every measured binary against `hello`, in alternating rounds.
pub(crate) async fn run(dir: &Path, endpoint: Option<&str>, options: &Coldstart) -> Result<()> {
    let Coldstart {
        rounds,
        extra_env,
        label,
        only,
        stub_queue,
        sns,
    } = options;
    let rounds = *rounds;
    let rows = coldstart_rows(only, *sns)?;
    let queues = match endpoint {
        _ if *stub_queue => Some(queue_stand_in().await?),
        Some(endpoint) => Some(queues(endpoint).await?),
        None => {
            eprintln!("coldstart: no --endpoint: first answers are not measured");
            None
        }
    };
    let mut extra = Vec::new();
    for pair in extra_env {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--env {pair}: expected KEY=VALUE"))?;
        extra.push((&*String::from(key).leak(), value.to_string()));
    }
    let env_via = |via| {
        let mut env = function_env(queues.as_ref(), via);
        env.extend(extra.iter().cloned());
        env
    };
    let (sqs_env, sns_env) = (env_via(Via::Sqs), env_via(Via::Sns));
    let consumer_env = {
        let mut env = sqs_env.clone();
        env.push(("TABLE_NAME", "rollcall-bench-ledger".into()));
        env
    };
    let signer = WixSigner::new();
    // One SendMessage (and Publish) before measuring, so that the measuring process's own one-time set-up is
    // not counted.
    if let Some(q) = &queues {
        let kind = Kind::OmerloParticipantCreated;
        let vias: &[Via] = if *sns {
            &[Via::Sqs, Via::Sns]
        } else {
            &[Via::Sqs]
        };
        for (n, via) in (0..).zip(vias) {
            let body = deliveries::unique_body(kind, u64::MAX - n, &signer);
            queue_round_trip(q, kind, &body, *via).await?;
        }
    }
    struct Samples {
        init: Vec<f64>,
        hello_init: Vec<f64>,
        first: Vec<f64>,
        hello_first: Vec<f64>,
        rtt: Vec<f64>,
    }
    let mut samples: Vec<Samples> = rows
        .iter()
        .map(|_| Samples {
            init: vec![],
            hello_init: vec![],
            first: vec![],
            hello_first: vec![],
            rtt: vec![],
        })
        .collect();
    let mut seq = 0u64;
    for round in 0..rounds {
        eprintln!("coldstart: round {}/{rounds}", round + 1);
        for (Row { binary, kind, via }, s) in rows.iter().zip(samples.iter_mut()) {
            seq += 1;
            let body = kind.map(|k| deliveries::unique_body(k, seq, &signer));
            let event = match (kind, &body, &queues) {
                (Some(k), Some(body), Some(_)) => Some(deliveries::api_gateway_event(*k, body)),
                _ => None,
            };
            let hello_event = event.clone().unwrap_or_else(|| b"{}".to_vec());
            let hello = cold_run(dir, "hello", &[], Some(&hello_event)).await?;
            let env = match (kind, via) {
                (None, _) => &consumer_env,
                (Some(_), Via::Sqs) => &sqs_env,
                (Some(_), Via::Sns) => &sns_env,
            };
            let run = cold_run(dir, binary, env, event.as_deref()).await?;
            s.hello_init.push(hello.init_ms);
            s.hello_first.extend(hello.first_answer_ms);
            s.init.push(run.init_ms);
            if let (Some(first), Some(q), Some(k)) = (run.first_answer_ms, &queues, kind) {
                s.first.push(first);
                // A different id than the function's message, so that the FIFO queue stores both.
                let other = deliveries::unique_body(*k, seq + (1 << 40), &signer);
                s.rtt.push(queue_round_trip(q, *k, &other, *via).await?);
            }
        }
    }
    let label = label
        .as_deref()
        .map_or(String::new(), |label| format!(", {label}"));
    println!("### Cold start{label} ({rounds} alternating rounds; medians, ms)\n");
    println!(
        "| binary | init | hello init | init ratio (goal ≤ 1.3) | first answer | queue round trip | first answer − queue | hello first answer | first-answer ratio (goal ≤ 1.3) |"
    );
    println!("| --- | --: | --: | --: | --: | --: | --: | --: | --: |");
    let (mut init_ratios, mut first_ratios) = (vec![], vec![]);
    let mut nets = Vec::new();
    for (row, s) in rows.iter().zip(&samples) {
        let (init, hello_init) = (median(&s.init), median(&s.hello_init));
        let init_ratio = init / hello_init;
        init_ratios.push(init_ratio);
        let first_cells = if s.first.is_empty() {
            "n/a | n/a | n/a | n/a | n/a".to_string()
        } else {
            let (first, rtt, hello_first) =
                (median(&s.first), median(&s.rtt), median(&s.hello_first));
            let net = first - rtt;
            let ratio = net / hello_first;
            first_ratios.push(ratio);
            nets.push((row, net));
            format!(
                "{first:.2} | {rtt:.2} | {net:.2} | {hello_first:.2} | **{ratio:.2}** ({})",
                verdict(ratio, 1.3)
            )
        };
        let binary = row.name();
        println!(
            "| {binary} | {init:.2} | {hello_init:.2} | **{init_ratio:.2}** ({}) | {first_cells} |",
            verdict(init_ratio, 1.3)
        );
    }
    let worst = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    println!(
        "\nWorst init ratio {:.2}; worst first-answer ratio {:.2}.\n",
        worst(&init_ratios),
        worst(&first_ratios)
    );
    if *sns {
        // SNS against SQS, per function: the same binary, rounds and machine, only `TOPIC_ARN` for `QUEUE_URL`.
        for (row, net) in nets.iter().filter(|(row, _)| row.via == Via::Sns) {
            let sqs = nets
                .iter()
                .find(|(other, _)| other.via == Via::Sqs && other.binary == row.binary);
            if let Some((_, sqs_net)) = sqs {
                println!(
                    "{}: first answer − queue with SNS {net:.2} ms against SQS {sqs_net:.2} ms: **{:.2}×**.",
                    row.binary,
                    net / sqs_net
                );
            }
        }
        println!();
    }
    Ok(())
}
