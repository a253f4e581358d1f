//! A function keeps its process after a contained panic (issue 25 §2): the real binaries, built with the
//! test-only `fault-injection` feature, over the in-repo Lambda Runtime API and the loopback SQS server. A panic
//! while reading is `200 quarantined`, one while authenticating `500 internal_error`, and the same process
//! answers the next invocation; its logs carry the code location, never the panic's message.

use rollcall::Kind;
use rollcall::fault::HEADER;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{WixSigner, api_gateway_event, body};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

/// The kind's API Gateway event with a fresh, valid body, asking for `fault` (none when empty).
fn event(kind: Kind, fault: &str) -> Vec<u8> {
    let mut event: Value =
        serde_json::from_slice(&api_gateway_event(kind, &body(kind, &WixSigner::new()))).unwrap();
    if !fault.is_empty() {
        event["headers"][HEADER] = fault.into();
    }
    serde_json::to_vec(&event).unwrap()
}

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_caught_panic_the_same_function_process_answers_the_next_invocation() {
    let endpoint = endpoint();
    let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    let env = aws::function_env(&endpoint, &fifo, &quarantine);
    for kind in [
        Kind::OmerloParticipantCreated,
        Kind::MightyNetworksRsvpCreated,
        Kind::WixParticipationCreated,
        Kind::CalendlyInviteeCreated,
    ] {
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        for (fault, status, word) in [
            ("panic-in-read", 200, "quarantined"),
            ("panic-in-authenticate", 500, "error"),
            ("", 200, "queued"),
        ] {
            let Outcome::Response(response) = api.invoke(&event(kind, fault)).await else {
                panic!("{kind} {fault}: no answer: the process died");
            };
            let answer: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert_eq!(response["statusCode"], status, "{kind} {fault}: {answer}");
            assert_eq!(answer["status"], word, "{kind} {fault}: {answer}");
        }
        assert!(
            function.try_wait().unwrap().is_none(),
            "{kind}: the process lives on"
        );
        function.start_kill().unwrap();
        let output = function.wait_with_output().await.unwrap();
        let logs =
            String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
        assert!(
            logs.contains("quarantined_internal_error"),
            "{kind}: {logs}"
        );
        assert!(logs.contains("panic_at"), "{kind}: {logs}");
        assert!(
            !logs.contains("fault injection"),
            "{kind}: the panic message is not logged: {logs}"
        );
    }
}
