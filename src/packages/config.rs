//! `config.yml`: the settings a plugin needs (typed fields, checked with
//! the same rules as the hardware bridge's device commands) and the device
//! types it controls.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;
use serde_norway::{Mapping, Value};

use super::error::PackageError;
use crate::fields::{FieldSchema, FieldType, Fields, Object, check_field};

const FILE: &str = "config.yml";
const KNOWN_TYPES: [&str; 4] = ["boolean", "integer", "number", "string"];
/// The most fields one `config.yml` may declare, all sections together.
const MAX_FIELDS: usize = 1_000;

/// One command of a device type: a description and its payload's fields.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CommandSpec {
    /// What it does.
    pub description: String,
    /// The payload's fields.
    pub payload: Fields,
}

/// A kind of device the plugin controls: its state and commands, with the
/// field rules of the hardware bridge's device types.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceTypeSpec {
    /// Display name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The state's fields.
    pub state: Fields,
    /// The commands, by name.
    pub commands: BTreeMap<String, CommandSpec>,
}

/// A package's `config.yml`, checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageConfig {
    /// The settings, by name.
    pub config: Fields,
    /// The device types, by id.
    pub device_types: BTreeMap<String, DeviceTypeSpec>,
}

impl PackageConfig {
    /// Parses and checks `config.yml`: known sections and types, field
    /// rules that fit their types and each other, regexes that compile.
    ///
    /// ```
    /// use switchboard::packages::{PackageConfig, PackageError};
    ///
    /// let error = PackageConfig::from_yaml("config:\n  colour: {type: color}\n").unwrap_err();
    /// match error {
    ///     PackageError::Invalid { file, field, rule, .. } => {
    ///         assert_eq!((file, field.as_str(), rule), ("config.yml", "config.colour.type", "known_type"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn from_yaml(text: &str) -> Result<PackageConfig, PackageError> {
        let document: Value = serde_norway::from_str(text).map_err(|e| {
            PackageError::invalid(FILE, "(document)", "yaml", format!("not valid YAML: {e}"))
        })?;
        let map = match document {
            Value::Null => Mapping::new(),
            Value::Mapping(map) => map,
            _ => {
                return Err(PackageError::invalid(
                    FILE,
                    "(document)",
                    "mapping",
                    "must be a mapping with the sections config and device_types",
                ));
            }
        };
        let mut out = PackageConfig::default();
        let mut count = 0;
        for (key, value) in &map {
            match key.as_str() {
                Some("config") => out.config = fields("config", value, &mut count)?,
                Some("device_types") => {
                    for (id, spec) in mapping("device_types", value)? {
                        let id = name_of("device_types", id)?;
                        let path = format!("device_types.{id}");
                        let spec = device_type(&path, spec, &mut count)?;
                        out.device_types.insert(id, spec);
                    }
                }
                _ => {
                    return Err(PackageError::invalid(
                        FILE,
                        key.as_str().unwrap_or("(key)"),
                        "unknown_section",
                        "is not a section of config.yml (sections: config, device_types)",
                    ));
                }
            }
        }
        for (name, field) in &out.config {
            if field.read_only {
                return Err(PackageError::invalid(
                    FILE,
                    format!("config.{name}.read_only"),
                    "consistent",
                    "read_only does not apply to settings",
                ));
            }
        }
        Ok(out)
    }

    /// Checks configuration values against the settings: every field's
    /// rules, required fields present, no unknown fields. Returns the
    /// values with integers normalized and defaults filled in.
    pub fn validate(&self, values: &Object) -> Result<Object, PackageError> {
        crate::fields::validate_object(
            "configuration",
            &self.config,
            Some(&Json::Object(values.clone())),
        )
        .map_err(PackageError::Configuration)
    }

    /// Turns `key=value` arguments into values of the settings' types: a
    /// value that does not parse as its field's type stays a string, so
    /// the check reports it with the field and the type rule.
    pub fn parse_assignments<S: AsRef<str>>(
        &self,
        assignments: &[S],
    ) -> Result<Object, PackageError> {
        let mut out = Object::new();
        for assignment in assignments {
            let assignment = assignment.as_ref();
            let Some((key, raw)) = assignment.split_once('=') else {
                return Err(PackageError::Assignment(assignment.to_owned()));
            };
            let value = match self.config.get(key).map(|f| f.kind) {
                Some(FieldType::Boolean) => match raw {
                    "true" => Json::Bool(true),
                    "false" => Json::Bool(false),
                    _ => Json::String(raw.to_owned()),
                },
                Some(FieldType::Integer) | Some(FieldType::Number) => {
                    serde_json::from_str::<serde_json::Number>(raw)
                        .map(Json::Number)
                        .unwrap_or_else(|_| Json::String(raw.to_owned()))
                }
                _ => Json::String(raw.to_owned()),
            };
            out.insert(key.to_owned(), value);
        }
        Ok(out)
    }

    /// The values safe to show a client: secret fields left out.
    pub fn public_values(&self, values: &Object) -> Object {
        values
            .iter()
            .filter(|(name, _)| !self.config.get(*name).is_some_and(|f| f.secret))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }

    /// The names of secret fields that have a value.
    pub fn secrets_set(&self, values: &Object) -> Vec<String> {
        values
            .keys()
            .filter(|name| self.config.get(*name).is_some_and(|f| f.secret))
            .cloned()
            .collect()
    }
}

