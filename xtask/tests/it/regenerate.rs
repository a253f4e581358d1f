//! `cargo xtask regenerate`: the committed files are what the code makes (this test is how `cargo test` runs
//! `--check`), and on a copy of them, each kind of drift is named and `regenerate` undoes it.

use std::path::{Path, PathBuf};
use xtask::{Drift, Error};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_committed_generated_files_are_what_the_code_makes() {
    let drifts = xtask::check(&repo()).expect("the generated files are readable");
    let named: Vec<String> = drifts.iter().map(ToString::to_string).collect();
    assert!(drifts.is_empty(), "{}\n{}", named.join("\n"), xtask::FIX);
}

/// A temporary workspace holding a copy of every generated file of the repository.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let plan = xtask::plan(&repo()).expect("the plan of the repository");
    for file in &plan.files {
        let to = dir.path().join(&file.path);
        std::fs::create_dir_all(to.parent().expect("a file has a folder")).expect("folder made");
        std::fs::copy(repo().join(&file.path), &to).expect("copied");
    }
    dir
}

fn edit(root: &Path, path: &str, change: impl FnOnce(String) -> String) {
    let at = root.join(path);
    let text = std::fs::read_to_string(&at).expect("readable");
    std::fs::write(&at, change(text)).expect("written");
}

/// The 1-based number of the first line of `path` under `root` that contains `needle`.
fn line_of(root: &Path, path: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root.join(path)).expect("readable");
    text.lines()
        .position(|line| line.contains(needle))
        .expect("found")
        + 1
}

#[test]
fn a_copy_of_the_committed_files_checks_clean() {
    let dir = copy();
    assert_eq!(xtask::check(dir.path()).expect("checked"), []);
}

#[test]
fn each_drift_is_named_and_regenerate_undoes_it() {
    let dir = copy();
    let root = dir.path();
    let binary = "        Binary: omerlo-participant-created";
    let line = line_of(root, "template.yaml", binary);
    edit(root, "template.yaml", |text| {
        text.replacen(binary, "        Binary: hand-edited", 1)
    });
    edit(root, "schema/message.schema.json", |text| {
        text.replacen("\"$id\"", "\"$Id\"", 1)
    });
    edit(root, "shared/tests/fixtures/messages.json", |text| {
        text + "\n"
    });
    let row = "`WixGuestCreatedUrl`";
    let guide_line = line_of(root, "docs/deploying.md", row);
    edit(root, "docs/deploying.md", |text| {
        text.replacen(row, "`WixGuestCreatedURL`", 1)
    });
    std::fs::remove_file(root.join("events/env.json")).expect("removed");
    std::fs::write(root.join("events/old-kind.json"), "{}").expect("written");
    std::fs::write(root.join("events/notes.txt"), "not an event").expect("written");

    let mut drifts = xtask::check(root).expect("checked");
    drifts.sort_by(|a, b| a.path().cmp(b.path()));
    // The record ends with an extra blank line: it differs one past its last line.
    let messages = std::fs::read_to_string(repo().join("shared/tests/fixtures/messages.json"))
        .expect("readable");
    let schema_line = line_of(root, "schema/message.schema.json", "\"$Id\"");
    let expected = [
        Drift::Differs {
            path: "docs/deploying.md".into(),
            line: guide_line,
        },
        Drift::Missing("events/env.json".into()),
        Drift::Extra("events/old-kind.json".into()),
        Drift::Differs {
            path: "schema/message.schema.json".into(),
            line: schema_line,
        },
        Drift::Differs {
            path: "shared/tests/fixtures/messages.json".into(),
            line: messages.lines().count() + 1,
        },
        Drift::Differs {
            path: "template.yaml".into(),
            line,
        },
    ];
    assert_eq!(drifts, expected);
    assert_eq!(
        drifts[3].to_string(),
        format!(
            "schema/message.schema.json: differs from what the code makes, from line {schema_line}"
        )
    );

    let written = xtask::write(root).expect("written");
    assert_eq!(written.len(), drifts.len(), "{written:?}");
    assert_eq!(xtask::check(root).expect("checked"), []);
    assert!(!root.join("events/old-kind.json").exists());
    assert!(
        root.join("events/notes.txt").exists(),
        "only *.json files are generated"
    );
    for path in [
        "docs/deploying.md",
        "template.yaml",
        "events/env.json",
        "shared/tests/fixtures/messages.json",
    ] {
        assert_eq!(
            std::fs::read_to_string(root.join(path)).expect("readable"),
            std::fs::read_to_string(repo().join(path)).expect("readable"),
            "{path}"
        );
    }
}

#[test]
fn the_hand_written_part_of_the_template_is_left_as_it_is() {
    let dir = copy();
    let root = dir.path();
    edit(root, "template.yaml", |text| {
        text.replacen("Globals:", "# A note of the operator's.\nGlobals:", 1)
    });
    assert_eq!(xtask::check(root).expect("checked"), []);
}

#[test]
fn a_template_without_its_markers_is_an_error_naming_the_marker() {
    let dir = copy();
    let root = dir.path();
    edit(root, "template.yaml", |text| {
        text.replacen("  # END per-kind outputs\n", "", 1)
    });
    let error = xtask::check(root).expect_err("no end marker");
    assert!(
        matches!(
            error,
            Error::Template {
                name: "template.yaml",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("# END per-kind outputs"),
        "{error}"
    );
}
