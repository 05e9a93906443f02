use serde_json::json;

use super::{python_float_repr, python_json};

fn check(value: serde_json::Value, expected: &str) {
    assert_eq!(python_json(&value), expected);
}

#[test]
fn separators_and_key_order() {
    check(
        json!({"name": "execute_bash", "arguments": {"command": "ls -la", "timeout": 30}}),
        r#"{"name": "execute_bash", "arguments": {"command": "ls -la", "timeout": 30}}"#,
    );
    check(
        json!({"z": 1, "a": [1, 2, {"b": null}], "m": {}}),
        r#"{"z": 1, "a": [1, 2, {"b": null}], "m": {}}"#,
    );
    check(json!([]), "[]");
    check(json!([true, false, null]), "[true, false, null]");
}

#[test]
fn strings_escape_like_python() {
    check(json!("héllo wörld ✓ 日本"), "\"héllo wörld ✓ 日本\"");
    check(json!("say \"hi\"\\n"), r#""say \"hi\"\\n""#);
    check(json!("a\nb\tc\r"), r#""a\nb\tc\r""#);
    check(
        json!("\u{1b}[0m\u{0}\u{1f}\u{7f}"),
        "\"\\u001b[0m\\u0000\\u001f\u{7f}\"",
    );
    check(json!("\u{08}\u{0c}"), r#""\b\f""#);
    check(json!("\u{2028}"), "\"\u{2028}\"");
}

#[test]
fn floats_match_python_repr() {
    // Expected values are what CPython's repr() prints.
    let cases: &[(f64, &str)] = &[
        (1.0, "1.0"),
        (0.5, "0.5"),
        (-2.25, "-2.25"),
        (1e-05, "1e-05"),
        (1.5e-05, "1.5e-05"),
        (0.0001, "0.0001"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.2345678901234568e17, "1.2345678901234568e+17"),
        (1e100, "1e+100"),
        (5e-324, "5e-324"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (123.456, "123.456"),
        (0.30000000000000004, "0.30000000000000004"),
    ];
    for (f, expected) in cases {
        assert_eq!(python_float_repr(*f), *expected, "repr of {f:e}");
    }
    check(
        json!({"lr": 1e-05, "x": 1.0, "n": 3}),
        r#"{"lr": 1e-05, "x": 1.0, "n": 3}"#,
    );
}

#[test]
fn parsed_floats_stay_floats() {
    let v: serde_json::Value = serde_json::from_str(r#"{"a": 1.0, "b": 2, "c": 1E-5}"#).unwrap();
    assert_eq!(python_json(&v), r#"{"a": 1.0, "b": 2, "c": 1e-05}"#);
}
