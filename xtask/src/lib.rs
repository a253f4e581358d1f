//! The files generated from the code, in one place: what `cargo xtask regenerate` writes and what `--check`
//! compares.
//!
//! The generators stay beside what they read: `rollcall_testkit::events` (the sample events of `events/`),
//! `rollcall_testkit::template` (the generated blocks of `template.yaml` and `consumer.yaml`), `rollcall::message::json_schema` (the
//! message's JSON Schema) and `rollcall_testkit::messages` (the record of what the fixtures map to); [`guide`],
//! the per-kind rows of `docs/deploying.md`, lives here. This crate lays their output out as files under a
//! workspace root, compares, and writes.

pub mod guide;

use std::fmt;
use std::path::{Path, PathBuf};

/// What to do about a drift, as `--check` and the suite's test say it.
pub const FIX: &str = "the generated files above differ from what the code makes: run `cargo xtask regenerate` and review the diff";

/// The folder of the sample events; every `*.json` file in it is generated.
const EVENTS: &str = "events";
/// The deploying guide, whose per-kind rows are generated.
const GUIDE: &str = "docs/deploying.md";
/// The message's JSON Schema.
const SCHEMA: &str = "schema/message.schema.json";
/// The record of the messages the unchanged fixtures map to.
const MESSAGES: &str = "shared/tests/fixtures/messages.json";

/// Why the generated files could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The path, from the workspace root.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file could not be written or removed.
    #[error("writing {}: {source}", path.display())]
    Write {
        /// The path, from the workspace root.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A template (`template.yaml`, `consumer.yaml`) lacks the marker lines between which its generated blocks
    /// go, or its blocks could not be made.
    #[error("{name}: {why}")]
    Template {
        /// The template's path, from the workspace root.
        name: &'static str,
        /// What is wrong.
        why: String,
    },
    /// `docs/deploying.md` lacks the marker lines between which the per-kind rows go.
    #[error("{GUIDE}: {0}")]
    Guide(String),
    /// The JSON Schema could not be written as text.
    #[error("{SCHEMA}: {0}")]
    Schema(#[from] serde_json::Error),
}

/// One generated file: its path from the workspace root and the text the code makes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path from the workspace root, e.g. `events/env.json`.
    pub path: PathBuf,
    /// The text the code makes.
    pub text: String,
}

/// How a committed file differs from what the code makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The code makes the file; the workspace lacks it.
    Missing(PathBuf),
    /// The file's text differs from the code's.
    Differs {
        /// The path from the workspace root.
        path: PathBuf,
        /// The first line that differs (1-based).
        line: usize,
    },
    /// A `*.json` file of `events/` the code no longer makes (`regenerate` removes it).
    Extra(PathBuf),
}

impl Drift {
    /// The path the drift is about, from the workspace root.
    pub fn path(&self) -> &Path {
        match self {
            Drift::Missing(path) | Drift::Differs { path, .. } | Drift::Extra(path) => path,
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing(path) => write!(f, "{}: missing", path.display()),
            Drift::Differs { path, line } => write!(
                f,
                "{}: differs from what the code makes, from line {line}",
                path.display()
            ),
            Drift::Extra(path) => write!(f, "{}: no longer generated", path.display()),
        }
    }
}

/// What the workspace at `root` should hold: every generated file, and the files of `events/` to remove.
#[derive(Debug)]
pub struct Plan {
    /// Every generated file with the text the code makes.
    pub files: Vec<File>,
    /// The `*.json` files of `events/` that the code does not make.
    pub extra: Vec<PathBuf>,
}

/// The generated files for the workspace at `root`. The per-kind blocks of `template.yaml` and rows of
/// `docs/deploying.md` go into the files found there, the rest of which stays as written; the fixtures read are
/// always those of the workspace this crate was built from.
pub fn plan(root: &Path) -> Result<Plan, Error> {
    let events_dir = Path::new(EVENTS);
    let events = rollcall_testkit::events::build();
    let committed_events = read_events(root)?;
    let extra = committed_events
        .into_iter()
        .filter(|name| !events.contains_key(name))
        .map(|name| events_dir.join(name))
        .collect();
    let mut files: Vec<File> = events
        .into_iter()
        .map(|(name, text)| File {
            path: events_dir.join(name),
            text,
        })
        .collect();
    for (name, render) in rollcall_testkit::template::TEMPLATES {
        let template = read(root, Path::new(name))?;
        files.push(File {
            path: name.into(),
            text: render(&template).map_err(|why| Error::Template { name, why })?,
        });
    }
    let guide = read(root, Path::new(GUIDE))?;
    files.push(File {
        path: GUIDE.into(),
        text: guide::render(&guide).map_err(Error::Guide)?,
    });
    files.push(File {
        path: SCHEMA.into(),
        text: serde_json::to_string_pretty(&rollcall::message::json_schema())? + "\n",
    });
    files.push(File {
        path: MESSAGES.into(),
        text: rollcall_testkit::messages::record_text(),
    });
    Ok(Plan { files, extra })
}

/// How the generated files of the workspace at `root` differ from what the code makes; empty when they do not.
pub fn check(root: &Path) -> Result<Vec<Drift>, Error> {
    compare(root, &plan(root)?)
}

/// Writes every generated file of the workspace at `root` that differs from what the code makes, and removes
/// the `events/` files the code no longer makes. Returns what it changed: empty when all was up to date.
pub fn write(root: &Path) -> Result<Vec<Drift>, Error> {
    let plan = plan(root)?;
    let drifts = compare(root, &plan)?;
    for drift in &drifts {
        let path = drift.path();
        let at = root.join(path);
        let done = match plan.files.iter().find(|file| file.path == path) {
            Some(file) => at
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&at, &file.text)),
            None => std::fs::remove_file(&at),
        };
        done.map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(drifts)
}

/// How the files under `root` differ from `plan`.
fn compare(root: &Path, plan: &Plan) -> Result<Vec<Drift>, Error> {
    let mut drifts = Vec::new();
    for file in &plan.files {
        match std::fs::read_to_string(root.join(&file.path)) {
            Ok(text) if text == file.text => {}
            Ok(text) => drifts.push(Drift::Differs {
                path: file.path.clone(),
                line: first_difference(&text, &file.text),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                drifts.push(Drift::Missing(file.path.clone()));
            }
            Err(source) => {
                return Err(Error::Read {
                    path: file.path.clone(),
                    source,
                });
            }
        }
    }
    drifts.extend(plan.extra.iter().cloned().map(Drift::Extra));
    Ok(drifts)
}

/// The names of the `*.json` files of `events/` under `root` (none if the folder is missing).
fn read_events(root: &Path) -> Result<Vec<String>, Error> {
    let dir = root.join(EVENTS);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    rollcall_testkit::events::read(&dir)
        .map(|files| files.into_keys().collect())
        .map_err(|source| Error::Read {
            path: EVENTS.into(),
            source,
        })
}

/// The text of `path` under `root`.
fn read(root: &Path, path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(root.join(path)).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

/// The first line (1-based) at which `a` and `b` differ; one past the shorter when one is a prefix of the other.
fn first_difference(a: &str, b: &str) -> usize {
    a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count() + 1
}
