//! Quarantine reasons are logged, so they say where a delivery went wrong and what kind of problem it is (a field
//! path, the type expected there, the type found), never a value of the delivery. Every provider reads its
//! delivery through [`typed`]: the plain parse first, and only when it fails the contract's path-tracking parse
//! ([`rollcall_contract::reason::read`], which the lenient deserializers use too) to word the reason.

use super::Unparsable;
use crate::kind::Kind;
use serde::Deserialize;

/// The JSON `text` read as `T`; when it does not fit, why, after `what` (e.g. `not a participant_created
/// delivery`).
pub(crate) fn typed<'a, T: Deserialize<'a>>(what: &str, text: &'a str) -> Result<T, Unparsable> {
    rollcall_contract::reason::read(text)
        .map_err(|misfit| Unparsable::new(format!("{what}: {misfit}")))
}

/// The delivery of `kind` in the JSON `text`, read by [`typed`]. A body that does not fit is first asked
/// whether it is another kind's delivery sent to this kind's route (`misrouted`, the provider's own test, which
/// says so); any other misfit is explained by its path.
pub(crate) fn delivery<'a, T: Deserialize<'a>>(
    kind: Kind,
    text: &'a str,
    misrouted: fn(Kind, &str) -> Option<Unparsable>,
) -> Result<T, Unparsable> {
    typed(&format!("not a {} delivery", kind.wire_name()), text)
        .map_err(|misfit| misrouted(kind, text).unwrap_or(misfit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Shape {
        #[allow(dead_code)]
        id: u32,
    }

    fn never(_: Kind, _: &str) -> Option<Unparsable> {
        panic!("the route is asked about only when the delivery does not fit")
    }

    fn another_kind(_: Kind, _: &str) -> Option<Unparsable> {
        Some(Unparsable::new("another kind"))
    }

    fn this_kind(_: Kind, _: &str) -> Option<Unparsable> {
        None
    }

    #[test]
    fn a_misfit_is_explained_by_its_route_first_then_by_its_path() {
        let kind = Kind::OmerloParticipantCreated;
        assert!(delivery::<Shape>(kind, r#"{"id":1}"#, never).is_ok());
        let reason =
            |misrouted| delivery::<Shape>(kind, r#"{"id":"jane"}"#, misrouted).unwrap_err();
        assert_eq!(reason(another_kind).0, "another kind");
        assert_eq!(
            reason(this_kind).0,
            "not a participant_created delivery: expected u32, found string at `id`"
        );
    }
}
