//! The plugins' device requests (features `hardware` and `plugins`): what
//! a plugin sends as `discover`, `state`, `command` or `register` on
//! `plugins/control` goes to the handler of `hardware/discover`, ... and is
//! answered exactly as a client's request there (same checks, same
//! validation against the device type, same answer); the bridge's events
//! go to the plugins that sent `subscribe`, as lifecycle events `discover`,
//! `change` and `error`. The plugin manager has already checked each
//! plugin's permission (`docs/plugins.md`, section 5.6).

use bevy_ecs::prelude::*;
use serde_json::{Value, json};

use super::bridge::HardwareBridge;
use super::events::HardwareEvent;
use super::out::{Answer, Out};
use super::requests;
use crate::bevy::{FromRemote, IpcHost, IpcPlugins, ToRemote};
use crate::plugins::DeviceOp;

/// At start-up: tell the plugin manager that the bridge answers device
/// requests.
pub(super) fn serve_device_requests(plugins: Option<ResMut<IpcPlugins>>) {
    if let Some(mut plugins) = plugins {
        plugins.0.serve_device_requests();
    }
}

/// Each frame: the bridge's events to the subscribed plugins.
pub(super) fn send_device_events(
    host: Option<Res<IpcHost>>,
    plugins: Option<Res<IpcPlugins>>,
    mut seen: MessageReader<HardwareEvent>,
) {
    let (Some(host), Some(plugins)) = (host, plugins) else {
        return;
    };
    for event in seen.read() {
        plugins.0.send_device_event(&host, &event_json(event));
    }
}

/// Each frame: the plugins' device requests to the bridge's handlers.
pub(super) fn answer_device_requests(
    host: Option<Res<IpcHost>>,
    plugins: Option<ResMut<IpcPlugins>>,
    mut bridge: ResMut<HardwareBridge>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let (Some(_), Some(mut plugins)) = (host, plugins) else {
        return;
    };
    let mut out = Out::default();
    for request in plugins.0.drain_device_requests() {
        let message = FromRemote(request.message);
        let handler = match request.op {
            DeviceOp::Discover => requests::discover,
            DeviceOp::State => requests::state,
            DeviceOp::Command => requests::command,
            DeviceOp::Register => requests::register,
            // Answered by the plugin manager; never queued.
            DeviceOp::Subscribe => continue,
        };
        tracing::debug!(plugin = %request.plugin, op = request.op.name(), "device request");
        match handler(&mut bridge, &message, &mut out) {
            Ok(Answer::Now(value)) => out.reply(&message, &value),
            Ok(Answer::Later) => {}
            Err(e) => out.reply_error(&message, &e),
        }
    }
    out.flush(&mut to, &mut events);
}

/// A bridge event as the lifecycle event plugins get.
fn event_json(event: &HardwareEvent) -> Value {
    match event {
        HardwareEvent::Discovered(device) => json!({"event": "discover", "device": device}),
        HardwareEvent::Changed {
            device,
            cause,
            changes,
        } => json!({"event": "change", "device": device, "cause": cause, "changes": changes}),
        HardwareEvent::Error {
            radio,
            device,
            code,
            message,
        } => {
            json!({"event": "error", "radio": radio, "device": device, "code": code, "message": message})
        }
    }
}
