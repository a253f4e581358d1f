//! Quarantine reasons are logged, so they say where a delivery went wrong and what kind of problem it is (a field
//! path, the type expected there, the type found), never a value of the delivery. Every provider reads its
//! delivery through [`typed`]: the plain parse first, and only when it fails the contract's path-tracking parse
//! ([`rollcall_contract::reason::read`], which the lenient deserializers use too) to word the reason.

use super::Unparsable;
use serde::Deserialize;

/// The JSON `text` read as `T`; when it does not fit, why, after `what` (e.g. `not a participant_created
/// delivery`).
pub(crate) fn typed<'a, T: Deserialize<'a>>(what: &str, text: &'a str) -> Result<T, Unparsable> {
    rollcall_contract::reason::read(text)
        .map_err(|misfit| Unparsable::new(format!("{what}: {misfit}")))
}
