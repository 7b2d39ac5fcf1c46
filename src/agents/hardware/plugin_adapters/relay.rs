//! The game-thread half of plugin adapters: each frame it moves what the
//! plugins publish on `adapter/devices` and `adapter/changes` (checked
//! here, refusals reported on `hardware/events/error`) to the proxy's
//! thread, sends the proxy's calls to the plugins' `adapter/command`, hands
//! back the answers, adds the device types plugins declare, and registers
//! their devices. It never waits: the proxy's thread does the waiting.

use std::collections::{HashMap, HashSet};

use bevy_ecs::prelude::*;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::super::adapter::Radio;
use super::super::api::{ApiError, RegisterRequest};
use super::super::bridge::HardwareBridge;
use super::super::events::HardwareEvent;
use super::super::out::Out;
use super::protocol::{
    CHANGES_CHANNEL, COMMAND_CHANNEL, DEVICES_CHANNEL, DeviceList, MAX_TYPES_PER_PLUGIN,
    parse_changes, parse_devices,
};
use super::proxy::{Call, ToProxy};
use crate::RequestId;
use crate::bevy::{IpcHost, IpcPlugins, ToRemote};
use crate::fields::validate_object;
use crate::plugins::PluginEvent;

/// Calls sent per frame, so a burst of commands is spread over frames.
const CALLS_PER_FRAME: usize = 256;

/// The relay's ends of the queues to and from the proxy's thread, and
/// what it remembers between frames.
#[derive(Resource)]
pub(crate) struct PluginAdapterRelay {
    pub(super) to_proxy: Sender<ToProxy>,
    pub(super) calls: Receiver<Call>,
    /// The game's request to a plugin, by the proxy's call id.
    waiting: HashMap<RequestId, u64>,
    /// Which plugin declared each type it added, so one plugin cannot
    /// replace another's types or the built-in ones.
    type_owners: HashMap<String, String>,
    /// Devices whose registration was started (until their plugin stops).
    registering: HashSet<String>,
    /// The names plugins gave their devices, by bridge device id.
    names: HashMap<String, String>,
    warned_missing: bool,
}

impl PluginAdapterRelay {
    pub(crate) fn new(to_proxy: Sender<ToProxy>, calls: Receiver<Call>) -> Self {
        Self {
            to_proxy,
            calls,
            waiting: HashMap::new(),
            type_owners: HashMap::new(),
            registering: HashSet::new(),
            names: HashMap::new(),
            warned_missing: false,
        }
    }

