//! Each operator and each of SNS's limits, through the public API.

use super::{AttributeValue, FilterPolicy, MAX_POLICY_BYTES, PolicyError, Problem, Scope};
use serde_json::json;

fn refused(policy: &str, scope: Scope) -> PolicyError {
    match FilterPolicy::parse(policy, scope) {
        Ok(p) => panic!("{policy} was accepted: {p:?}"),
        Err(e) => e,
    }
}

fn body(policy: serde_json::Value, message: serde_json::Value) -> bool {
    FilterPolicy::parse(&policy.to_string(), Scope::Body)
        .unwrap()
        .matches_body(&message)
}

fn string(policy: serde_json::Value, value: &str) -> bool {
    FilterPolicy::parse(&policy.to_string(), Scope::Attributes)
        .unwrap()
        .matches_attributes(&[("a", AttributeValue::String(value))])
}

fn number(policy: serde_json::Value, value: &str) -> bool {
    FilterPolicy::parse(&policy.to_string(), Scope::Attributes)
        .unwrap()
        .matches_attributes(&[("a", AttributeValue::Number(value))])
}

#[test]
fn exact_strings_match_case_sensitively_and_numbers_as_numbers() {
    assert!(string(json!({"a": ["x", "y"]}), "y"));
    assert!(!string(json!({"a": ["x"]}), "X"));
    assert!(number(json!({"a": [301.5]}), "3.015e2"));
    assert!(
        !number(json!({"a": ["301.5"]}), "301.5"),
        "a string is not a number"
    );
    assert!(
        !string(json!({"a": [301.5]}), "301.5"),
        "a number is not a string"
    );
    assert!(body(json!({"a": [true]}), json!({"a": true})));
    assert!(body(json!({"a": [null]}), json!({"a": null})));
    assert!(!body(json!({"a": [null]}), json!({})));
}

#[test]
fn prefix_suffix_and_equals_ignore_case() {
    assert!(string(json!({"a": [{"prefix": "bas"}]}), "basketball"));
    assert!(!string(json!({"a": [{"prefix": "bas"}]}), "rugby"));
    assert!(string(json!({"a": [{"suffix": "ball"}]}), "baseball"));
    assert!(!string(json!({"a": [{"suffix": "ball"}]}), "balls"));
    assert!(string(
        json!({"a": [{"equals-ignore-case": "Tennis"}]}),
        "tENNIS"
    ));
    assert!(string(json!({"a": [{"equals-ignore-case": "ÉTÉ"}]}), "été"));
    assert!(!string(
        json!({"a": [{"equals-ignore-case": "tennis"}]}),
        "tennis!"
    ));
    assert!(
        !number(json!({"a": [{"prefix": "1"}]}), "10"),
        "numbers are not strings"
    );
}

#[test]
fn anything_but_values_lists_numbers_and_prefixes() {
    assert!(string(json!({"a": [{"anything-but": "x"}]}), "y"));
    assert!(!string(json!({"a": [{"anything-but": "x"}]}), "x"));
    assert!(!string(json!({"a": [{"anything-but": ["x", "y"]}]}), "y"));
    assert!(number(
        json!({"a": [{"anything-but": [100, 500]}]}),
        "100.1"
    ));
    assert!(!number(json!({"a": [{"anything-but": [100, 500]}]}), "1e2"));
    assert!(string(
        json!({"a": [{"anything-but": {"prefix": "order-"}}]}),
        "order_number"
    ));
    assert!(!string(
        json!({"a": [{"anything-but": {"prefix": "order-"}}]}),
        "order-1"
    ));
    // A key that is absent is not "anything but".
    assert!(!body(
        json!({"a": [{"anything-but": "x"}]}),
        json!({"b": "y"})
    ));
}

#[test]
fn numeric_ranges_bounds_and_precision() {
    let range = json!({"a": [{"numeric": [">", 0, "<=", 150]}]});
    assert!(number(range.clone(), "150"));
    assert!(number(range.clone(), "0.00001"));
    assert!(!number(range.clone(), "0"));
    assert!(!number(range.clone(), "150.00001"));
    assert!(!number(range, "x"), "not a number");
    assert!(number(json!({"a": [{"numeric": ["<", 0]}]}), "-1e-5"));
    assert!(number(json!({"a": [{"numeric": [">=", 5]}]}), "5"));
    assert!(
        number(json!({"a": [{"numeric": ["=", 1.5]}]}), "1.500001"),
        "five decimals"
    );
    assert!(
        !number(json!({"a": [{"numeric": [">", 0]}]}), "2e9"),
        "outside SNS's range"
    );
    assert!(body(
        json!({"a": [{"numeric": ["<=", 2]}]}),
        json!({"a": [5, 2]})
    ));
}

