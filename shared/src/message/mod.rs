//! The message contract, [`rollcall_contract::message`], re-exported whole (`rollcall::message::Message` is the
//! contract's), and what writing a message takes here but a consumer never needs: the UUIDv5 message ids (SHA-1
//! from aws-lc) and the joining of names the providers' mappings share.

pub use rollcall_contract::message::*;

/// A name-based UUID, version 5 (RFC 9562): SHA-1 of the namespace and the name, with `uuid` setting the
/// version and variant. The SHA-1 is aws-lc's, linked anyway, not `uuid`'s own (`sha1_smol`, portable code): per
/// Omerlo delivery that is 51 k instructions fewer, a third of the pipeline's own work (BENCHMARKS.md).
pub(crate) fn uuid_v5(namespace: &uuid::Uuid, name: &[u8]) -> String {
    use aws_lc_rs::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};
    let mut sha1 = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    sha1.update(namespace.as_bytes());
    sha1.update(name);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&sha1.finish().as_ref()[..16]);
    uuid::Builder::from_sha1_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Joins name parts that are present with single spaces; `None` when none is.
pub(crate) fn full_name<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let words: Vec<&str> = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Parses an RFC 3339 time (any offset) and renders it in UTC; `None` when it does not parse or cannot be
/// written in UTC (see [`UtcTime`]).
pub(crate) fn rfc3339_utc(text: &str) -> Option<String> {
    UtcTime::parse(text).map(|at| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_present_parts() {
        assert_eq!(
            full_name([Some("Ada"), None, Some(" Lovelace ")]).as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(full_name([None, Some("")]), None);
    }

    proptest::proptest! {
        #[test]
        fn uuid_v5_is_uuids_own(name in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            for namespace in [uuid::Uuid::NAMESPACE_OID, uuid::Uuid::NAMESPACE_URL] {
                proptest::prop_assert_eq!(
                    uuid_v5(&namespace, &name),
                    uuid::Uuid::new_v5(&namespace, &name).to_string()
                );
            }
        }
    }
}
