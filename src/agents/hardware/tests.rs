//! Tests that need several of the bridge's files at once, kept here so that
//! no file's own tests import from a file above it: the built-in device
//! types' rules, as validation applies them.

use serde_json::{Value, json};

use super::adapter::Object;
use super::schema::DeviceTypes;
use crate::fields::{FieldError, Rule, validate_object};

fn first(result: Result<Object, Vec<FieldError>>) -> FieldError {
    result.unwrap_err().remove(0)
}

#[test]
fn each_rule_names_the_field_and_the_rule() {
    let types = DeviceTypes::builtin();
    let bulb = types.get("bulb").unwrap();
    let rgb = types.get("rgb_bulb").unwrap();
    let scale = types.get("scale").unwrap();
    let brightness = &bulb.command("set_brightness").unwrap().payload;
    let color = &rgb.command("set_color").unwrap().payload;
    let user = &scale.command("set_user").unwrap().payload;

    let cases: Vec<(FieldError, &str, Rule, &str)> = vec![
        (
            first(validate_object(
                "payload",
                brightness,
                Some(&json!({"brightness": 150})),
            )),
            "brightness",
            Rule::Range,
            "brightness: 150 is above the maximum 100",
        ),
        (
            first(validate_object(
                "payload",
                brightness,
                Some(&json!({"brightness": -1})),
            )),
            "brightness",
            Rule::Range,
            "brightness: -1 is below the minimum 0",
        ),
        (
            first(validate_object(
                "payload",
                brightness,
                Some(&json!({"brightness": "high"})),
            )),
            "brightness",
            Rule::Type,
            "brightness: \"high\" is not an integer",
        ),
        (
            first(validate_object(
                "payload",
                brightness,
                Some(&json!({"brightness": 2.5})),
            )),
            "brightness",
            Rule::Type,
            "brightness: 2.5 is not an integer",
        ),
        (
            first(validate_object("payload", color, Some(&json!({})))),
            "color",
            Rule::Required,
            "color: is required",
        ),
        (
            first(validate_object(
                "payload",
                color,
                Some(&json!({"color": "zz0000"})),
            )),
            "color",
            Rule::Format,
            "color: \"zz0000\" is not hexadecimal",
        ),
        (
            first(validate_object(
                "payload",
                color,
                Some(&json!({"color": "fff"})),
            )),
            "color",
            Rule::Length,
            "color: \"fff\" has 3 characters, needs exactly 6",
        ),
        (
            first(validate_object(
                "payload",
                user,
                Some(&json!({"user": "a/b"})),
            )),
            "user",
            Rule::Regex,
            "user: \"a/b\" does not match the pattern [A-Za-z0-9 _-]+",
        ),
        (
            first(validate_object("payload", user, Some(&json!({"user": ""})))),
            "user",
            Rule::Length,
            "user: \"\" has 0 characters, needs at least 1",
        ),
        (
            first(validate_object(
                "config",
                &scale.config,
                Some(&json!({"serial_number": "SC-123456", "display_unit": "stone"})),
            )),
            "display_unit",
            Rule::Enum,
            "display_unit: \"stone\" is not one of \"kg\", \"lb\"",
        ),
        (
            first(validate_object(
                "payload",
                color,
                Some(&json!({"colour": "ff0000", "color": "ff0000"})),
            )),
            "colour",
            Rule::UnknownField,
            "colour: is not a field of this payload (expected one of: color)",
        ),
        (
            first(validate_object("payload", color, Some(&json!([1, 2])))),
            "payload",
            Rule::Object,
            "payload: must be a JSON object, got [1,2]",
        ),
    ];
    for (error, field, rule, message) in cases {
        assert_eq!(
            (error.field.as_str(), error.rule, error.message.as_str()),
            (field, rule, message)
        );
    }
}

#[test]
fn every_broken_field_is_reported() {
    let types = DeviceTypes::builtin();
    let scale = types.get("scale").unwrap();
    let errors = validate_object(
        "config",
        &scale.config,
        Some(&json!({"pin": "12a45", "pairing_key": "xyz", "extra": 1})),
    )
    .unwrap_err();
    let got: Vec<(&str, Rule)> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
    assert_eq!(
        got,
        vec![
            ("extra", Rule::UnknownField),
            ("pairing_key", Rule::Length),
            ("pin", Rule::Length),
            ("serial_number", Rule::Required),
        ]
    );
}

#[test]
fn defaults_are_filled_and_integers_normalized() {
    let types = DeviceTypes::builtin();
    let bulb = types.get("bulb").unwrap();
    let config = validate_object(
        "config",
        &bulb.config,
        Some(&json!({"transition_ms": 250.0})),
    )
    .unwrap();
    assert_eq!(
        Value::Object(config),
        json!({"transition_ms": 250, "power_on": "previous"})
    );
    let empty = validate_object("payload", &bulb.command("turn_on").unwrap().payload, None);
    assert_eq!(empty.unwrap(), Object::new());
    let refused = validate_object(
        "payload",
        &bulb.command("turn_on").unwrap().payload,
        Some(&json!({"x": 1})),
    );
    assert_eq!(
        refused.unwrap_err()[0].message,
        "x: is not a field of this payload (payload takes no fields)"
    );
}
