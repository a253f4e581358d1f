//! The one rule for a bad setting, as `rollcall serve` applies it: it refuses to start, exits non-zero and names
//! every malformed variable on stderr (a malformed limit used to fall back to its default with a warning, a
//! malformed secret to a server answering 503).

use crate::common::*;

#[test]
fn serve_refuses_to_start_naming_every_malformed_setting() {
    let (status, stderr) = serve_exit(
        &["--dev"],
        &[
            ("ROLLCALL_QUEUE_DEADLINE_MS", "0"),
            ("ROLLCALL_MAX_BODY_BYTES", "big"),
            ("WIX_MAX_TOKEN_AGE_SECS", "-5"),
            ("OMERLO_API_KEY", " , "),
            ("WIX_PUBLIC_KEY", "not a pem"),
        ],
    );
    assert!(!status.success(), "{stderr}");
    for var in [
        "OMERLO_API_KEY",
        "WIX_PUBLIC_KEY",
        "WIX_MAX_TOKEN_AGE_SECS",
        "ROLLCALL_MAX_BODY_BYTES",
        "ROLLCALL_QUEUE_DEADLINE_MS",
    ] {
        assert!(stderr.contains(var), "{var} named: {stderr}");
    }
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(
        !stderr.contains("not a pem"),
        "a secret is never repeated: {stderr}"
    );
    assert!(!stderr.contains("serving"), "{stderr}");
}

#[test]
fn serve_refuses_a_malformed_secret_without_dev() {
    let (status, stderr) = serve_exit(&[], &[("MIGHTY_NETWORKS_API_KEY", ",")]);
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("MIGHTY_NETWORKS_API_KEY (it holds no key)"),
        "{stderr}"
    );
}
