//! No personal data in any log line of the function binaries: each kind's function, run over the Lambda Runtime
//! API against an SQS-speaking server on loopback, gets its fixture with an e-mail address, a phone number sent
//! as a number, or a boolean in each of its fields in turn (one type per field, rotating), and its output is
//! searched for the personal data.

use rollcall::Kind;
use rollcall_testkit::aws::{self, endpoint};
use rollcall_testkit::deliveries::{WixSigner, api_gateway_event};
use rollcall_testkit::personal::{Personal, variants};
use rollcall_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;

#[ignore = "needs the loopback SQS/DynamoDB server (scripts/test starts it)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_in_any_field_never_reaches_a_functions_logs() {
    let endpoint = endpoint();
    let client = aws::sqs(&endpoint, aws::SETUP_DEADLINE);
    let (fifo, quarantine) = aws::create_queues(&client).await;
    let env = aws::function_env(&endpoint, &fifo, &quarantine);
    let signer = WixSigner::new();
    let (mut sent, mut quarantined) = (0, 0);
    for kind in Kind::ALL {
        let api = RuntimeApi::start().await;
        let mut function = api.spawn(&kind.binary(), &env);
        let all = variants(kind, true, &signer);
        for variant in &all {
            let event: Value =
                serde_json::from_slice(&api_gateway_event(kind, &variant.body)).expect("an event");
            let at = format!("{kind} {} {:?}", variant.path, variant.personal);
            let Outcome::Response(response) = api.invoke(event.to_string().as_bytes()).await else {
                panic!("{at}: no answer");
            };
            assert_eq!(response["statusCode"], 200, "{at}: {response}");
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            if body["status"] == "quarantined" {
                quarantined += 1;
            }
            sent += 1;
        }
        function.start_kill().unwrap();
        let output = function.wait_with_output().await.unwrap();
        let logs =
            String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
        assert!(
            logs.matches("outcome").count() >= all.len(),
            "one line per request: {logs}"
        );
        for line in logs.lines() {
            for personal in [Personal::Email, Personal::Phone] {
                let text = personal.text();
                // Only a message id may carry it: the provider's id of the delivery, logged with each one.
                let excused = all
                    .iter()
                    .any(|v| v.personal == personal && v.is_message_id())
                    && (line.contains(&format!("id=\"{text}\""))
                        || line.contains(&format!("id={text}")));
                assert!(
                    !line.contains(&text) || excused,
                    "{kind}: personal data in a log line: {line}"
                );
            }
            if line.contains("reason") {
                assert!(
                    !line.contains("true"),
                    "{kind}: a boolean in a reason: {line}"
                );
            }
        }
    }
    assert!(
        sent > 200 && quarantined > 50,
        "{sent} sent, {quarantined} quarantined"
    );
}
