//! What the functions' release packages are built with, read off their resolved build graph (`cargo tree`,
//! `cargo metadata`).

use std::process::Command;

/// What `cargo ARGS --locked --offline` prints, run in this package; fails the test if cargo does.
fn cargo(args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .args(["--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The features `tracing` is built with for `rollcall-functions`.
fn tracing_features() -> Vec<String> {
    let tree = cargo(&[
        "tree",
        "--package",
        "rollcall-functions",
        "--edges",
        "normal",
        "--invert",
        "tracing",
        "--depth",
        "0",
        "--format",
        "{f}",
    ]);
    String::from_utf8_lossy(&tree)
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

/// A `1.94.1`-style version as numbers (a missing part is 0).
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn the_declared_rust_version_builds_every_dependency() {
    // The workspace's `rust-version` is the toolchain the README asks for; a dependency that needs a newer one
    // would fail a user's build with that toolchain, however green this machine's newer compiler is.
    // Filtered to this machine's platform: offline, cargo has only the packages a build here fetched (a fresh
    // `CARGO_HOME` lacks other platforms' crates). The Lambda targets are Linux, as CI is.
    let host = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "host-tuple"])
        .output()
        .expect("rustc runs");
    let host = String::from_utf8(host.stdout).expect("host tuple");
    let metadata: serde_json::Value = serde_json::from_slice(&cargo(&[
        "metadata",
        "--format-version",
        "1",
        "--filter-platform",
        host.trim(),
    ]))
    .expect("metadata JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let declared = packages
        .iter()
        .find(|p| p["name"] == "rollcall-functions")
        .and_then(|p| p["rust_version"].as_str())
        .expect("rollcall-functions declares a rust-version");
    let too_new: Vec<String> = packages
        .iter()
        .filter_map(|p| Some((p["name"].as_str()?, p["rust_version"].as_str()?)))
        .filter(|(_, needs)| version(needs) > version(declared))
        .map(|(name, needs)| format!("{name} needs {needs}"))
        .collect();
    assert!(
        too_new.is_empty(),
        "rust-version {declared} is too old: {too_new:?}"
    );
}
