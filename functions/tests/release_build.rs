//! What the functions' release packages are built with, read off their resolved build graph (`cargo tree`).

use std::process::Command;

/// The features `tracing` is built with for `rollcall-functions`.
fn tracing_features() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--package",
            "rollcall-functions",
            "--edges",
            "normal",
        ])
        .args(["--invert", "tracing", "--depth", "0", "--format", "{f}"])
        .args(["--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .split(',')
        .map(str::to_owned)
        .collect()
}

#[test]
fn release_packages_compile_trace_events_out() {
    // At `trace`, lambda_runtime logs each raw event and the SDK each request: secrets and personal data. The
    // runtime also refuses the level (`lambda::log_level`); compiled out, it costs no package size either.
    let features = tracing_features();
    assert!(
        features.iter().any(|f| f == "release_max_level_debug"),
        "{features:?}"
    );
    // A `max_level_*` feature would cap debug builds too, and so the tests' own view of the logs.
    assert!(
        !features.iter().any(|f| f.starts_with("max_level_")),
        "{features:?}"
    );
}
