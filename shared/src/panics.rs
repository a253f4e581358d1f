//! Panics while the pipeline works on one delivery are contained; any other panic ends the process.
//!
//! The design, in one place. Builds unwind (the release profile no longer says `panic = "abort"`) so that
//! `contain` can catch a panic raised while a delivery is authenticated, read, mapped or built: the pipeline
//! then answers `500 internal_error` (authentication: nothing is stored, the provider retries) or quarantines
//! the delivery (the rest: `200 quarantined`, replayable once the bug is fixed), and the process serves on.
//! Anywhere else a panic must still end the process, as `panic = "abort"` did, so that nothing runs on with
//! broken state: a dead SQLite writer thread would otherwise leave `rollcall serve` answering 503 forever, and a
//! panicking task of tokio or hyper would be swallowed. The hook [`install`] sets does that: it aborts after the
//! usual report unless the panicking thread is inside `contain` (a thread-local flag, set only for the
//! synchronous work on one delivery). Every entry point installs it: the Lambda adapter and the `rollcall`
//! command. Without it (a library user, the tests), `contain` still catches and Rust's default hook reports.
//!
//! Logging: inside `contain` the hook prints nothing, since a panic message may quote a value of the delivery
//! (as index and `expect` messages do). It keeps only the code location (`file:line:column`), which the
//! pipeline logs with the kind (`panic_at`). Outside, the default report (message and location) is printed
//! before the abort: the process is going down, and the message is what a fix needs.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// True while this thread runs work of `contain`.
    static IN_DELIVERY: Cell<bool> = const { Cell::new(false) };
    /// Where the last contained panic of this thread was raised, for `contain` to return.
    static PANICKED_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic that `contain` caught.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    /// Where in the code it was raised (`file:line:column`) when the hook of [`install`] saw it; never the panic's
    /// message.
    pub at: Option<String>,
}

/// Installs the process's panic hook (once; later calls do nothing): a panic inside `contain` is recorded
/// without its message; any other is reported as usual, then the process aborts.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let report = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_DELIVERY.with(Cell::get) {
                let at = info.location().map(ToString::to_string);
                PANICKED_AT.with(|slot| *slot.borrow_mut() = at);
            } else {
                report(info);
                std::process::abort();
            }
        }));
    });
}

/// Runs `work`, the synchronous work on one delivery, catching a panic. `work` only borrows the delivery and
/// the pipeline's read-only configuration, and whatever it built is dropped with the panic: nothing it leaves
/// behind is observed half-made (hence `AssertUnwindSafe`).
pub(crate) fn contain<T>(work: impl FnOnce() -> T) -> Result<T, Panicked> {
    let outer = IN_DELIVERY.with(|flag| flag.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    IN_DELIVERY.with(|flag| flag.set(outer));
    result.map_err(|_payload| Panicked {
        at: PANICKED_AT.with(|slot| slot.borrow_mut().take()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_caught_and_the_flag_is_restored() {
        // Not `install`: its abort would take the whole test binary down with any failing test. The binaries'
        // tests run it (functions/tests/it/panics.rs, cli/tests/it/panics.rs).
        assert_eq!(contain(|| 7), Ok(7));
        assert!(contain(|| -> u8 { panic!("a value of the delivery") }).is_err());
        assert!(!IN_DELIVERY.with(Cell::get));
        // Nested: the inner scope leaves the outer one in place.
        let nested = contain(|| {
            let inner = contain(|| 1);
            (inner, IN_DELIVERY.with(Cell::get))
        });
        assert_eq!(nested, Ok((Ok(1), true)));
        assert!(!IN_DELIVERY.with(Cell::get));
    }
}
