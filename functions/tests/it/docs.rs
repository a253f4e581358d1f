//! The docs hold to the code: the README's routes table names every kind of the registry, and every repository
//! path and test the docs cite exists. A kind added, a file moved or a test renamed fails here until the docs
//! say so. (`docs/deploying.md`'s per-kind rows are written by `cargo xtask regenerate`, whose check pins them.) The docs never count the kinds or the
//! providers in words, so nothing here reads numbers.

use rollcall::Kind;
use rollcall_testkit::deliveries::repo;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

#[test]
fn the_readme_routes_table_is_the_registry() {
    let readme = read("README.md");
    for kind in Kind::ALL {
        let row = format!(
            "| `{}` | `{}` | `{}` |",
            kind.route(),
            kind.message_type(),
            kind.binary()
        );
        assert!(readme.contains(&row), "README.md has no row `{row}`");
    }
    let rows = readme
        .lines()
        .filter(|line| line.starts_with("| `/webhooks/"))
        .count();
    assert_eq!(rows, Kind::ALL.len(), "rows of the README's routes table");
}

/// The README's Rust example of "Consuming" is the contract crate's doc test (`contract/src/lib.rs`, which
/// `cargo test -p rollcall-contract --doc` compiles and runs), line for line.
#[test]
fn the_readme_consuming_example_is_the_contract_doc_test() {
    let readme = read("README.md");
    let consuming = readme
        .split("\n## Consuming\n")
        .nth(1)
        .expect("README.md has a `## Consuming` section");
    let example = consuming
        .split("```rust\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("`## Consuming` has a Rust example");
    let doc_test = read("contract/src/lib.rs");
    for line in example.lines() {
        assert!(
            doc_test.contains(&format!("//! {line}\n")),
            "README.md's example line `{line}` is not in contract/src/lib.rs's doc test"
        );
    }
    assert!(example.contains("Payload::WixParticipationCreated"));
}

#[test]
fn every_repository_path_the_docs_name_exists() {
    const ROOTS: [&str; 11] = [
        "contract/",
        "shared/",
        "cli/",
        "functions/",
        "testkit/",
        "xtask/",
        "scripts/",
        "schema/",
        "events/",
        "docs/",
        ".ci/",
    ];
    let docs = [
        "README.md",
        "CONTRIBUTING.md",
        "RELIABILITY.md",
        "BENCHMARKS.md",
        "CHANGELOG.md",
        "docs/deploying.md",
        "docs/personal-data.md",
        "events/README.md",
    ];
    let mut missing = Vec::new();
    for doc in docs {
        let text = read(doc);
        // Code spans: every other piece between backticks.
        for span in text.split('`').skip(1).step_by(2) {
            let path = span.split_once(' ').map_or(span, |(path, _)| path);
            let path = path.split_once(':').map_or(path, |(path, _)| path);
            let named = ROOTS.iter().any(|root| path.starts_with(root))
                && !path.contains(['<', '*', '{', '…'])
                && !path.contains("/.");
            if named && !repo().join(path.trim_end_matches('/')).exists() {
                missing.push(format!("{doc}: {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "paths named in the docs that do not exist: {missing:?}"
    );
}

#[test]
fn every_test_the_docs_cite_exists() {
    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() && !name.starts_with('.') && name != "target" {
                sources(&path, out);
            } else if name.ends_with(".rs") || name.ends_with(".py") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut code = String::new();
    for dir in [
        "contract",
        "shared",
        "cli",
        "functions",
        "testkit",
        "xtask",
        "scripts",
    ] {
        sources(&repo().join(dir), &mut code);
    }
    let mut missing = Vec::new();
    for doc in [
        "README.md",
        "CONTRIBUTING.md",
        "RELIABILITY.md",
        "docs/deploying.md",
    ] {
        for span in read(doc).split('`').skip(1).step_by(2) {
            // A test's name: four or more lower-case words joined by underscores.
            let looks_like_a_test = span.split('_').count() >= 4
                && span
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if looks_like_a_test
                && !code.contains(&format!("fn {span}("))
                && !code.contains(&format!("def {span}("))
            {
                missing.push(format!("{doc}: {span}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "tests cited in the docs that do not exist: {missing:?}"
    );
}

/// The README's configuration table and the settings table (`rollcall::settings::SETTINGS`) name the same
/// variables: a variable added to either fails here until the other has it.
#[test]
fn the_readme_configuration_table_is_the_settings_table() {
    let readme = read("README.md");
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README.md has a `## Configuration` section");
    let mut documented: Vec<&str> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .collect();
    documented.sort_unstable();
    let mut read: Vec<&str> = rollcall::settings::SETTINGS
        .iter()
        .map(|s| s.name)
        .collect();
    read.sort_unstable();
    assert_eq!(
        documented, read,
        "README.md's configuration table against shared/src/settings.rs"
    );
}
