//! The contract stays light: what a consumer compiles with it is serde, serde_json (and serde_path_to_error),
//! time and schemars. Crypto,
//! async runtimes, HTTP, AWS SDKs and SQLite belong to `rollcall`, never here.

use std::process::Command;

/// Crates a consumer of the contract must never compile, by name prefix.
const REFUSED: [&str; 6] = [
    "aws-lc",
    "jsonwebtoken",
    "tokio",
    "hyper",
    "aws-sdk",
    "rusqlite",
];

/// The names of the crates of `rollcall-contract`'s normal dependency tree, from `cargo tree` (offline, as locked).
fn normal_dependencies() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            "rollcall-contract",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_contract_depends_on_no_crypto_runtime_http_aws_or_sqlite_crate() {
    let crates = normal_dependencies();
    assert!(
        crates.iter().any(|c| c == "serde_json"),
        "cargo tree listed the tree: {crates:?}"
    );
    let refused: Vec<&String> = crates
        .iter()
        .filter(|c| REFUSED.iter().any(|r| c.starts_with(r)))
        .collect();
    assert!(
        refused.is_empty(),
        "rollcall-contract depends on {refused:?}: move what needs them to `rollcall`"
    );
}
