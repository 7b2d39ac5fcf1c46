//! The adapter protocol between the bridge and a plugin, as JSON on three
//! of the plugin's channels (`docs/plugins.md`, "Plugins as hardware
//! adapters"): what the plugin lists on `adapter/devices`, reports on
//! `adapter/changes`, and is asked on `adapter/command`. Parsing checks
//! every shape and limit, so what reaches the adapter thread is sound.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::super::adapter::Object;
use super::super::schema::{DeviceType, TypeError};

/// The channel (after `plugins/<id>/`) where a plugin lists its devices
/// (latest value).
pub const DEVICES_CHANNEL: &str = "adapter/devices";
/// The channel where a plugin reports its devices' changes.
pub const CHANGES_CHANNEL: &str = "adapter/changes";
/// The request channel where a plugin takes commands and configurations.
pub const COMMAND_CHANNEL: &str = "adapter/command";

/// Most devices one plugin may list.
pub const MAX_DEVICES_PER_PLUGIN: usize = 256;
/// Most device types one plugin may declare.
pub const MAX_TYPES_PER_PLUGIN: usize = 16;
/// Longest device id a plugin may give.
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// One device as a plugin lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListedDevice {
    pub id: String,
    #[serde(rename = "type")]
    pub type_id: String,
    /// The name it is registered with (the bridge makes one up without).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub state: Object,
}

/// What a plugin publishes on `adapter/devices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicesJson {
    #[serde(default)]
    types: Vec<Value>,
    devices: Vec<ListedDevice>,
}

/// A checked `adapter/devices` message.
#[derive(Debug)]
pub(crate) struct DeviceList {
    pub types: Vec<DeviceType>,
    pub devices: Vec<ListedDevice>,
}

/// What a plugin publishes on `adapter/changes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Changes {
    pub device: String,
    pub changes: Object,
}

/// What the bridge asks on `adapter/command`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum AdapterRequest {
    Command {
        device: String,
        command: String,
        payload: Object,
    },
    Configure {
        device: String,
        config: Object,
    },
}

/// A plugin's answer to a command.
#[derive(Debug, Default, Deserialize)]
struct CommandAnswer {
    #[serde(default)]
    state: Object,
}

/// Why a plugin's message was refused; names the channel and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{channel}: {message}")]
pub(crate) struct ProtocolError {
    pub channel: &'static str,
    pub message: String,
}

fn refuse(channel: &'static str, message: impl Into<String>) -> ProtocolError {
    ProtocolError {
        channel,
        message: message.into(),
    }
}

/// Device ids: what plugin ids allow (a-z, 0-9, `_`, `-`), so that
/// `<plugin>.<device>` splits at its only dot.
pub(crate) fn check_device_id(id: &str) -> Result<(), String> {
    let fits = !id.is_empty()
        && id.len() <= MAX_DEVICE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if fits {
        Ok(())
    } else {
        Err(format!(
            "device id {id:?} must be 1 to {MAX_DEVICE_ID_LEN} characters of a-z, 0-9, '_' and '-'"
        ))
    }
}

/// Parses and checks an `adapter/devices` message; device types come as
/// YAML text or as a JSON object of the same shape.
pub(crate) fn parse_devices(content: &[u8]) -> Result<DeviceList, ProtocolError> {
    let json: DevicesJson = serde_json::from_slice(content)
        .map_err(|e| refuse(DEVICES_CHANNEL, format!("not a device list: {e}")))?;
    if json.devices.len() > MAX_DEVICES_PER_PLUGIN {
        return Err(refuse(
            DEVICES_CHANNEL,
            format!("at most {MAX_DEVICES_PER_PLUGIN} devices per plugin"),
        ));
    }
    if json.types.len() > MAX_TYPES_PER_PLUGIN {
        return Err(refuse(
            DEVICES_CHANNEL,
            format!("at most {MAX_TYPES_PER_PLUGIN} device types per plugin"),
        ));
    }
    let mut types = Vec::with_capacity(json.types.len());
    for (index, ty) in json.types.iter().enumerate() {
        let source = format!("types[{index}]");
        let parsed = match ty {
            Value::String(yaml) => DeviceType::from_yaml(&source, yaml),
            Value::Object(_) => DeviceType::from_yaml(&source, &ty.to_string()),
            _ => Err(TypeError {
                source_name: source.clone(),
                message: "a device type is YAML text or a JSON object".to_owned(),
            }),
        };
        types.push(parsed.map_err(|e| refuse(DEVICES_CHANNEL, e.to_string()))?);
    }
    let mut seen = std::collections::HashSet::new();
    for device in &json.devices {
        check_device_id(&device.id).map_err(|e| refuse(DEVICES_CHANNEL, e))?;
        if !seen.insert(device.id.as_str()) {
            return Err(refuse(
                DEVICES_CHANNEL,
                format!("device {:?} is listed twice", device.id),
            ));
        }
    }
    Ok(DeviceList {
        types,
        devices: json.devices,
    })
}

