//! The device requests of the plugin lifecycle (`docs/plugins.md`,
//! section 5.6): `discover`, `state`, `command`, `register` and
//! `subscribe` on `plugins/control`. This layer knows no hardware: it
//! checks the plugin's permission, then queues the request for the game's
//! hardware bridge (which answers it as it answers a client's request on
//! `hardware/<op>`) and keeps who subscribed to the bridge's device
//! events. Without a bridge serving them, each is refused with a reason.

use std::collections::{HashSet, VecDeque};

use serde_json::Value;

use crate::protocol::ChannelPattern;
use crate::{ClientId, RemoteMessage};

/// Device requests waiting for the bridge before new ones are refused;
/// the bridge takes them every frame, so only a stalled game fills it.
pub const MAX_WAITING_DEVICE_REQUESTS: usize = 256;

/// A device request a plugin may send, each answered through the bridge's
/// channel of the same name (`hardware/discover`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOp {
    /// Start a discovery; answered with what was found.
    Discover,
    /// A registered device's state.
    State,
    /// A command to a registered device, validated by its device type.
    Command,
    /// Register (pair) a discovered device.
    Register,
    /// Get the bridge's device events (discover, change, error) as
    /// lifecycle events on `plugins/control`.
    Subscribe,
}

impl DeviceOp {
    /// The op named `name`, if it is a device request.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "discover" => Self::Discover,
            "state" => Self::State,
            "command" => Self::Command,
            "register" => Self::Register,
            "subscribe" => Self::Subscribe,
            _ => return None,
        })
    }

    /// The op's name on `plugins/control`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Discover => "discover",
            Self::State => "state",
            Self::Command => "command",
            Self::Register => "register",
            Self::Subscribe => "subscribe",
        }
    }

    /// The name a pattern in the manifest's `permissions.call` must match
    /// for the plugin to send this op: `hardware/<op>`, so `hardware/*`
    /// grants all five.
    pub fn permission(self) -> String {
        format!("hardware/{}", self.name())
    }
}

/// A plugin's device request, for the hardware bridge to answer: see
/// [`PluginManager::drain_device_requests`](super::PluginManager::drain_device_requests).
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    /// The plugin's id.
    pub plugin: String,
    /// What it asks for (never [`DeviceOp::Subscribe`], which the manager
    /// answers itself).
    pub op: DeviceOp,
    /// The plugin's request on `plugins/control`, its content replaced by
    /// the request's body without `"op"`: a handler of `hardware/<op>`
    /// parses it and answers it as a client's request.
    pub message: RemoteMessage,
}

/// Whether a bridge serves device requests, those waiting for it, and the
/// subscribed plugin sessions.
#[derive(Default)]
pub(crate) struct DeviceDesk {
    served: bool,
    waiting: VecDeque<DeviceRequest>,
    subscribers: HashSet<ClientId>,
}

impl DeviceDesk {
    pub(crate) fn serve(&mut self) {
        self.served = true;
    }

    pub(crate) fn drain(&mut self) -> Vec<DeviceRequest> {
        self.waiting.drain(..).collect()
    }

    pub(crate) fn subscribers(&self) -> impl Iterator<Item = &ClientId> {
        self.subscribers.iter()
    }

    pub(crate) fn gone(&mut self, client: ClientId) {
        self.subscribers.remove(&client);
        self.waiting.retain(|r| r.message.client() != client);
    }

