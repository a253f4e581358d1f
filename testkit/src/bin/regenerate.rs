//! Writes what derives from the registry of kinds and the payload fixtures: every file of `events/`
//! (`rollcall_testkit::events`) and the per-kind blocks of `template.yaml` (`rollcall_testkit::template`).
//! `cargo run -p rollcall-testkit --bin regenerate`; review the diff.

use std::process::ExitCode;

fn main() -> ExitCode {
    let repo = rollcall_testkit::deliveries::repo();
    let events = repo.join("events");
    match rollcall_testkit::events::write(&events) {
        Ok((written, removed)) => {
            for name in removed {
                println!("removed events/{name} (no longer generated)");
            }
            println!("wrote {} files to events/", written.len());
        }
        Err(error) => {
            eprintln!("regenerate: {}: {error}", events.display());
            return ExitCode::FAILURE;
        }
    }
    let path = repo.join("template.yaml");
    let written = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| rollcall_testkit::template::render(&text))
        .and_then(|text| std::fs::write(&path, text).map_err(|e| e.to_string()));
    match written {
        Ok(()) => {
            println!("wrote the per-kind blocks of template.yaml");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("regenerate: {}: {error}", path.display());
            ExitCode::FAILURE
        }
    }
}
