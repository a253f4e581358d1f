//! The JSON Schema the contract generates: its `$id` is the `dataschema`, it names every kind, and it requires
//! every key but those added within v1. (That `schema/message.schema.json` is this schema, and that Rollcall's
//! messages validate against it, is tested in `shared/tests/it/schema.rs`.)

use rollcall_contract::Kind;
use rollcall_contract::message::{ADDED_IN_V1, DATASCHEMA, json_schema};
use serde_json::Value;

/// The names of the `required` list of `definition`, sorted.
fn required(definition: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = definition["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    names.sort_unstable();
    names
}

#[test]
fn the_schema_is_the_dataschema_and_names_every_kind() {
    let schema = json_schema();
    assert_eq!(schema["$id"], DATASCHEMA);
    let types = &schema["$defs"]["MessageType"]["anyOf"][0]["enum"];
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.message_type()).collect();
    assert_eq!(types, &serde_json::json!(names));
}

#[test]
fn every_key_is_required_but_those_added_within_v1() {
    let schema = json_schema();
    assert_eq!(
        required(&schema),
        [
            "data",
            "datacontenttype",
            "dataschema",
            "id",
            "source",
            "specversion",
            "subject",
            "time",
            "type"
        ]
    );
    for (definition, field) in ADDED_IN_V1 {
        let definition = &schema["$defs"][definition];
        assert!(definition["properties"].get(field).is_some(), "{field}");
        assert!(!required(definition).contains(&field), "{field}");
    }
    let data = &schema["$defs"]["MessageData"];
    for key in [
        "event",
        "person",
        "participation",
        "sequence",
        "changed_at",
        "original",
    ] {
        assert!(required(data).contains(&key), "{key}");
    }
}
