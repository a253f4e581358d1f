//! The functions' resolved build graph (`cargo tree`) leaves out what only the `rollcall` command needs: the
//! standard AWS configuration chain (`aws-config`, with its SSO and STS clients) would add to every function's
//! package and cold start, and the functions read their region and credentials from Lambda's environment.
//! Nor does a function built as `sam build` builds it carry the test-only fault injection.

use std::process::Command;

/// The packages `package` links (normal edges, every target), one `name vX.Y.Z` per line.
fn linked(package: &str) -> Vec<String> {
    // Not `--offline`: the packages of another workspace member need not be downloaded yet.
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--package",
            package,
            "--edges",
            "normal",
        ])
        .args(["--target", "all", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn links(packages: &[String], name: &str) -> bool {
    packages.iter().any(|p| p.split(' ').next() == Some(name))
}

#[test]
fn the_functions_do_not_link_the_aws_configuration_chain() {
    let cli = linked("rollcall-cli");
    assert!(links(&cli, "aws-config"), "the CLI has it: {cli:?}");
    let functions = linked("rollcall-functions");
    assert!(links(&functions, "aws-sdk-sqs"), "{functions:?}");
    for name in [
        "aws-config",
        "aws-sdk-sso",
        "aws-sdk-ssooidc",
        "aws-sdk-sts",
    ] {
        assert!(!links(&functions, name), "the functions link {name}");
    }
}

#[test]
fn a_function_built_as_sam_builds_it_has_no_fault_injection() {
    // `sam build` (cargo lambda) builds the functions with their default features: the test-only panics of
    // rollcall's `fault` module must not be among them.
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--package", "rollcall-functions"])
        .args([
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p} [{f}]",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    let tree = String::from_utf8_lossy(&output.stdout);
    let rollcall = tree
        .lines()
        .find(|line| line.starts_with("rollcall v"))
        .unwrap_or_else(|| panic!("rollcall in the graph: {tree}"));
    assert!(rollcall.contains("lambda"), "{rollcall}");
    assert!(!rollcall.contains("fault-injection"), "{rollcall}");
}
