//! `cargo xtask` (the alias in `.cargo/config.toml`): the repository's own tasks.
//!
//! - `cargo xtask regenerate` writes every file generated from the code ([`xtask::plan`]) that differs from what
//!   the code makes, and removes the sample events no longer made; review the diff.
//! - `cargo xtask regenerate --check` changes nothing and fails, naming each file that differs.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::Drift;

#[derive(Parser)]
#[command(about = "The repository's own tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Writes what is generated from the code: events/, the per-kind blocks of template.yaml, the JSON Schema,
    /// the record of the fixtures' messages and the per-kind rows of docs/deploying.md.
    Regenerate {
        /// Change nothing; fail, naming each generated file that differs from what the code makes.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let Cli {
        task: Task::Regenerate { check },
    } = Cli::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let result = if check {
        xtask::check(&root)
    } else {
        xtask::write(&root)
    };
    match result {
        Err(error) => {
            eprintln!("xtask regenerate: {error}");
            ExitCode::FAILURE
        }
        Ok(drifts) if drifts.is_empty() => {
            println!("every generated file is what the code makes");
            ExitCode::SUCCESS
        }
        Ok(drifts) if check => {
            for drift in &drifts {
                eprintln!("{drift}");
            }
            eprintln!("{}", xtask::FIX);
            ExitCode::FAILURE
        }
        Ok(drifts) => {
            for drift in &drifts {
                match drift {
                    Drift::Extra(path) => {
                        println!("removed {} (no longer generated)", path.display())
                    }
                    Drift::Missing(path) | Drift::Differs { path, .. } => {
                        println!("wrote {}", path.display())
                    }
                }
            }
            println!("review the diff (`git diff`)");
            ExitCode::SUCCESS
        }
    }
}
