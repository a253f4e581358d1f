//! No personal data in any log line of `rollcall serve`: every kind's fixture with an e-mail address, a phone
//! number sent as a number, or a boolean in each of its fields in turn (every member and element, at every
//! depth), each delivery queued or quarantined, and the server's logs searched for the personal data.

// `common` is shared by the CLI tests; this one needs only part of it.

use crate::common::*;
use rollcall::Kind;
use rollcall_testkit::deliveries::WixSigner;
use rollcall_testkit::personal::{Personal, Variant, variants};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_in_any_field_never_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--dev"], &[]);
    let signer = WixSigner::new();
    let all: Vec<Variant> = Kind::ALL
        .into_iter()
        .flat_map(|kind| variants(kind, false, &signer))
        .collect();
    assert!(all.len() > 600, "{} deliveries", all.len());
    let deliveries: Vec<Delivery> = all
        .iter()
        .map(|v| Delivery::new(v.kind, v.body.clone()))
        .collect();
    let answers = load(&server.url, Arc::new(deliveries), 8).await;

    let mut quarantined = 0;
    for (variant, (status, body)) in all.iter().zip(&answers) {
        let at = format!("{} {} {:?}", variant.kind, variant.path, variant.personal);
        assert_eq!(*status, 200, "{at}: {body}");
        if body["status"] == "quarantined" {
            quarantined += 1;
            let reason = body["reason"].as_str().unwrap();
            assert!(
                !reason.contains(&variant.personal.text()),
                "{at}: the reason repeats the value: {reason}"
            );
        }
    }
    assert!(quarantined > 100, "{quarantined} quarantined");

    // One log line per request, then none of them may hold the personal data.
    let deadline = Instant::now() + Duration::from_secs(60);
    let lines = loop {
        let lines = server.logs.lock().unwrap().clone();
        let requests = lines.iter().filter(|l| l.contains("\"outcome\"")).count();
        if requests >= all.len() || Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let requests: Vec<&String> = lines.iter().filter(|l| l.contains("\"outcome\"")).collect();
    assert_eq!(requests.len(), all.len(), "one line per request");
    for personal in [Personal::Email, Personal::Phone] {
        let text = personal.text();
        for line in &lines {
            if line.contains(&text) {
                // Only a message id may carry it: the provider's id of the delivery, logged with each one.
                let excused = all.iter().any(|v| {
                    v.personal == personal
                        && v.is_message_id()
                        && line.contains(&format!("\"id\":\"{text}\""))
                });
                assert!(excused, "personal data in a log line: {line}");
            }
        }
    }
    for line in lines.iter().filter(|l| l.contains("\"reason\"")) {
        assert!(
            !line.contains("true"),
            "a boolean value in a reason: {line}"
        );
    }
}
