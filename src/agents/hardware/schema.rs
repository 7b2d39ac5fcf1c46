//! Device types: what a kind of device can do (commands and their payloads),
//! what its state looks like, and what configuration it takes. Declared in
//! YAML, one file per type (`src/agents/hardware/types/*.yml` ship with the
//! crate; more can be loaded from a folder).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::adapter::Radio;
use crate::fields::{FieldType, Fields, check_field, check_value};

/// The device types that ship with the crate: file name and contents.
pub const BUILTIN_TYPES: [(&str, &str); 5] = [
    ("bulb.yml", include_str!("types/bulb.yml")),
    ("rgb_bulb.yml", include_str!("types/rgb_bulb.yml")),
    ("switch.yml", include_str!("types/switch.yml")),
    (
        "temperature_sensor.yml",
        include_str!("types/temperature_sensor.yml"),
    ),
    ("scale.yml", include_str!("types/scale.yml")),
];

/// One command a device type accepts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// What it does, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The payload's fields; a command without fields takes `{}`.
    #[serde(default)]
    pub payload: Fields,
    /// State fields the command sets to fixed values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub effect: BTreeMap<String, Value>,
    /// Boolean state fields the command flips.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toggle: Vec<String>,
}

/// A kind of device: its commands, state and configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceType {
    /// Short id, e.g. `bulb`; letters, digits and `_`.
    pub id: String,
    /// Display name, e.g. "Dimmable bulb".
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// Radios such devices use.
    #[serde(default = "all_radios")]
    pub radios: Vec<Radio>,
    /// The state's fields.
    #[serde(default)]
    pub state: Fields,
    /// The commands, by name.
    #[serde(default)]
    pub commands: BTreeMap<String, CommandSpec>,
    /// The configuration's fields.
    #[serde(default)]
    pub config: Fields,
}

fn all_radios() -> Vec<Radio> {
    Radio::ALL.to_vec()
}

/// Why a device type file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device type {source_name}: {message}")]
pub struct TypeError {
    /// The file (or other source) it came from.
    pub source_name: String,
    /// What is wrong.
    pub message: String,
}

impl DeviceType {
    /// Parses and checks one YAML document. `source_name` names it in errors.
    pub fn from_yaml(source_name: &str, text: &str) -> Result<Self, TypeError> {
        let error = |message: String| TypeError {
            source_name: source_name.to_owned(),
            message,
        };
        let mut ty: DeviceType = serde_norway::from_str(text).map_err(|e| error(e.to_string()))?;
        ty.check().map_err(error)?;
        Ok(ty)
    }

