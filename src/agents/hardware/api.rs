//! The JSON shapes of the `hardware/*` channels (`docs/hardware.md`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::adapter::{Object, Radio};
use crate::fields::{FieldError, Rule};

/// A device as the bridge knows it: found by discovery, registered, or
/// restored from the registry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// `radio:address`, e.g. `zigbee:00124b00a1b2c3d4`.
    pub id: String,
    /// Its radio.
    pub radio: Radio,
    /// Its address on that radio.
    pub address: String,
    /// Its device type id.
    #[serde(rename = "type")]
    pub type_id: String,
    /// The type's display name.
    pub type_name: String,
    /// Maker.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// The name people gave it; `None` until registered.
    pub name: Option<String>,
    /// Registered (paired, kept in the registry).
    pub registered: bool,
    /// Its adapter has seen it since the game started.
    pub available: bool,
    /// Its configuration (registered devices).
    pub config: Object,
    /// Its last known state (registered devices).
    pub state: Object,
}

/// `radio:address`.
pub fn device_id(radio: Radio, address: &str) -> String {
    format!("{radio}:{address}")
}

/// Splits a device id into radio and address.
pub fn parse_device_id(id: &str) -> Option<(Radio, &str)> {
    let (radio, address) = id.split_once(':')?;
    Some((radio.parse().ok()?, address))
}

/// Why something changed, in `hardware/events/changed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeCause {
    /// A command's result.
    Command,
    /// The device reported on its own.
    Report,
    /// A `hardware/state` read from the device.
    Read,
    /// The device was registered.
    Register,
    /// The device was re-attached after a restart.
    Restore,
    /// Its name or configuration changed.
    Configure,
    /// It can be reached again, or no longer (`available` in the event).
    Availability,
}

/// A failed request, sent as the `Response` error text (JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiError {
    /// Machine-readable code (`invalid_payload`, `timeout`, ...).
    pub code: &'static str,
    /// The sentence for people; for validation failures the first broken
    /// rule, e.g. `brightness: 150 is above the maximum 100`.
    pub message: String,
    /// The device concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The first field that broke a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule it broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
    /// Every broken rule, one per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            device: None,
            field: None,
            rule: None,
            errors: Vec::new(),
        }
    }

    /// Names the device concerned.
    pub fn device(mut self, id: impl Into<String>) -> Self {
        self.device = Some(id.into());
        self
    }

    /// A validation failure: the first error leads.
    pub fn validation(code: &'static str, errors: Vec<FieldError>) -> Self {
        let first = errors.first().cloned();
        Self {
            code,
            message: first
                .as_ref()
                .map_or_else(|| "invalid".to_owned(), |e| e.message.clone()),
            device: None,
            field: first.as_ref().map(|e| e.field.clone()),
            rule: first.map(|e| e.rule),
            errors,
        }
    }

    /// The JSON text sent to the client.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.message.clone())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Parses a request body; an empty body reads as `{}`. Anything but a JSON
/// object is refused, even where serde would take an array for a struct
/// (`[true]` for `{"registered": true}`): every request is an object.
pub(crate) fn parse<T: DeserializeOwned>(content: &[u8]) -> Result<T, ApiError> {
    let bad = |e: String| ApiError::new("invalid_request", format!("bad request: {e}"));
    match content.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return serde_json::from_slice(b"{}").map_err(|e| bad(e.to_string())),
        Some(b'{') => {}
        Some(_) => {
            return Err(bad(match serde_json::from_slice::<Value>(content) {
                Ok(value) => format!("the body must be a JSON object, not {}", kind(&value)),
                Err(e) => format!("the body is not JSON: {e}"),
            }));
        }
    }
    serde_json::from_slice(content).map_err(|e| bad(e.to_string()))
}

/// What a JSON value is, for people.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `hardware/adapters`: takes no fields.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdaptersRequest {}

/// `hardware/devices`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevicesRequest {
    pub registered: Option<bool>,
    pub radio: Option<Radio>,
}

/// `hardware/types`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TypesRequest {
    pub id: Option<String>,
}

/// `hardware/discover`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiscoverRequest {
    pub radio: Option<Radio>,
    pub timeout_ms: Option<u64>,
}

/// `hardware/register`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    pub device: String,
    pub name: Option<String>,
    pub config: Option<Value>,
}

/// `hardware/command`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandRequest {
    pub device: String,
    pub command: String,
    pub payload: Option<Value>,
}

/// `hardware/state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateRequest {
    pub device: String,
    #[serde(default)]
    pub cached: bool,
}

/// `hardware/configure`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigureRequest {
    pub device: String,
    pub name: Option<String>,
    pub config: Option<Value>,
}

/// `hardware/describe`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeRequest {
    pub device: String,
}

/// Checks a device name: 1 to 64 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    let chars = name.chars().count();
    let problem = if name.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if chars > 64 {
        Some(format!("has {chars} characters, at most 64 are allowed"))
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => {
            let mut error = ApiError::new("invalid_request", format!("name: {problem}"));
            error.field = Some("name".to_owned());
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        assert_eq!(
            device_id(Radio::Wifi, "a4:cf:12:00:00:01"),
            "wifi:a4:cf:12:00:00:01"
        );
        assert_eq!(
            parse_device_id("wifi:a4:cf:12:00:00:01"),
            Some((Radio::Wifi, "a4:cf:12:00:00:01"))
        );
        assert_eq!(parse_device_id("lora:1"), None);
        assert_eq!(parse_device_id("zigbee"), None);
    }

    #[test]
    fn requests_parse_strictly() {
        assert!(parse::<DevicesRequest>(b"").is_ok());
        assert!(parse::<DevicesRequest>(b" {\"radio\":\"zigbee\"} ").is_ok());
        let error = parse::<DevicesRequest>(b"{\"radios\":1}").unwrap_err();
        assert_eq!(error.code, "invalid_request");
        assert!(error.message.contains("unknown field"), "{error}");
        assert!(parse::<CommandRequest>(b"{}").is_err());
        // Every request is an object; serde alone would take `[true]` for
        // `{"registered": true}` and `[]` for `{}`.
        for body in [&b"[true]"[..], b"[]", b"true", b"\"{}\"", b"null"] {
            let error = parse::<DevicesRequest>(body).unwrap_err();
            assert_eq!(error.code, "invalid_request");
            assert!(error.message.contains("must be a JSON object"), "{error}");
        }
        let error = parse::<AdaptersRequest>(b"not json").unwrap_err();
        assert!(error.message.contains("not JSON"), "{error}");
        assert!(parse::<AdaptersRequest>(b"{\"bogus\":1}").is_err());
        assert!(parse::<AdaptersRequest>(b" {} ").is_ok());
        assert!(check_name("Kitchen").is_ok());
        assert!(check_name(" ").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
