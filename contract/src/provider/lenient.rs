//! Lenient deserializers for fields whose type drifts between provider versions: ids sent as strings or
//! numbers, informational text that may become null or change shape, lists sent as `null`. A number becomes
//! text as it was sent (`123456789012345678901234567890` keeps every digit), never through a float.

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::marker::PhantomData;

/// A JSON value as far as these deserializers care: strings and numbers as text, the rest by kind.
enum Scalar {
    Null,
    Bool(bool),
    /// A string's text.
    Text(String),
    /// A number's JSON text, as sent.
    Number(String),
    Array,
    Object,
}

impl Scalar {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        let json = raw.get();
        Ok(match json.as_bytes().first() {
            Some(b'"') => Scalar::Text(serde_json::from_str(json).map_err(de::Error::custom)?),
            Some(b'n') => Scalar::Null,
            Some(b't') => Scalar::Bool(true),
            Some(b'f') => Scalar::Bool(false),
            Some(b'[') => Scalar::Array,
            Some(b'{') => Scalar::Object,
            _ => Scalar::Number(json.to_owned()),
        })
    }

    /// The kind, for a reason that must not repeat the value.
    fn describe(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Number(_) => "a number",
            Scalar::Text(_) => "an empty string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

/// An identifier the provider sends as a string or as a number (`"1234"` and `1234` are the same id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Id(pub String);

impl Id {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Scalar::read(deserializer)? {
            Scalar::Text(s) | Scalar::Number(s) if !s.trim().is_empty() => Ok(Id(s)),
            other => Err(de::Error::custom(format!(
                "expected an id (a non-empty string or a number), found {}",
                other.describe()
            ))),
        }
    }
}

/// An optional id: `null`, absent, or an empty string are `None`; any other non-id shape is an error.
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Id>, D::Error> {
    match Scalar::read(deserializer)? {
        Scalar::Null => Ok(None),
        Scalar::Text(s) if s.trim().is_empty() => Ok(None),
        Scalar::Text(s) | Scalar::Number(s) => Ok(Some(Id(s))),
        other => Err(de::Error::custom(format!(
            "expected an id, found {}",
            other.describe()
        ))),
    }
}

/// Informational text: strings, numbers and booleans become text; `null`, empty strings, objects and
/// arrays become `None` (they stay intact in the message's `original`).
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Scalar::read(deserializer)? {
        Scalar::Text(s) if s.trim().is_empty() => None,
        Scalar::Text(s) | Scalar::Number(s) => Some(s),
        Scalar::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A flag: `true` and `false` as sent; `null`, absent and any other shape (`"true"`, `1`, an object) are `None`,
/// never an error, so a drifted flag does not refuse the delivery (it stays intact in the message's `original`).
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    Ok(match Scalar::read(deserializer)? {
        Scalar::Bool(b) => Some(b),
        _ => None,
    })
}

/// An object read as `T`; `null`, absent or any other shape (a string, a list) is `None`, so that a provider
/// changing an informational object's shape does not refuse the delivery. An object that does not read as `T`
/// is still an error.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    if raw.get().starts_with('{') {
        crate::reason::read(raw.get())
            .map(Some)
            .map_err(|misfit| de::Error::custom(misfit.to_string()))
    } else {
        Ok(None)
    }
}

/// A list that may be sent as `null` (read as empty).
pub(crate) fn vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A value that providers send either as itself or as a string holding its JSON (Wix nests both ways); `null`
/// is `None`. Read in one pass: a string is parsed as `T`, an object or array is read as `T` where it stands.
pub(crate) fn nested<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    struct Nested<T>(PhantomData<T>);

    impl<'de, T: DeserializeOwned> Visitor<'de> for Nested<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value, or a string holding one")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            nested(inner)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            // The reason names the problem inside the string, not its values (it is logged).
            crate::reason::read(text).map(Some).map_err(|misfit| {
                E::custom(format!(
                    "expected a JSON string of the expected shape: {misfit}"
                ))
            })
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Some)
        }
    }

    deserializer.deserialize_any(Nested(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Sample {
        id: Id,
        #[serde(default, deserialize_with = "opt_id")]
        other: Option<Id>,
        #[serde(default, deserialize_with = "opt_text")]
        text: Option<String>,
        #[serde(default, deserialize_with = "vec")]
        list: Vec<u8>,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
    }

    #[test]
    fn ids_as_strings_or_numbers() {
        let a: Sample = serde_json::from_str(r#"{"id":"1234","other":123}"#).unwrap();
        assert_eq!((a.id.as_str(), a.other.unwrap().as_str()), ("1234", "123"));
        assert!(serde_json::from_str::<Sample>(r#"{"id":null}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"id":""}"#).is_err());
    }

    #[test]
    fn numbers_keep_every_digit_as_sent() {
        let a: Sample = serde_json::from_str(
            r#"{"id":123456789012345678901234567890,"other":1.50,"text":5551234567890123456789}"#,
        )
        .unwrap();
        assert_eq!(a.id.as_str(), "123456789012345678901234567890");
        assert_eq!(a.other.unwrap().as_str(), "1.50");
        assert_eq!(a.text.as_deref(), Some("5551234567890123456789"));
        let b: Sample = serde_json::from_str(r#"{"id":"x","text":true}"#).unwrap();
        assert_eq!(b.text.as_deref(), Some("true"));
    }

    #[test]
    fn text_and_lists_are_lenient() {
        let a: Sample =
            serde_json::from_str(r#"{"id":1,"text":{"nested":true},"list":null}"#).unwrap();
        assert_eq!(a.text, None);
        assert!(a.list.is_empty());
        let b: Sample = serde_json::from_str(r#"{"id":1,"text":42,"list":[1,2]}"#).unwrap();
        assert_eq!(b.text.as_deref(), Some("42"));
        assert_eq!(b.list, vec![1, 2]);
    }

    #[test]
    fn flags_are_booleans_and_anything_else_is_none() {
        let flag = |json: &str| {
            serde_json::from_str::<Sample>(&format!(r#"{{"id":1{json}}}"#)).map(|s| s.flag)
        };
        assert_eq!(flag(r#","flag":true"#).unwrap(), Some(true));
        assert_eq!(flag(r#","flag":false"#).unwrap(), Some(false));
        assert_eq!(flag("").unwrap(), None);
        for drifted in [r#""true""#, "1", "null", r#"{"at":1}"#, "[true]"] {
            assert_eq!(
                flag(&format!(r#","flag":{drifted}"#)).unwrap(),
                None,
                "{drifted}"
            );
        }
    }

    #[test]
    fn nested_values_as_json_strings_or_in_place() {
        #[derive(Deserialize)]
        struct Outer {
            #[serde(default, deserialize_with = "nested")]
            inner: Option<Sample>,
        }
        let read = |json: &str| serde_json::from_str::<Outer>(json).map(|o| o.inner.map(|i| i.id));
        let id = |id: &str| Some(Id(id.into()));
        assert_eq!(read(r#"{"inner":"{\"id\":\"a\"}"}"#).unwrap(), id("a"));
        assert_eq!(read(r#"{"inner":{"id":2}}"#).unwrap(), id("2"));
        assert_eq!(read(r#"{"inner":null}"#).unwrap(), None);
        assert_eq!(read(r#"{}"#).unwrap(), None);
        assert!(read(r#"{"inner":"nope"}"#).is_err());
        assert!(read(r#"{"inner":3}"#).is_err());
    }
}