/// Parses an `adapter/changes` message.
pub(crate) fn parse_changes(content: &[u8]) -> Result<Changes, ProtocolError> {
    let changes: Changes = serde_json::from_slice(content)
        .map_err(|e| refuse(CHANGES_CHANNEL, format!("not a change report: {e}")))?;
    check_device_id(&changes.device).map_err(|e| refuse(CHANGES_CHANNEL, e))?;
    Ok(changes)
}

/// Reads a plugin's answer to a command: its `state` (empty when it
/// reports changes on `adapter/changes` instead).
pub(crate) fn parse_command_answer(content: &[u8]) -> Result<Object, ProtocolError> {
    if content.iter().all(u8::is_ascii_whitespace) {
        return Ok(Object::new());
    }
    serde_json::from_slice::<CommandAnswer>(content)
        .map(|a| a.state)
        .map_err(|e| refuse(COMMAND_CHANNEL, format!("not a command answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATION: &str =
        "id: station_test\nname: Station\nradios: [plugin]\nstate:\n  t: {type: number}\n";

    #[test]
    fn a_device_list_with_yaml_and_json_types_is_read() {
        let body = serde_json::json!({
            "types": [STATION, {"id": "other", "name": "Other"}],
            "devices": [{"id": "s-1", "type": "station_test", "state": {"t": 3.5}}],
        });
        let list = parse_devices(body.to_string().as_bytes()).unwrap();
        assert_eq!(list.types.len(), 2);
        assert_eq!(list.types[0].id, "station_test");
        assert_eq!(list.devices[0].state["t"], 3.5);
    }

    #[test]
    fn bad_device_lists_are_refused_with_the_reason() {
        let cases = [
            (r#"{"devices": 3}"#, "not a device list"),
            (
                r#"{"devices": [{"id": "A.b", "type": "x"}]}"#,
                "device id \"A.b\"",
            ),
            (
                r#"{"devices": [{"id": "a", "type": "x"}, {"id": "a", "type": "x"}]}"#,
                "listed twice",
            ),
            (
                r#"{"types": [7], "devices": []}"#,
                "YAML text or a JSON object",
            ),
            (r#"{"types": ["id: 1"], "devices": []}"#, "types[0]"),
            (r#"{"devices": [], "extra": 1}"#, "unknown field"),
        ];
        for (body, expected) in cases {
            let error = parse_devices(body.as_bytes()).unwrap_err().to_string();
            assert!(error.contains(expected), "{body}: {error}");
            assert!(error.starts_with("adapter/devices: "), "{error}");
        }
        let many: Vec<Value> = (0..=MAX_DEVICES_PER_PLUGIN)
            .map(|i| serde_json::json!({"id": format!("d{i}"), "type": "x"}))
            .collect();
        let body = serde_json::json!({ "devices": many }).to_string();
        assert!(parse_devices(body.as_bytes()).is_err());
    }

    #[test]
    fn changes_and_answers_are_checked() {
        let c = parse_changes(br#"{"device": "s-1", "changes": {"t": 1}}"#).unwrap();
        assert_eq!(c.device, "s-1");
        assert!(parse_changes(br#"{"device": "s-1"}"#).is_err());
        assert!(parse_changes(br#"{"device": "", "changes": {}}"#).is_err());
        assert_eq!(parse_command_answer(b"").unwrap(), Object::new());
        assert_eq!(
            parse_command_answer(br#"{"state": {"t": 2}}"#).unwrap()["t"],
            2
        );
        assert!(parse_command_answer(b"[1]").is_err());
        let asked = AdapterRequest::Command {
            device: "s-1".into(),
            command: "set".into(),
            payload: Object::new(),
        };
        assert_eq!(
            serde_json::to_value(asked).unwrap(),
            serde_json::json!({"op": "command", "device": "s-1", "command": "set", "payload": {}})
        );
    }
}
