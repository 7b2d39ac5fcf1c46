//! Checks that a declared field's rules are consistent (a range on a
//! number, a length on a string, minimum not above maximum, a default and
//! an enum that fit the field's own rules) and compiles its regex. Device
//! types and plugin packages run every field they load through it.

use super::schema::{FieldSchema, FieldType};
use super::validate::check_value;

/// Checks `field`'s declarations and compiles its regex, anchored, with a
/// size limit. `path` names the field in the error, e.g.
/// `config.api_key: minimum/maximum only apply to integer and number fields`.
///
/// ```
/// use switchboard::fields::{FieldSchema, check_field};
///
/// let mut field: FieldSchema =
///     serde_json::from_str(r#"{"type": "integer", "minimum": 5, "maximum": 1}"#).unwrap();
/// let error = check_field("config.speed", &mut field).unwrap_err();
/// assert_eq!(error, "config.speed: minimum 5 is above maximum 1");
/// ```
pub fn check_field(path: &str, field: &mut FieldSchema) -> Result<(), String> {
    let numeric = matches!(field.kind, FieldType::Integer | FieldType::Number);
    let string = field.kind == FieldType::String;
    if !numeric && (field.minimum.is_some() || field.maximum.is_some()) {
        return Err(format!(
            "{path}: minimum/maximum only apply to integer and number fields"
        ));
    }
    if !string
        && (field.length.is_some()
            || field.min_length.is_some()
            || field.max_length.is_some()
            || field.regex.is_some()
            || field.format.is_some())
    {
        return Err(format!(
            "{path}: length, regex and format only apply to string fields"
        ));
    }
    if let (Some(min), Some(max)) = (field.minimum, field.maximum)
        && min > max
    {
        return Err(format!("{path}: minimum {min} is above maximum {max}"));
    }
    if let (Some(min), Some(max)) = (field.min_length, field.max_length)
        && min > max
    {
        return Err(format!(
            "{path}: min_length {min} is above max_length {max}"
        ));
    }
    if field.secret && !string {
        return Err(format!("{path}: secret only applies to string fields"));
    }
    if field.required && field.default.is_some() {
        return Err(format!("{path}: a required field cannot have a default"));
    }
    if let Some(pattern) = &field.regex {
        let anchored = format!("^(?:{pattern})$");
        let regex = regex::RegexBuilder::new(&anchored)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("{path}: bad regex {pattern:?}: {e}"))?;
        field.compiled = Some(regex);
    }
    let name = path.rsplit('.').next().unwrap_or(path);
    if let Some(default) = &field.default {
        check_value(name, field, default)
            .map_err(|e| format!("{path}: default does not fit its own rules: {e}"))?;
    }
    if let Some(values) = &field.one_of {
        if values.is_empty() {
            return Err(format!("{path}: enum is empty"));
        }
        for value in values {
            let mut plain = field.clone();
            plain.one_of = None;
            check_value(name, &plain, value)
                .map_err(|e| format!("{path}: enum value does not fit the type: {e}"))?;
        }
    }
    Ok(())
}
