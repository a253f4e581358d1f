//! Fault injection for the tests of [`panics`](crate::panics) (cargo feature `fault-injection`: off by default,
//! on in `scripts/test`, which builds with `--all-features`, and never in a release Lambda build, which
//! `sam build` and `scripts/build-lambdas` make without features). It lets the tests make the real binaries
//! panic where a bug would: a delivery with the header [`HEADER`] set to `panic-in-authenticate` or
//! `panic-in-read` panics in that step of the pipeline; a Mighty Networks delivery whose `event_id` is
//! [`PANIC_IN_WRITER`] panics the SQLite writer thread.

use http::HeaderMap;

/// The request header that asks for a panic.
pub const HEADER: &str = "x-rollcall-fault";

/// The message id that makes the SQLite writer thread panic.
pub const PANIC_IN_WRITER: &str = "rollcall-fault-panic-in-writer";

/// A step of the pipeline that can be made to panic.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// Authentication.
    Authenticate,
    /// Reading, mapping and building the message.
    Read,
}

/// Panics when the delivery's [`HEADER`] asks for a panic in `step`.
pub(crate) fn inject(headers: &HeaderMap, step: Step) {
    let asked = match step {
        Step::Authenticate => "panic-in-authenticate",
        Step::Read => "panic-in-read",
    };
    if headers.get(HEADER).is_some_and(|value| value == asked) {
        panic!("fault injection: {asked}");
    }
}
