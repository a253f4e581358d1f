//! Writes every file of `events/` from the registry of kinds and the payload fixtures (see
//! `rollcall_testkit::events`): `cargo run -p rollcall-testkit --bin make-events`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = rollcall_testkit::deliveries::repo().join("events");
    match rollcall_testkit::events::write(&dir) {
        Ok((written, removed)) => {
            for name in removed {
                println!("removed events/{name} (no longer generated)");
            }
            println!("wrote {} files to events/", written.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("make-events: {}: {error}", dir.display());
            ExitCode::FAILURE
        }
    }
}
