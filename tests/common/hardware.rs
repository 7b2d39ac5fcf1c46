//! A test harness for the hardware bridge: an app with the host and the
//! bridge, driven frame by frame, and a real WebSocket client.

use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use serde_json::{Value, json};
use switchboard::HostConfig;
use switchboard::agents::hardware::{HardwareBridge, HardwareBridgePlugin};
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus};
use switchboard::client::{Client, ClientError, Incoming};

use super::{PATIENCE, init_logs};

/// An app with the host and the bridge, a connected client subscribed to
/// every `hardware/events/*` channel, and the events it has received.
pub struct Harness {
    pub app: App,
    pub client: Client,
    pub events: Vec<(String, Value)>,
}

impl Harness {
    pub fn new(plugin: HardwareBridgePlugin) -> Self {
        Self::with(|app| {
            app.add_plugins((IpcHostPlugin::new(HostConfig::default().port(0)), plugin));
        })
    }

    /// The bridge beside plugin processes (`plugins`), as a game with
    /// plugin adapters has them.
    #[cfg(all(unix, feature = "plugins"))]
    pub fn with_plugins(
        plugin: HardwareBridgePlugin,
        plugins: switchboard::plugins::PluginsConfig,
    ) -> Self {
        Self::with(|app| {
            app.add_plugins((
                IpcHostPlugin::new(HostConfig::default().port(0)),
                switchboard::bevy::IpcPluginsPlugin::new(plugins),
                plugin,
            ));
        })
    }

    fn with(add: impl FnOnce(&mut App)) -> Self {
        init_logs();
        let mut app = App::new();
        add(&mut app);
        app.update();
        let addr = match &app.world().resource::<IpcStatus>().0 {
            HostStatus::Listening(addr) => *addr,
            HostStatus::Failed(reason) => panic!("host failed: {reason}"),
        };
        let mut client = Client::connect(addr, "hardware-test").unwrap();
        client.subscribe(&[], &["hardware/events/*"]).unwrap();
        Self {
            app,
            client,
            events: Vec::new(),
        }
    }

    pub fn bridge(&self) -> &HardwareBridge {
        self.app.world().resource::<HardwareBridge>()
    }

    pub fn channel(&self, name: &str) -> u32 {
        self.client
            .channel_id(name)
            .unwrap_or_else(|| panic!("{name} is not advertised"))
    }

    pub fn name_of(&self, channel: u32) -> String {
        self.client
            .channels()
            .find(|c| c.id == channel)
            .map_or_else(|| channel.to_string(), |c| c.name.clone())
    }

    /// Sends a request without waiting for its answer.
    pub fn send(&mut self, channel: &str, body: Value) -> u64 {
        self.send_raw(channel, body.to_string().as_bytes())
    }

    /// Sends a request whose body need not be JSON at all.
    pub fn send_raw(&mut self, channel: &str, body: &[u8]) -> u64 {
        self.client.request(self.channel(channel), body).unwrap()
    }

    /// Runs frames until the answer to `id`: `Ok(json)` or `Err(error
    /// json)`. Events received meanwhile are kept.
    pub fn answer(&mut self, id: u64) -> Result<Value, Value> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            self.app.update();
            match self.client.recv(Duration::from_millis(2)) {
                Ok(Incoming::Response {
                    request_id, result, ..
                }) if request_id == id => {
                    return match result {
                        Ok(content) => Ok(serde_json::from_slice(&content).unwrap()),
                        Err(error) => Err(serde_json::from_str(&error)
                            .unwrap_or_else(|_| panic!("error is not JSON: {error}"))),
                    };
                }
                Ok(Incoming::Error {
                    request_id,
                    message,
                    ..
                }) if request_id == id => panic!("host refused request {id}: {message}"),
                Ok(incoming) => self.keep(incoming),
                Err(ClientError::Timeout) => {}
                Err(e) => panic!("client error: {e}"),
            }
        }
        panic!("no answer to request {id} within {PATIENCE:?}");
    }

    pub fn call(&mut self, channel: &str, body: Value) -> Result<Value, Value> {
        let id = self.send(channel, body);
        self.answer(id)
    }

    pub fn call_raw(&mut self, channel: &str, body: &[u8]) -> Result<Value, Value> {
        let id = self.send_raw(channel, body);
        self.answer(id)
    }

    pub fn ok(&mut self, channel: &str, body: Value) -> Value {
        let text = body.to_string();
        self.call(channel, body)
            .unwrap_or_else(|e| panic!("{channel} {text} failed: {e}"))
    }

    pub fn err(&mut self, channel: &str, body: Value) -> Value {
        let text = body.to_string();
        match self.call(channel, body) {
            Ok(v) => panic!("{channel} {text} should fail, got {v}"),
            Err(e) => e,
        }
    }

    pub fn register(&mut self, device: &str, name: &str, config: Value) -> Value {
        self.ok(
            "hardware/register",
            json!({"device": device, "name": name, "config": config}),
        )
    }

    pub fn command(&mut self, device: &str, command: &str, payload: Value) -> Result<Value, Value> {
        self.call(
            "hardware/command",
            json!({"device": device, "command": command, "payload": payload}),
        )
    }

    pub fn keep(&mut self, incoming: Incoming) {
        if let Incoming::Data {
            channel, content, ..
        } = incoming
        {
            let name = self.name_of(channel);
            let value = serde_json::from_slice(&content).unwrap_or(Value::Null);
            self.events.push((name, value));
        }
    }

    /// Runs frames until an event on `channel` matches `pick`.
    pub fn wait_event(&mut self, channel: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(pos) = self
                .events
                .iter()
                .position(|(name, value)| name == channel && pick(value))
            {
                return self.events.remove(pos).1;
            }
            assert!(
                Instant::now() < deadline,
                "no matching {channel} event within {PATIENCE:?}; have {:#?}",
                self.events
            );
            self.app.update();
            match self.client.recv(Duration::from_millis(2)) {
                Ok(incoming) => self.keep(incoming),
                Err(ClientError::Timeout) => {}
                Err(e) => panic!("client error: {e}"),
            }
        }
    }

    /// Discovers on every radio and returns the found devices.
    pub fn discover(&mut self) -> Vec<Value> {
        let answer = self.ok("hardware/discover", json!({}));
        assert_eq!(answer["errors"], json!([]), "{answer}");
        answer["devices"].as_array().unwrap().clone()
    }

    /// The id of the first device of `type_id` on `radio`.
    pub fn find(&mut self, radio: &str, type_id: &str) -> String {
        let devices = self.ok("hardware/devices", json!({"radio": radio}));
        devices["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["type"] == type_id)
            .unwrap_or_else(|| panic!("no {type_id} on {radio}: {devices}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}
