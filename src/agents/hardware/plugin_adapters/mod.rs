//! Plugins as hardware adapters (features `hardware` and `plugins`): a
//! plugin process lists devices on its channel `plugins/<id>/adapter/devices`,
//! reports their changes on `adapter/changes` and takes commands on
//! `adapter/command` (the protocol is in `docs/plugins.md`). Its devices
//! join the radios' in `hardware/devices` under the radio `plugin`, with
//! ids `plugin:<plugin id>.<device id>`, and take commands through the
//! bridge, validated against their device type before the plugin sees them.
//!
//! Two halves, because the game thread never waits on a plugin: the
//! `proxy` is the [`Adapter`](super::Adapter) on its own adapter thread
//! (it blocks on a command's answer, bounded by the job's timeout); the
//! `relay` is a system on the game thread that moves messages between the
//! proxy and the [`PluginManager`](crate::plugins::PluginManager).
//! `protocol` holds the JSON shapes and their checks.
//!
//! Turn it on with [`HardwareBridgePlugin::plugin_adapters`](super::HardwareBridgePlugin::plugin_adapters):
//!
//! ```
//! use bevy_app::prelude::*;
//! use switchboard::agents::hardware::{HardwareBridge, HardwareBridgePlugin, Radio};
//! use switchboard::bevy::{IpcHostPlugin, IpcPluginsPlugin};
//! use switchboard::plugins::PluginsConfig;
//!
//! let profiles = std::env::temp_dir().join("switchboard-doc-plugin-adapters");
//! let mut app = App::new();
//! app.add_plugins((
//!     IpcHostPlugin::new(switchboard::HostConfig::default().port(0)),
//!     IpcPluginsPlugin::new(PluginsConfig::new(profiles)),
//!     HardwareBridgePlugin::default()
//!         .radios([Radio::Zigbee])
//!         .plugin_adapters(),
//! ));
//! app.update();
//! let radios: Vec<Radio> = app
//!     .world()
//!     .resource::<HardwareBridge>()
//!     .adapters()
//!     .iter()
//!     .map(|a| a.info.radio)
//!     .collect();
//! assert_eq!(radios, [Radio::Zigbee, Radio::Plugin]);
//! ```

mod protocol;
mod proxy;
mod relay;

pub use protocol::{
    CHANGES_CHANNEL, COMMAND_CHANNEL, DEVICES_CHANNEL, MAX_DEVICE_ID_LEN, MAX_DEVICES_PER_PLUGIN,
    MAX_TYPES_PER_PLUGIN,
};
pub(super) use proxy::PluginProxy;
pub(super) use relay::{PluginAdapterRelay, relay, watch_adapter_channels};

/// Calls from the proxy waiting for the relay, and messages from the relay
/// waiting for the proxy.
const QUEUE: usize = 1024;

/// The proxy adapter and the relay resource, joined by bounded queues.
pub(super) fn pair() -> (PluginProxy, PluginAdapterRelay) {
    let (to_proxy, inbox) = crossbeam_channel::bounded(QUEUE);
    let (calls, call_rx) = crossbeam_channel::bounded(QUEUE);
    (
        PluginProxy::new(inbox, calls),
        PluginAdapterRelay::new(to_proxy, call_rx),
    )
}
