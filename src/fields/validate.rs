//! Checks command payloads and configurations against a device type's
//! field rules. A failure names the field and the rule, e.g.
//! `brightness: 150 is above the maximum 100`, and nothing is sent to the
//! device.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::Object;
use super::schema::{FieldSchema, FieldType, Fields, Format};

/// Which rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Wrong JSON type.
    Type,
    /// A required field is missing.
    Required,
    /// A number outside minimum/maximum.
    Range,
    /// A string of the wrong length.
    Length,
    /// A string that does not match the regex.
    Regex,
    /// A string not in the declared format (hex, ipv4, mac).
    Format,
    /// A value not in the enum.
    Enum,
    /// A value other than the const.
    Const,
    /// A field the schema does not declare.
    UnknownField,
    /// The payload or configuration is not a JSON object.
    Object,
}

impl Rule {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Type => "type",
            Rule::Required => "required",
            Rule::Range => "range",
            Rule::Length => "length",
            Rule::Regex => "regex",
            Rule::Format => "format",
            Rule::Enum => "enum",
            Rule::Const => "const",
            Rule::UnknownField => "unknown_field",
            Rule::Object => "object",
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// The rule.
    pub rule: Rule,
    /// The whole sentence, starting with the field name.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

fn fail(field: &str, rule: Rule, what: impl fmt::Display) -> FieldError {
    FieldError {
        field: field.to_owned(),
        rule,
        message: format!("{field}: {what}"),
    }
}

/// Prints a bound without a useless `.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Checks one present value against its field's rules, in the order type,
/// const, enum, range, length, format, regex; the first broken rule is
/// reported.
pub fn check_value(name: &str, field: &FieldSchema, value: &Value) -> Result<(), FieldError> {
    let type_ok = match field.kind {
        FieldType::Boolean => value.is_boolean(),
        FieldType::Integer => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        FieldType::Number => value.is_number(),
        FieldType::String => value.is_string(),
    };
    if !type_ok {
        return Err(fail(
            name,
            Rule::Type,
            format_args!("{value} is not {}", field.kind.article()),
        ));
    }
    if let Some(constant) = &field.constant
        && !same_value(constant, value)
    {
        return Err(fail(
            name,
            Rule::Const,
            format_args!("{value} must be {constant}"),
        ));
    }
    if let Some(values) = &field.one_of
        && !values.iter().any(|v| same_value(v, value))
    {
        let list: Vec<String> = values.iter().map(Value::to_string).collect();
        return Err(fail(
            name,
            Rule::Enum,
            format_args!("{value} is not one of {}", list.join(", ")),
        ));
    }
    if let Some(n) = value.as_f64() {
        if let Some(max) = field.maximum
            && n > max
        {
            return Err(fail(
                name,
                Rule::Range,
                format_args!("{value} is above the maximum {}", number(max)),
            ));
        }
        if let Some(min) = field.minimum
            && n < min
        {
            return Err(fail(
                name,
                Rule::Range,
                format_args!("{value} is below the minimum {}", number(min)),
            ));
        }
    }
    if let Some(s) = value.as_str() {
        let chars = s.chars().count();
        let length_error = |needs: String| {
            fail(
                name,
                Rule::Length,
                format_args!("{value} has {chars} characters, needs {needs}"),
            )
        };
        if let Some(length) = field.length
            && chars != length
        {
            return Err(length_error(format!("exactly {length}")));
        }
        if let Some(min) = field.min_length
            && chars < min
        {
            return Err(length_error(format!("at least {min}")));
        }
        if let Some(max) = field.max_length
            && chars > max
        {
            return Err(length_error(format!("at most {max}")));
        }
        if let Some(format) = field.format
            && !format_ok(format, s)
        {
            return Err(fail(
                name,
                Rule::Format,
                format_args!("{value} is not {}", format.describe()),
            ));
        }
        if let (Some(regex), Some(pattern)) = (&field.compiled, &field.regex)
            && !regex.is_match(s)
        {
            return Err(fail(
                name,
                Rule::Regex,
                format_args!("{value} does not match the pattern {pattern}"),
            ));
        }
    }
    Ok(())
}

/// Equality where `3` and `3.0` are the same number.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn format_ok(format: Format, s: &str) -> bool {
    match format {
        Format::Hex => !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()),
        Format::Ipv4 => s.parse::<std::net::Ipv4Addr>().is_ok(),
        Format::Mac => {
            let parts: Vec<&str> = s.split(':').collect();
            parts.len() == 6
                && parts
                    .iter()
                    .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
        }
    }
}

/// Integers given as `3.0` become `3`, so devices and the registry see one
/// spelling.
fn normalize(field: &FieldSchema, value: Value) -> Value {
    if field.kind == FieldType::Integer
        && !value.is_i64()
        && !value.is_u64()
        && let Some(f) = value.as_f64()
        && f.abs() < 9.0e15
    {
        return Value::from(f as i64);
    }
    value
}

/// Checks a payload or configuration object against `fields`.
///
/// `None` and `null` count as `{}`. Every field is checked and every broken
/// rule reported (one per field); unknown fields are refused. On success
/// the object is returned with integers normalized and the defaults of
/// absent optional fields filled in.
pub fn validate_object(
    what: &str,
    fields: &Fields,
    value: Option<&Value>,
) -> Result<Object, Vec<FieldError>> {
    let empty = Object::new();
    let object = match value {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(vec![fail(
                what,
                Rule::Object,
                format_args!("must be a JSON object, got {other}"),
            )]);
        }
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !fields.contains_key(key) {
            let expected = if fields.is_empty() {
                format!("{what} takes no fields")
            } else {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("expected one of: {}", names.join(", "))
            };
            errors.push(fail(
                key,
                Rule::UnknownField,
                format_args!("is not a field of this {what} ({expected})"),
            ));
        }
    }
    let mut out = Object::new();
    for (name, field) in fields {
        match object.get(name) {
            None | Some(Value::Null) => {
                if field.required {
                    errors.push(fail(name, Rule::Required, "is required"));
                } else if let Some(default) = &field.default {
                    out.insert(name.clone(), default.clone());
                }
            }
            Some(value) => match check_value(name, field, value) {
                Ok(()) => {
                    out.insert(name.clone(), normalize(field, value.clone()));
                }
                Err(e) => errors.push(e),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(format_ok(Format::Hex, "00aaFF"));
        assert!(!format_ok(Format::Hex, ""));
        assert!(!format_ok(Format::Hex, "0x12"));
        assert!(format_ok(Format::Ipv4, "192.168.1.20"));
        assert!(!format_ok(Format::Ipv4, "300.1.1.1"));
        assert!(format_ok(Format::Mac, "a4:cf:12:00:10:01"));
        assert!(!format_ok(Format::Mac, "a4:cf:12:00:10"));
        assert!(!format_ok(Format::Mac, "a4-cf-12-00-10-01"));
    }
}
