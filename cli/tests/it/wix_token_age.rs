//! The Wix token age bound as `rollcall serve` applies it: an old token is refused with 401 and a token without
//! `iat` is accepted and logged at WARN; `--dev` turns the bound off, loudly, only when it is unset; the server
//! warns at start when the SQLite de-duplication window does not outlast the bound.

// `common` is shared by the CLI tests; this one needs only part of it.

use crate::common::*;
use rollcall::Kind;
use rollcall_testkit::deliveries::{WixSigner, kind_fixture, now, wix_claims, wix_public_key};
use std::time::{Duration, Instant};

fn token(iat: Option<u64>) -> Vec<u8> {
    let mut claims = wix_claims(&kind_fixture(Kind::WixParticipationCreated));
    match iat {
        Some(iat) => claims["iat"] = iat.into(),
        None => {
            claims.as_object_mut().unwrap().remove("iat");
        }
    }
    WixSigner::new().sign(&claims).into_bytes()
}

async fn status(server: &Server, body: Vec<u8>) -> u16 {
    let delivery = Delivery::new(Kind::WixParticipationCreated, body);
    load(&server.url, std::sync::Arc::new(vec![delivery]), 1).await[0].0
}

fn logs_contain(server: &Server, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if server.logs.lock().unwrap().iter().any(|l| l.contains(text)) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_wix_tokens_are_refused_and_dev_says_when_it_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let key = wix_public_key();
    let week = (7 * 86_400).to_string();
    let server = serve(
        dir.path(),
        &[],
        &[("WIX_PUBLIC_KEY", &key), ("WIX_MAX_TOKEN_AGE_SECS", &week)],
    );
    assert!(
        logs_contain(&server, "de-duplication window does not exceed"),
        "a bound as long as the SQLite window is warned about"
    );
    assert_eq!(status(&server, token(Some(now() - 8 * 86_400))).await, 401);
    assert_eq!(status(&server, token(Some(now() - 86_400))).await, 200);
    assert_eq!(status(&server, token(None)).await, 200);
    assert!(
        logs_contain(&server, "without iat"),
        "no iat is logged at WARN"
    );
    drop(server);

    // The default bound (72 h) refuses the old samples of events/; --dev accepts them, saying so.
    let default = serve(dir.path(), &[], &[("WIX_PUBLIC_KEY", &key)]);
    let sample = token(Some(1_767_225_600));
    assert_eq!(status(&default, sample.clone()).await, 401);
    drop(default);
    let dev = serve(dir.path(), &["--dev"], &[]);
    assert!(logs_contain(&dev, "Wix signatures of ANY AGE are accepted"));
    assert!(logs_contain(
        &dev,
        "Calendly signatures of ANY AGE are accepted"
    ));
    assert_eq!(status(&dev, sample.clone()).await, 200);
    drop(dev);
    let dev_bounded = serve(
        dir.path(),
        &["--dev"],
        &[("WIX_MAX_TOKEN_AGE_SECS", "259200")],
    );
    assert_eq!(status(&dev_bounded, sample).await, 401);
}