fn mapping<'a>(path: &str, value: &'a Value) -> Result<&'a Mapping, PackageError> {
    match value {
        Value::Mapping(map) => Ok(map),
        _ => Err(PackageError::invalid(
            FILE,
            path,
            "mapping",
            "must be a mapping",
        )),
    }
}

/// A key that can be a field, type or command name: letters, digits, `_`
/// and `-`, at most 64 characters.
fn name_of(path: &str, key: &Value) -> Result<String, PackageError> {
    let name = key.as_str().unwrap_or("");
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(PackageError::invalid(
            FILE,
            format!(
                "{path}.{}",
                serde_norway::to_string(key).unwrap_or_default().trim()
            ),
            "name",
            "names are 1 to 64 letters, digits, '_' or '-'",
        ))
    }
}

fn fields(path: &str, value: &Value, count: &mut usize) -> Result<Fields, PackageError> {
    let mut out = Fields::new();
    if value.is_null() {
        return Ok(out);
    }
    for (key, spec) in mapping(path, value)? {
        let name = name_of(path, key)?;
        let field_path = format!("{path}.{name}");
        *count += 1;
        if *count > MAX_FIELDS {
            return Err(PackageError::invalid(
                FILE,
                field_path,
                "limit",
                format!("config.yml declares more than {MAX_FIELDS} fields"),
            ));
        }
        let map = mapping(&field_path, spec)?;
        match map.get("type") {
            Some(Value::String(kind)) if KNOWN_TYPES.contains(&kind.as_str()) => {}
            Some(other) => {
                let shown = match other {
                    Value::String(s) => format!("{s:?}"),
                    other => serde_norway::to_string(other).unwrap_or_default(),
                };
                return Err(PackageError::invalid(
                    FILE,
                    format!("{field_path}.type"),
                    "known_type",
                    format!(
                        "{} is not a known type (known: {})",
                        shown.trim(),
                        KNOWN_TYPES.join(", ")
                    ),
                ));
            }
            None => {
                return Err(PackageError::invalid(
                    FILE,
                    format!("{field_path}.type"),
                    "required",
                    "every field declares its type",
                ));
            }
        }
        let mut field: FieldSchema = serde_norway::from_value(spec.clone()).map_err(|e| {
            PackageError::invalid(FILE, field_path.clone(), "field_rules", e.to_string())
        })?;
        check_field(&field_path, &mut field).map_err(|message| {
            let message = message
                .strip_prefix(&format!("{field_path}: "))
                .unwrap_or(&message)
                .to_owned();
            PackageError::invalid(FILE, field_path.clone(), "consistent", message)
        })?;
        out.insert(name, field);
    }
    Ok(out)
}

fn device_type(
    path: &str,
    value: &Value,
    count: &mut usize,
) -> Result<DeviceTypeSpec, PackageError> {
    let mut spec = DeviceTypeSpec::default();
    for (key, value) in mapping(path, value)? {
        match key.as_str() {
            Some("name") => spec.name = string(&format!("{path}.name"), value)?,
            Some("description") => {
                spec.description = string(&format!("{path}.description"), value)?
            }
            Some("state") => spec.state = fields(&format!("{path}.state"), value, count)?,
            Some("commands") => {
                let commands_path = format!("{path}.commands");
                for (name, command) in mapping(&commands_path, value)? {
                    let name = name_of(&commands_path, name)?;
                    let command_path = format!("{commands_path}.{name}");
                    spec.commands
                        .insert(name, command_spec(&command_path, command, count)?);
                }
            }
            _ => {
                return Err(PackageError::invalid(
                    FILE,
                    format!("{path}.{}", key.as_str().unwrap_or("(key)")),
                    "unknown_field",
                    "a device type has name, description, state and commands",
                ));
            }
        }
    }
    if spec.name.is_empty() {
        return Err(PackageError::invalid(
            FILE,
            format!("{path}.name"),
            "required",
            "is required",
        ));
    }
    Ok(spec)
}

fn command_spec(path: &str, value: &Value, count: &mut usize) -> Result<CommandSpec, PackageError> {
    let mut spec = CommandSpec::default();
    if value.is_null() {
        return Ok(spec);
    }
    for (key, value) in mapping(path, value)? {
        match key.as_str() {
            Some("description") => {
                spec.description = string(&format!("{path}.description"), value)?
            }
            Some("payload") => spec.payload = fields(&format!("{path}.payload"), value, count)?,
            _ => {
                return Err(PackageError::invalid(
                    FILE,
                    format!("{path}.{}", key.as_str().unwrap_or("(key)")),
                    "unknown_field",
                    "a command has description and payload",
                ));
            }
        }
    }
    Ok(spec)
}

fn string(path: &str, value: &Value) -> Result<String, PackageError> {
    match value {
        Value::String(s) => Ok(s.trim().to_owned()),
        _ => Err(PackageError::invalid(
            FILE,
            path,
            "type",
            "must be a string",
        )),
    }
}