#[test]
fn exists_needs_a_non_null_non_empty_leaf() {
    let present = json!({"a": [{"exists": true}]});
    let absent = json!({"a": [{"exists": false}]});
    assert!(string(present.clone(), "x"));
    assert!(!string(absent.clone(), "x"));
    assert!(body(present.clone(), json!({"a": 0})));
    for value in [json!(null), json!(""), json!([]), json!({"b": 1})] {
        assert!(!body(present.clone(), json!({"a": value})), "{value}");
        assert!(body(absent.clone(), json!({"a": value})), "{value}");
    }
    assert!(body(absent.clone(), json!({"b": 1})));
    let none: [(&str, AttributeValue<'_>); 0] = [];
    let policy = FilterPolicy::parse(&absent.to_string(), Scope::Attributes).unwrap();
    assert!(
        !policy.matches_attributes(&none),
        "SNS: no attributes, no match"
    );
    assert!(policy.matches_attributes(&[("b", AttributeValue::String("x"))]));
}

#[test]
fn keys_and_or_all_hold_together() {
    let policy =
        json!({"a": ["x"], "$or": [{"b": ["y"]}, {"c": ["z"], "$or": [{"d": [1]}, {"e": [2]}]}]});
    assert!(body(policy.clone(), json!({"a": "x", "b": "y"})));
    assert!(body(policy.clone(), json!({"a": "x", "c": "z", "e": 2})));
    assert!(!body(policy.clone(), json!({"a": "x", "c": "z"})));
    assert!(!body(policy, json!({"b": "y"})));
    // `$or` with one object, or an operator's name in a branch, is a plain key.
    assert!(body(json!({"$or": ["x"]}), json!({"$or": "x"})));
    assert!(body(
        json!({"$or": [{"prefix": "x"}, {"suffix": "y"}]}),
        json!({"$or": "xy"})
    ));
}

#[test]
fn string_arrays_and_body_arrays_match_on_any_element() {
    let policy = FilterPolicy::parse(r#"{"a": ["rugby", 7]}"#, Scope::Attributes).unwrap();
    assert!(
        policy.matches_attributes(&[("a", AttributeValue::StringArray(r#"["soccer", "rugby"]"#))])
    );
    assert!(policy.matches_attributes(&[("a", AttributeValue::StringArray("[1, 7]"))]));
    assert!(!policy.matches_attributes(&[("a", AttributeValue::StringArray("not json"))]));
    let but = FilterPolicy::parse(
        r#"{"a": [{"anything-but": ["x", "y"]}]}"#,
        Scope::Attributes,
    )
    .unwrap();
    assert!(but.matches_attributes(&[("a", AttributeValue::StringArray(r#"["x", "z"]"#))]));
    assert!(!but.matches_attributes(&[("a", AttributeValue::StringArray(r#"["x", "y"]"#))]));
    // Nested keys in an array of objects: all of them within one object.
    let nested = json!({"r": {"k": ["a"], "v": [1]}});
    assert!(body(
        nested.clone(),
        json!({"r": [{"k": "b", "v": 1}, {"k": "a", "v": 1}]})
    ));
    assert!(!body(
        nested,
        json!({"r": [{"k": "a", "v": 2}, {"k": "b", "v": 1}]})
    ));
}

#[test]
fn scopes_do_not_cross_and_a_body_is_an_object() {
    let attributes = FilterPolicy::parse(r#"{"a": ["x"]}"#, Scope::Attributes).unwrap();
    assert!(!attributes.matches_body(&json!({"a": "x"})));
    let body_policy = FilterPolicy::parse(r#"{"a": [{"exists": false}]}"#, Scope::Body).unwrap();
    assert!(!body_policy.matches_attributes(&[("b", AttributeValue::String("x"))]));
    assert!(!body_policy.matches_body(&json!(["not", "an", "object"])));
    assert_eq!(body_policy.scope(), Scope::Body);
    assert_eq!(body_policy.as_json(), r#"{"a": [{"exists": false}]}"#);
}

#[test]
fn the_limits_are_snss() {
    let six = r#"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}"#;
    assert_eq!(
        refused(six, Scope::Attributes).problem(),
        &Problem::TooManyKeys(6)
    );
    // Body scope counts top-level keys only, `$or` branches at the top included.
    let nested = r#"{"a":{"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"],"g":["1"]}}"#;
    assert!(FilterPolicy::parse(nested, Scope::Body).is_ok());
    let or = r#"{"a":["1"],"b":["1"],"c":["1"],"$or":[{"d":["1"]},{"e":["1"],"f":["1"]}]}"#;
    assert_eq!(refused(or, Scope::Body).problem(), &Problem::TooManyKeys(6));
    // SNS's own examples: 3 x 1 x 2 = 6 and 3 x 4 x 2 x 3 = 72.
    assert!(
        FilterPolicy::parse(
            r#"{"a":["1","2","3"],"b":["1"],"c":["1","2"]}"#,
            Scope::Attributes
        )
        .is_ok()
    );
    let values = |n: usize| serde_json::to_string(&(0..n).collect::<Vec<_>>()).unwrap();
    let deep = format!(
        r#"{{"a":{{"b":{{"c":{}}}}},"d":{{"e":{}}}}}"#,
        values(4),
        values(3)
    );
    assert!(FilterPolicy::parse(&deep, Scope::Body).is_ok());
    let deeper = format!(
        r#"{{"a":{{"b":{{"c":{}}}}},"d":{{"e":{}}}}}"#,
        values(6),
        values(5)
    );
    assert_eq!(
        refused(&deeper, Scope::Body).problem(),
        &Problem::TooComplex(3 * 6 * 2 * 5)
    );
    let flat = format!(r#"{{"a":{},"b":{}}}"#, values(10), values(16));
    assert_eq!(
        refused(&flat, Scope::Attributes).problem(),
        &Problem::TooComplex(160)
    );
    // `$or` branches add up: 2 x (70 + 6) = 152.
    let or = format!(
        r#"{{"a":[1,2],"$or":[{{"b":{}}},{{"c":[1,2],"d":[1,2,3]}}]}}"#,
        values(70)
    );
    assert_eq!(
        refused(&or, Scope::Attributes).problem(),
        &Problem::TooComplex(152)
    );
    let big = format!(r#"{{"a":["{}"]}}"#, "x".repeat(MAX_POLICY_BYTES));
    assert!(matches!(
        refused(&big, Scope::Attributes).problem(),
        Problem::TooLarge(_)
    ));
    let depth = |levels: usize| format!("{}[1]{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
    assert!(FilterPolicy::parse(&depth(12), Scope::Body).is_ok());
    assert!(matches!(
        refused(&depth(1000), Scope::Body).problem(),
        Problem::NotJson(_)
    ));
    let nested = refused(r#"{"a":{"b":["1"]}}"#, Scope::Attributes);
    assert_eq!(
        (nested.at(), nested.problem()),
        ("/a", &Problem::NestedInAttributeScope)
    );
}

#[test]
fn malformed_policies_are_refused_naming_the_place() {
    let cases = [
        (r#"{"a": ["x""#, "", "not JSON"),
        (r#"["x"]"#, "", "a JSON object"),
        ("{}", "", "every message"),
        (r#"{"a": "x"}"#, "/a", "array of values"),
        (r#"{"a": []}"#, "/a", "empty array"),
        (r#"{"a": {}}"#, "/a", "empty object"),
        (r#"{"a": [["x"]]}"#, "/a/0", "a value is"),
        (
            r#"{"a/b": [{"prefix": "x", "suffix": "y"}]}"#,
            "/a~1b/0",
            "exactly one key",
        ),
        (
            r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#,
            "/ip/0/cidr",
            "`cidr` operator is not supported",
        ),
        (
            r#"{"a": [{"wildcard": "x*"}]}"#,
            "/a/0/wildcard",
            "not supported",
        ),
        (
            r#"{"a": [{"contains": "x"}]}"#,
            "/a/0/contains",
            "not a filter operator",
        ),
        (r#"{"a": [{"prefix": 1}]}"#, "/a/0/prefix", "takes a string"),
        (
            r#"{"a": [{"exists": "yes"}]}"#,
            "/a/0/exists",
            "true or false",
        ),
        (
            r#"{"a": [{"anything-but": ["x", 1]}]}"#,
            "/a/0/anything-but",
            "anything-but",
        ),
        (
            r#"{"a": [{"anything-but": {"suffix": "x"}}]}"#,
            "/a/0/anything-but",
            "prefix",
        ),
        (
            r#"{"a": [{"anything-but": []}]}"#,
            "/a/0/anything-but",
            "empty array",
        ),
        (
            r#"{"a": [{"numeric": ["!=", 1]}]}"#,
            "/a/0/numeric",
            "`numeric` takes",
        ),
        (
            r#"{"a": [{"numeric": [">"]}]}"#,
            "/a/0/numeric",
            "`numeric` takes",
        ),
        (
            r#"{"a": [{"numeric": ["<", 1, ">", 0]}]}"#,
            "/a/0/numeric",
            "`numeric` takes",
        ),
        (
            r#"{"a": [{"numeric": ["=", "1"]}]}"#,
            "/a/0/numeric",
            "`numeric` takes",
        ),
        (
            r#"{"a": [{"numeric": [">", 5, "<", 5]}]}"#,
            "/a/0/numeric",
            "lower bound",
        ),
        (r#"{"a": [1e10]}"#, "/a/0", "outside SNS's range"),
        (
            r#"{"a": [{"numeric": [">", -2000000000]}]}"#,
            "/a/0/numeric/1",
            "outside",
        ),
        (r#"{"a": [0.000001]}"#, "/a/0", "more than the 5 digits"),
        (
            r#"{"$or": [{"numeric": 123}, {"prefix": "abc"}]}"#,
            "/$or/0/numeric",
            "`numeric` takes",
        ),
        (r#"{"$or": [{"a": ["x"]}, {}]}"#, "/$or/1", "empty object"),
        (
            r#"{"a": ["x"], "b": {"c": [1], "c": [{"exists": true}]}}"#,
            "",
            "the key \"c\" appears twice",
        ),
    ];
    for (policy, at, message) in cases {
        let error = refused(policy, Scope::Body);
        assert_eq!(error.at(), at, "{policy}: {error}");
        assert!(error.to_string().contains(message), "{policy}: {error}");
    }
    let with_place = refused(r#"{"a": [{"prefix": 1}]}"#, Scope::Body).to_string();
    assert_eq!(
        with_place,
        "filter policy refused at /a/0/prefix: `prefix` takes a string"
    );
}

/// Arbitrary JSON biased toward the operators and shapes of policies.
fn policy_like() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value;
    let key = prop_oneof![
        Just("$or".to_owned()),
        Just("prefix".to_owned()),
        Just("suffix".to_owned()),
        Just("anything-but".to_owned()),
        Just("equals-ignore-case".to_owned()),
        Just("exists".to_owned()),
        Just("numeric".to_owned()),
        Just("cidr".to_owned()),
        "[a-c]{1,2}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-2000i64..2000).prop_map(|n| Value::from(n as f64 / 8.0)),
        prop_oneof![Just("<"), Just("<="), Just("="), Just(">"), Just(">=")].prop_map(Value::from),
        ".{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..Default::default()
    })]

    /// No text, policy or message makes reading or matching panic.
    #[test]
    fn no_policy_or_message_panics(
        text in ".{0,40}",
        policy in policy_like(),
        message in policy_like(),
        attribute in policy_like(),
    ) {
        let _ = FilterPolicy::parse(&text, Scope::Attributes);
        let attribute = attribute.to_string();
        for scope in [Scope::Attributes, Scope::Body] {
            if let Ok(p) = FilterPolicy::parse(&policy.to_string(), scope) {
                p.matches_body(&message);
                p.matches_attributes(&[
                    ("a", AttributeValue::String(&attribute)),
                    ("b", AttributeValue::Number(&attribute)),
                    ("c", AttributeValue::StringArray(&attribute)),
                ]);
            }
        }
    }
}
