//! Devices described as W3C Web of Things Thing Descriptions (TD 1.1):
//! state fields become properties, commands become actions, state changes
//! and errors become events, and every form points at the Switchboard
//! channel to use (`sb:channel`) with the request to send (`sb:request`).

use serde_json::{Map, Value, json};

use super::api::Device;
use super::schema::DeviceType;
use crate::fields::{FieldSchema, Fields, Format};

/// The TD 1.1 context.
pub const TD_CONTEXT: &str = "https://www.w3.org/2022/wot/td/v1.1";

/// The prefix of Switchboard's own TD terms (`sb:channel`, ...).
pub const SB_CONTEXT: &str = "urn:switchboard:hardware#";

/// A field's rules as a WoT data schema.
pub fn data_schema(field: &FieldSchema) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), json!(field.kind));
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            schema.insert(key.into(), value);
        }
    };
    put("title", field.title.clone().map(Value::from));
    put("description", field.description.clone().map(Value::from));
    put("unit", field.unit.clone().map(Value::from));
    put("minimum", field.minimum.map(number));
    put("maximum", field.maximum.map(number));
    put(
        "minLength",
        field.length.or(field.min_length).map(Value::from),
    );
    put(
        "maxLength",
        field.length.or(field.max_length).map(Value::from),
    );
    put("enum", field.one_of.clone().map(Value::from));
    put("const", field.constant.clone());
    put("default", field.default.clone());
    let pattern = match (&field.regex, field.format) {
        (Some(regex), _) => Some(format!("^(?:{regex})$")),
        (None, Some(Format::Hex)) => Some("^[0-9a-fA-F]+$".to_owned()),
        (None, Some(Format::Mac)) => Some("^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$".to_owned()),
        (None, _) => None,
    };
    put("pattern", pattern.map(Value::from));
    match field.format {
        Some(Format::Ipv4) => put("format", Some("ipv4".into())),
        Some(format) => put("sb:format", Some(json!(format))),
        None => {}
    }
    schema
}

/// Object schema for a set of fields (payloads, state, configuration).
pub fn object_schema(fields: &Fields) -> Map<String, Value> {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(name, field)| (name.clone(), Value::Object(data_schema(field))))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|(_, f)| f.required)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

fn form(op: &str, channel: &str, request: Option<Value>) -> Value {
    let mut form = json!({
        "href": channel,
        "op": op,
        "contentType": "application/json",
        "sb:channel": channel,
    });
    if let Some(request) = request {
        form["sb:request"] = request;
    }
    form
}

/// The Thing Description of `device`, of type `ty`. `base` is the host's
/// WebSocket URL (`ws://127.0.0.1:9001/`); forms' `href`s are channel names
/// relative to it.
pub fn thing_description(device: &Device, ty: &DeviceType, base: Option<&str>) -> Value {
    let id = device.id.as_str();
    let mut properties = Map::new();
    for (name, field) in &ty.state {
        let mut property = data_schema(field);
        property.insert("readOnly".into(), true.into());
        property.insert("observable".into(), true.into());
        property.insert(
            "forms".into(),
            json!([
                form(
                    "readproperty",
                    "hardware/state",
                    Some(json!({"device": id}))
                ),
                form("observeproperty", "hardware/events/changed", None),
            ]),
        );
        properties.insert(name.clone(), Value::Object(property));
    }
    let mut actions = Map::new();
    for (name, spec) in &ty.commands {
        let mut action = Map::new();
        action.insert("title".into(), name.replace('_', " ").into());
        if !spec.description.is_empty() {
            action.insert("description".into(), spec.description.clone().into());
        }
        if !spec.payload.is_empty() {
            action.insert("input".into(), Value::Object(object_schema(&spec.payload)));
        }
        action.insert("output".into(), Value::Object(object_schema(&ty.state)));
        action.insert("safe".into(), false.into());
        action.insert("idempotent".into(), spec.toggle.is_empty().into());
        action.insert(
            "forms".into(),
            json!([form(
                "invokeaction",
                "hardware/command",
                Some(json!({"device": id, "command": name, "payload": "<input>"})),
            )]),
        );
        actions.insert(name.clone(), Value::Object(action));
    }
    let events = json!({
        "changed": {
            "description": "The device's state changed; data holds the fields that changed.",
            "data": Value::Object(object_schema(&ty.state)),
            "forms": [form("subscribeevent", "hardware/events/changed", None)],
        },
        "error": {
            "description": "The device or its radio failed outside of a request, or a request timed out.",
            "data": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
            "forms": [form("subscribeevent", "hardware/events/error", None)],
        },
    });
    let mut config = object_schema(&ty.config);
    config.insert("sb:channel".into(), "hardware/configure".into());
    let mut td = json!({
        "@context": [TD_CONTEXT, {"sb": SB_CONTEXT}],
        "id": format!("urn:switchboard:device:{id}"),
        "title": device.name.clone().unwrap_or_else(|| format!("{} {}", ty.name, device.address)),
        "description": ty.description,
        "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}},
        "security": ["nosec_sc"],
        "properties": Value::Object(properties),
        "actions": Value::Object(actions),
        "events": events,
        "forms": [form("readallproperties", "hardware/state", Some(json!({"device": id})))],
        "sb:device": id,
        "sb:type": ty.id,
        "sb:radio": device.radio,
        "sb:address": device.address,
        "sb:manufacturer": device.manufacturer,
        "sb:model": device.model,
        "sb:registered": device.registered,
        "sb:configuration": Value::Object(config),
    });
    if let Some(base) = base {
        td["base"] = base.into();
    }
    td
}

