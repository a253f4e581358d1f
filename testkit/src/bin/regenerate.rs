//! Writes what derives from the registry of kinds and the payload fixtures: every file of `events/`
//! (`rollcall_testkit::events`) and the generated blocks of `template.yaml` and `consumer.yaml`
//! (`rollcall_testkit::template`).
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
    for (name, render) in rollcall_testkit::template::TEMPLATES {
        let path = repo.join(name);
        let written = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| render(&text))
            .and_then(|text| std::fs::write(&path, text).map_err(|e| e.to_string()));
        match written {
            Ok(()) => println!("wrote the generated blocks of {name}"),
            Err(error) => {
                eprintln!("regenerate: {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