    /// Checks the declarations and compiles the regular expressions.
    fn check(&mut self) -> Result<(), String> {
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "id {:?} must be letters, digits, '_' or '-'",
                self.id
            ));
        }
        if self.radios.is_empty() {
            return Err("radios must name at least one radio".to_owned());
        }
        for (name, field) in &mut self.state {
            check_field(&format!("state.{name}"), field)?;
        }
        for (name, field) in &mut self.config {
            check_field(&format!("config.{name}"), field)?;
        }
        let state = &self.state;
        for (command, spec) in &mut self.commands {
            for (name, field) in &mut spec.payload {
                check_field(&format!("commands.{command}.payload.{name}"), field)?;
            }
            for (name, value) in &spec.effect {
                let Some(field) = state.get(name) else {
                    return Err(format!(
                        "commands.{command}.effect sets {name:?}, which is not a state field"
                    ));
                };
                if let Err(e) = check_value(name, field, value) {
                    return Err(format!("commands.{command}.effect: {e}"));
                }
            }
            for name in &spec.toggle {
                if state.get(name).map(|f| f.kind) != Some(FieldType::Boolean) {
                    return Err(format!(
                        "commands.{command}.toggle names {name:?}, which is not a boolean state field"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The command named `name`.
    pub fn command(&self, name: &str) -> Option<&CommandSpec> {
        self.commands.get(name)
    }

    /// Whether devices of this type can be on `radio`.
    pub fn supports(&self, radio: Radio) -> bool {
        self.radios.contains(&radio)
    }
}

/// Every device type the bridge knows, by id.
#[derive(Debug, Clone, Default)]
pub struct DeviceTypes {
    types: BTreeMap<String, Arc<DeviceType>>,
}

impl DeviceTypes {
    /// The types that ship with the crate.
    pub fn builtin() -> Self {
        let mut types = Self::default();
        for (name, text) in BUILTIN_TYPES {
            match DeviceType::from_yaml(name, text) {
                Ok(ty) => types.insert(ty),
                // A unit test loads every built-in file, so this is a bug.
                Err(e) => tracing::error!("built-in {e}"),
            }
        }
        types
    }

    /// Adds (or replaces) a type.
    pub fn insert(&mut self, ty: DeviceType) {
        self.types.insert(ty.id.clone(), Arc::new(ty));
    }

    /// Loads every `*.yml` and `*.yaml` file in `dir`; a type with the id of
    /// one already known replaces it. Returns the errors of files that
    /// were refused (the others are loaded).
    pub fn load_dir(&mut self, dir: &Path) -> Vec<TypeError> {
        let mut errors = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(TypeError {
                    source_name: dir.display().to_string(),
                    message: format!("cannot read the folder: {e}"),
                });
                return errors;
            }
        };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|ext| ext == "yml" || ext == "yaml")
            })
            .collect();
        paths.sort();
        for path in paths {
            let name = path.display().to_string();
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    errors.push(TypeError {
                        source_name: name,
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            match DeviceType::from_yaml(&name, &text) {
                Ok(ty) => self.insert(ty),
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// The type with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<DeviceType>> {
        self.types.get(id)
    }

    /// Every type, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<DeviceType>> {
        self.types.values()
    }

    /// The types that `radio` can carry, by id.
    pub fn for_radio(&self, radio: Radio) -> impl Iterator<Item = &Arc<DeviceType>> {
        self.types.values().filter(move |t| t.supports(radio))
    }

    /// How many types.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// No types at all.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_load() {
        for (name, text) in BUILTIN_TYPES {
            DeviceType::from_yaml(name, text).unwrap();
        }
        let types = DeviceTypes::builtin();
        assert_eq!(types.len(), 5);
        let bulb = types.get("bulb").unwrap();
        assert!(bulb.command("set_brightness").unwrap().payload["brightness"].required);
        assert_eq!(bulb.state["brightness"].maximum, Some(100.0));
        assert!(
            types.get("scale").unwrap().config["serial_number"]
                .compiled
                .is_some()
        );
    }

    #[test]
    fn bad_types_are_refused_with_the_reason() {
        let cases = [
            ("id: x\nname: X\nfoo: 1\n", "unknown field"),
            (
                "id: x\nname: X\nconfig:\n  a: {type: boolean, minimum: 1}\n",
                "only apply to integer",
            ),
            (
                "id: x\nname: X\nconfig:\n  a: {type: string, regex: \"(\"}\n",
                "bad regex",
            ),
            (
                "id: x\nname: X\nconfig:\n  a: {type: integer, minimum: 5, maximum: 1}\n",
                "above maximum",
            ),
            (
                "id: x\nname: X\ncommands:\n  go: {effect: {speed: 1}}\n",
                "not a state field",
            ),
            (
                "id: x\nname: X\nconfig:\n  a: {type: integer, maximum: 3, default: 9}\n",
                "default does not fit",
            ),
            ("id: \"a b\"\nname: X\n", "must be letters"),
        ];
        for (yaml, expected) in cases {
            let error = DeviceType::from_yaml("test.yml", yaml).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{yaml:?}: {error} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn a_folder_adds_and_replaces_types() {
        let dir = std::env::temp_dir().join(format!(
            "switchboard-types-{}-{}",
            std::process::id(),
            line!()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("fan.yml"),
            "id: fan\nname: Fan\nradios: [zigbee]\nstate:\n  speed: {type: integer, minimum: 0, maximum: 3}\ncommands:\n  set_speed:\n    payload:\n      speed: {type: integer, required: true, minimum: 0, maximum: 3}\n",
        )
        .unwrap();
        std::fs::write(dir.join("bulb.yaml"), "id: bulb\nname: Other bulb\n").unwrap();
        std::fs::write(dir.join("broken.yml"), "id: [\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a type").unwrap();
        let mut types = DeviceTypes::builtin();
        let errors = types.load_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].source_name.ends_with("broken.yml"));
        assert_eq!(types.len(), 6);
        assert_eq!(types.get("bulb").unwrap().name, "Other bulb");
        assert!(types.get("fan").unwrap().supports(Radio::Zigbee));
        assert!(!types.get("fan").unwrap().supports(Radio::Wifi));
    }
}