    /// Takes a device request from plugin `plugin`: `Ok(Some(answer))`
    /// answered now, `Ok(None)` queued for the bridge, `Err` refused.
    pub(crate) fn take(
        &mut self,
        plugin: &str,
        asks: Option<&Vec<ChannelPattern>>,
        op: DeviceOp,
        mut request: Value,
        message: &RemoteMessage,
    ) -> Result<Option<Vec<u8>>, String> {
        let name = op.name();
        if !self.served {
            return Err(format!(
                "{name}: the game runs no hardware bridge, so there are no devices to ask about"
            ));
        }
        let permission = op.permission();
        if !asks.is_some_and(|asks| asks.iter().any(|p| p.matches(&permission))) {
            return Err(format!(
                "{name}: plugin {plugin} may not: its manifest's permissions.call has no \
                 pattern matching {permission:?} (\"hardware/*\" grants every device request)"
            ));
        }
        if op == DeviceOp::Subscribe {
            self.subscribers.insert(message.client());
            return Ok(Some(b"{}".to_vec()));
        }
        if self.waiting.len() >= MAX_WAITING_DEVICE_REQUESTS {
            return Err(format!(
                "{name}: {MAX_WAITING_DEVICE_REQUESTS} device requests are already waiting for \
                 the hardware bridge; try again later"
            ));
        }
        if let Some(object) = request.as_object_mut() {
            object.remove("op");
        }
        let body = serde_json::to_vec(&request).map_err(|e| format!("{name}: {e}"))?;
        let message = message
            .with_content(&body)
            .ok_or_else(|| format!("{name}: the request could not be re-encoded"))?;
        self.waiting.push_back(DeviceRequest {
            plugin: plugin.to_owned(),
            op,
            message,
        });
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_data;
    use crate::protocol::fast_verify::data_fields;
    use serde_json::json;

    fn control_request(body: &Value) -> RemoteMessage {
        let frame = encode_data(1, 7, 1, 0, body.to_string().as_bytes());
        let fields = data_fields(&frame).unwrap();
        RemoteMessage::from_verified(ClientId(3), frame, fields)
    }

    fn take(desk: &mut DeviceDesk, asks: &[&str], body: Value) -> Result<Option<Vec<u8>>, String> {
        let asks: Vec<ChannelPattern> = asks
            .iter()
            .map(|p| ChannelPattern::parse(p).unwrap())
            .collect();
        let op = DeviceOp::parse(body["op"].as_str().unwrap()).unwrap();
        let message = control_request(&body);
        desk.take("lamps", Some(&asks), op, body, &message)
    }

    #[test]
    fn device_requests_need_a_bridge_and_the_permission() {
        let mut desk = DeviceDesk::default();
        let refused = take(&mut desk, &["hardware/*"], json!({"op": "discover"})).unwrap_err();
        assert!(refused.contains("no hardware bridge"), "{refused}");
        desk.serve();
        let refused = take(&mut desk, &["hardware/state"], json!({"op": "command"})).unwrap_err();
        assert!(refused.contains("\"hardware/command\""), "{refused}");
        assert!(
            take(
                &mut desk,
                &["hardware/state"],
                json!({"op": "state", "device": "x"})
            )
            .unwrap()
            .is_none()
        );
        assert!(desk.subscribers().next().is_none());
    }

    #[test]
    fn queued_requests_keep_the_sender_and_lose_the_op_and_are_capped() {
        let mut desk = DeviceDesk::default();
        desk.serve();
        assert_eq!(
            take(&mut desk, &["hardware/*"], json!({"op": "subscribe"})).unwrap(),
            Some(b"{}".to_vec())
        );
        assert_eq!(
            desk.subscribers().copied().collect::<Vec<_>>(),
            [ClientId(3)]
        );
        let body = json!({"op": "command", "device": "zigbee:1", "command": "turn_on"});
        assert!(take(&mut desk, &["hardware/*"], body).unwrap().is_none());
        let queued = desk.drain();
        assert_eq!(queued.len(), 1);
        let message = &queued[0].message;
        assert_eq!(
            (message.client(), message.request_id().map(|r| r.0)),
            (ClientId(3), Some(7))
        );
        assert_eq!(message.channel().0, 1);
        let content: Value = serde_json::from_slice(message.content()).unwrap();
        assert_eq!(content, json!({"device": "zigbee:1", "command": "turn_on"}));

        for _ in 0..MAX_WAITING_DEVICE_REQUESTS {
            assert!(take(&mut desk, &["hardware/*"], json!({"op": "discover"})).is_ok());
        }
        let refused = take(&mut desk, &["hardware/*"], json!({"op": "discover"})).unwrap_err();
        assert!(refused.contains("already waiting"), "{refused}");
        desk.gone(ClientId(3));
        assert!(desk.drain().is_empty());
        assert!(desk.subscribers().next().is_none());
    }
}
