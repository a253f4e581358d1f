//! Extreme but legal values through each real function binary, over the Lambda Runtime API against an
//! SQS-speaking server on loopback: `ROLLCALL_EXTREME_PROCESS_CASES` (10 by default) authentic mutants of each
//! kind's fixture (`rollcall_testkit::extreme`, the edits of the pipeline's property test in
//! `shared/tests/it/extreme.rs`) each get `200`, queued or quarantined, and the process answers them all.

use rollcall::Kind;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{WixSigner, api_gateway_event};
use rollcall_testkit::extreme::{Fixture, cases_from_env, mutants};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_values_are_queued_or_quarantined_by_every_function() {
    let endpoint = endpoint();
    let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    let mut env = aws::function_env(&endpoint, &fifo, &quarantine);
    // The loopback server on a busy machine may take longer than SQS: its pace is no answer about a delivery.
    env.push(("ROLLCALL_QUEUE_DEADLINE_MS", "10000".to_owned()));
    let signer = WixSigner::new();
    let count = cases_from_env("ROLLCALL_EXTREME_PROCESS_CASES", 10);
    let (mut queued, mut quarantined) = (0, 0);
    for kind in Kind::ALL {
        let fixture = Fixture::new(kind, &signer);
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        for (edits, body) in mutants(&fixture, count, 1, &signer) {
            let event: Value =
                serde_json::from_slice(&api_gateway_event(kind, &body)).expect("an event");
            let at = format!("{kind} {edits:?}");
            let Outcome::Response(response) = api.invoke(event.to_string().as_bytes()).await else {
                panic!("{at}: no answer (the process died?)");
            };
            assert_eq!(response["statusCode"], 200, "{at}: {response}");
            let answer: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{at}: {e}: {response}"));
            match answer["status"].as_str() {
                Some("queued") => queued += 1,
                Some("quarantined") => quarantined += 1,
                _ => panic!("{at}: {answer}"),
            }
        }
        function.start_kill().expect("the function stops");
        function.wait().await.expect("the function ends");
    }
    let sent = count * Kind::ALL.len();
    assert_eq!(queued + quarantined, sent);
    assert!(
        queued > 0 && quarantined > 0,
        "{queued} queued, {quarantined} quarantined"
    );
}
