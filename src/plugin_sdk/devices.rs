//! The device requests of the lifecycle (`docs/plugins.md`, section 5.6):
//! the game's hardware bridge answers them as it answers a client's
//! request on `hardware/<op>`, where the plugin's manifest asks for that
//! channel in `permissions.call`.

use serde_json::{Value, json};

use super::Plugin;
use crate::client::ClientError;

impl Plugin {
    /// Sends the device request `op` with the fields of `request` (an
    /// object) and returns the bridge's answer. A refusal (no permission,
    /// no bridge, a value the device type refuses) is
    /// [`ClientError::Failed`] with the reason (the bridge's error
    /// JSON for its own refusals).
    pub fn device_request(&mut self, op: &str, request: Value) -> Result<Value, ClientError> {
        let mut body = match request {
            Value::Object(fields) => fields,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(ClientError::Unexpected(format!(
                    "a device request is a JSON object, not {other}"
                )));
            }
        };
        body.insert("op".to_owned(), op.into());
        self.control(&Value::Object(body))
    }

    /// Starts a discovery (on `radio`, or every radio) and returns what was
    /// found: `{"devices": [...], "errors": [...]}`.
    ///
    /// ```no_run
    /// use switchboard::plugin_sdk::Plugin;
    ///
    /// let mut plugin = Plugin::register()?;
    /// plugin.subscribe_devices()?; // then "discover"/"change"/"error" lifecycle events
    /// let found = plugin.discover(Some("zigbee"))?;
    /// if let Some(id) = found["devices"][0]["id"].as_str() {
    ///     plugin.register_device(id, Some("Lamp"))?;
    ///     plugin.command(id, "turn_on", serde_json::json!({}))?;
    ///     let state = plugin.device_state(id)?;
    ///     plugin.log(format!("{id}: {}", state["state"]));
    /// }
    /// # Ok::<(), switchboard::client::ClientError>(())
    /// ```
    pub fn discover(&mut self, radio: Option<&str>) -> Result<Value, ClientError> {
        let request = match radio {
            Some(radio) => json!({"radio": radio}),
            None => json!({}),
        };
        self.device_request("discover", request)
    }

    /// Registers (pairs) a discovered device, with the name given.
    pub fn register_device(
        &mut self,
        device: &str,
        name: Option<&str>,
    ) -> Result<Value, ClientError> {
        let mut request = json!({"device": device});
        if let Some(name) = name {
            request["name"] = name.into();
        }
        self.device_request("register", request)
    }

    /// Sends a command to a registered device; the bridge validates the
    /// payload against the device type first.
    pub fn command(
        &mut self,
        device: &str,
        command: &str,
        payload: Value,
    ) -> Result<Value, ClientError> {
        self.device_request(
            "command",
            json!({"device": device, "command": command, "payload": payload}),
        )
    }

    /// A registered device's state, read from the device.
    pub fn device_state(&mut self, device: &str) -> Result<Value, ClientError> {
        self.device_request("state", json!({"device": device}))
    }

    /// From now on the bridge's device events reach
    /// [`on_lifecycle`](Plugin::on_lifecycle) as `discover`, `change` and
    /// `error`.
    pub fn subscribe_devices(&mut self) -> Result<(), ClientError> {
        self.device_request("subscribe", Value::Null).map(|_| ())
    }
}
