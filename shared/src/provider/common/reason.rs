//! Quarantine reasons are logged, so they say where a delivery went wrong and what kind of problem it is (a field
//! path, the type expected there, the type found), never a value of the delivery. The wording is the contract's
//! ([`rollcall_contract::reason`], which the lenient deserializers use too); this module makes it a reason.

use super::Unparsable;
pub(crate) use rollcall_contract::reason::problem;

/// Why the compact JSON `text` did not read as `what` (e.g. `not a participant_created delivery`).
pub(crate) fn misfit(what: &str, text: &str, e: &serde_json::Error) -> Unparsable {
    Unparsable::new(format!("{what}: {}", problem(text, e)))
}