    fn hand_over(&self, message: ToProxy) {
        match self.to_proxy.try_send(message) {
            Ok(()) => {}
            Err(TrySendError::Full(message)) => {
                tracing::warn!("plugin adapters: the adapter thread is behind; dropped {message:?}")
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// At start-up, before any plugin registers: keep the plugins' adapter
/// channels for the relay.
pub(crate) fn watch_adapter_channels(plugins: Option<ResMut<IpcPlugins>>) {
    if let Some(mut plugins) = plugins
        && let Err(e) = plugins.0.watch("adapter/*")
    {
        tracing::error!("plugin adapters: cannot watch the plugins' channels: {e}");
    }
}

/// Each frame: plugin events to the proxy, the proxy's calls to plugins,
/// then registration of newly listed devices.
pub(crate) fn relay(
    host: Option<Res<IpcHost>>,
    plugins: Option<ResMut<IpcPlugins>>,
    mut bridge: ResMut<HardwareBridge>,
    mut relay: ResMut<PluginAdapterRelay>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let (Some(host), Some(mut plugins)) = (host, plugins) else {
        if !relay.warned_missing {
            relay.warned_missing = true;
            tracing::warn!(
                "plugin adapters: no plugins are running (add IpcPluginsPlugin); no plugin devices"
            );
        }
        return;
    };
    let mut out = Out::default();
    for event in plugins.0.drain_plugin_events() {
        match event {
            PluginEvent::Published {
                plugin,
                channel,
                content,
            } => {
                let taken = match channel.as_str() {
                    DEVICES_CHANNEL => parse_devices(&content)
                        .map(|list| relay.listed(&mut bridge, &plugin, list, &mut out)),
                    CHANGES_CHANNEL => parse_changes(&content).map(|changes| {
                        relay.hand_over(ToProxy::Changes {
                            plugin: plugin.clone(),
                            changes,
                        })
                    }),
                    _ => Ok(()),
                };
                if let Err(e) = taken {
                    refused(&mut bridge, &plugin, None, e.to_string(), &mut out);
                }
            }
            PluginEvent::Answer {
                request, result, ..
            } => {
                if let Some(call) = relay.waiting.remove(&request) {
                    relay.hand_over(ToProxy::Answer { call, result });
                }
            }
            PluginEvent::Stopped { plugin } => {
                let prefix = format!("{}:{plugin}.", Radio::Plugin);
                relay.registering.retain(|id| !id.starts_with(&prefix));
                relay.hand_over(ToProxy::Stopped { plugin });
            }
        }
    }
    let calls: Vec<Call> = relay.calls.try_iter().take(CALLS_PER_FRAME).collect();
    for call in calls {
        match plugins.0.call(
            &host,
            &call.plugin,
            COMMAND_CHANNEL,
            call.content,
            Some(call.timeout),
        ) {
            Ok(request) => {
                relay.waiting.insert(request, call.id);
            }
            Err(e) => relay.hand_over(ToProxy::Answer {
                call: call.id,
                result: Err(e.to_string()),
            }),
        }
    }
    relay.register_listed(&mut bridge);
    out.flush(&mut to, &mut events);
}

impl PluginAdapterRelay {
    /// Adds the plugin's device types, then hands its list to the proxy.
    fn listed(
        &mut self,
        bridge: &mut HardwareBridge,
        plugin: &str,
        list: DeviceList,
        out: &mut Out,
    ) {
        for ty in list.types {
            let owner = self.type_owners.get(&ty.id);
            let taken_by_other = match owner {
                Some(owner) => owner != plugin,
                None => bridge.types.get(&ty.id).is_some(),
            };
            let owned = self.type_owners.values().filter(|o| *o == plugin).count();
            if owner.is_none() && !taken_by_other && owned >= MAX_TYPES_PER_PLUGIN {
                // Types cannot be unloaded: without this cap a plugin could
                // fill the bridge with fresh type ids, one list at a time.
                let message = format!(
                    "{DEVICES_CHANNEL}: device type {:?} refused: a plugin may declare at most \
                     {MAX_TYPES_PER_PLUGIN} types, over all its lists",
                    ty.id
                );
                refused(bridge, plugin, None, message, out);
                continue;
            }
            if taken_by_other {
                let message = format!(
                    "{DEVICES_CHANNEL}: device type {:?} exists already (built in or another plugin's); \
                     give yours another id",
                    ty.id
                );
                refused(bridge, plugin, None, message, out);
                continue;
            }
            self.type_owners.insert(ty.id.clone(), plugin.to_owned());
            bridge.types.insert(ty);
        }
        let prefix = format!("{}:{plugin}.", Radio::Plugin);
        self.names.retain(|id, _| !id.starts_with(&prefix));
        let mut devices = Vec::with_capacity(list.devices.len());
        for device in list.devices {
            if bridge.types.get(&device.type_id).is_none() {
                let message = format!(
                    "{DEVICES_CHANNEL}: device {:?} has the type {:?}, which is neither loaded nor declared in \"types\"",
                    device.id, device.type_id
                );
                refused(bridge, plugin, Some(&device.id), message, out);
                continue;
            }
            let id = format!("{}:{plugin}.{}", Radio::Plugin, device.id);
            if let Some(name) = &device.name {
                self.names.insert(id, name.clone());
            }
            devices.push(device);
        }
        self.hand_over(ToProxy::Devices {
            plugin: plugin.to_owned(),
            devices,
        });
    }

    /// A plugin's devices take commands once registered; those whose
    /// configuration defaults fill are registered as soon as they appear.
    fn register_listed(&mut self, bridge: &mut HardwareBridge) {
        let ready: Vec<String> = bridge
            .devices
            .values()
            .filter(|d| d.radio == Radio::Plugin && !d.registered && d.available)
            .filter(|d| !self.registering.contains(&d.id))
            .filter(|d| {
                bridge
                    .types
                    .get(&d.type_id)
                    .is_some_and(|t| validate_object("config", &t.config, None).is_ok())
            })
            .map(|d| d.id.clone())
            .collect();
        for id in ready {
            self.registering.insert(id.clone());
            let request = RegisterRequest {
                device: id.clone(),
                name: self.names.get(&id).cloned(),
                config: None,
            };
            if let Err(e) = bridge.start_register(request, None) {
                tracing::warn!("plugin adapters: cannot register {id}: {e}");
            }
        }
    }
}

/// Tells clients (on `hardware/events/error`) and the log what of a
/// plugin's adapter messages was refused.
fn refused(
    bridge: &mut HardwareBridge,
    plugin: &str,
    device: Option<&str>,
    message: String,
    out: &mut Out,
) {
    tracing::warn!(plugin, "plugin adapters: refused: {message}");
    let device = device.map(|d| format!("{}:{plugin}.{d}", Radio::Plugin));
    let mut error = ApiError::new(
        "invalid_adapter_message",
        format!("plugin {plugin}: {message}"),
    );
    error.device = device.clone();
    bridge.error_event(Radio::Plugin, device.as_deref(), &error, out);
}