#[cfg(test)]
mod tests {
    use super::super::adapter::{Object, Radio};
    use super::super::schema::DeviceTypes;
    use super::*;

    fn device(ty: &str) -> Device {
        Device {
            id: "zigbee:00124b0000000001".into(),
            radio: Radio::Zigbee,
            address: "00124b0000000001".into(),
            type_id: ty.into(),
            type_name: String::new(),
            manufacturer: "Maker".into(),
            model: "M1".into(),
            name: Some("Kitchen".into()),
            registered: true,
            available: true,
            config: Object::new(),
            state: Object::new(),
        }
    }

    #[test]
    fn a_bulb_as_a_thing() {
        let types = DeviceTypes::builtin();
        let td = thing_description(
            &device("rgb_bulb"),
            types.get("rgb_bulb").unwrap(),
            Some("ws://127.0.0.1:9001/"),
        );
        assert_eq!(td["@context"][0], TD_CONTEXT);
        assert_eq!(td["id"], "urn:switchboard:device:zigbee:00124b0000000001");
        assert_eq!(td["title"], "Kitchen");
        assert_eq!(td["base"], "ws://127.0.0.1:9001/");
        assert_eq!(td["security"], json!(["nosec_sc"]));
        assert_eq!(td["securityDefinitions"]["nosec_sc"]["scheme"], "nosec");

        let brightness = &td["properties"]["brightness"];
        assert_eq!(brightness["type"], "integer");
        assert_eq!(brightness["minimum"], 0);
        assert_eq!(brightness["maximum"], 100);
        assert_eq!(brightness["unit"], "percent");
        assert_eq!(brightness["observable"], true);
        assert_eq!(brightness["forms"][0]["op"], "readproperty");
        assert_eq!(brightness["forms"][0]["sb:channel"], "hardware/state");
        assert_eq!(brightness["forms"][1]["href"], "hardware/events/changed");
        let color = &td["properties"]["color"];
        assert_eq!(color["pattern"], "^[0-9a-fA-F]+$");
        assert_eq!(
            (color["minLength"].clone(), color["maxLength"].clone()),
            (json!(6), json!(6))
        );

        let set_color = &td["actions"]["set_color"];
        assert_eq!(set_color["input"]["required"], json!(["color"]));
        assert_eq!(set_color["input"]["properties"]["color"]["type"], "string");
        assert_eq!(set_color["forms"][0]["op"], "invokeaction");
        assert_eq!(set_color["forms"][0]["href"], "hardware/command");
        assert_eq!(set_color["forms"][0]["sb:request"]["command"], "set_color");
        assert!(td["actions"]["turn_on"].get("input").is_none());
        assert_eq!(td["actions"]["toggle"]["idempotent"], false);

        assert_eq!(
            td["events"]["changed"]["forms"][0]["href"],
            "hardware/events/changed"
        );
        assert_eq!(td["events"]["error"]["forms"][0]["op"], "subscribeevent");
        assert_eq!(
            td["sb:configuration"]["properties"]["default_color"]["default"],
            "ffffff"
        );
    }

    #[test]
    fn regexes_become_anchored_patterns_and_required_config_is_listed() {
        let types = DeviceTypes::builtin();
        let mut unnamed = device("scale");
        unnamed.name = None;
        let td = thing_description(&unnamed, types.get("scale").unwrap(), None);
        assert!(td.get("base").is_none());
        assert_eq!(td["title"], "Scale 00124b0000000001");
        let config = &td["sb:configuration"];
        assert_eq!(config["required"], json!(["serial_number"]));
        assert_eq!(
            config["properties"]["serial_number"]["pattern"],
            "^(?:SC-[0-9]{6})$"
        );
        assert_eq!(
            td["actions"]["set_user"]["input"]["properties"]["user"]["maxLength"],
            24
        );
    }
}
