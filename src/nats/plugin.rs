//! The bridge as a Bevy plugin, on the host `IpcHostPlugin` started.

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;

use super::{NatsBridge, NatsBridgeConfig};
use crate::bevy::IpcHost;

/// Starts a [`NatsBridge`] on the app's host. Add it after
/// [`IpcHostPlugin`](crate::bevy::IpcHostPlugin). The bridge is then the
/// [`NatsBridgeResource`], and its counters go out on `nats/status` every
/// frame they changed. A bridge that cannot start (no host, bad config)
/// is logged and the app goes on without it.
///
/// ```no_run
/// use bevy_app::prelude::*;
/// use switchboard::HostConfig;
/// use switchboard::bevy::IpcHostPlugin;
/// use switchboard::nats::{NatsBridgeConfig, NatsBridgePlugin};
///
/// App::new()
///     .add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
///     .add_plugins(NatsBridgePlugin::new(
///         NatsBridgeConfig::new("nats://127.0.0.1:4222", "bot-7").publish("telemetry/*"),
///     ))
///     .update();
/// ```
pub struct NatsBridgePlugin {
    config: NatsBridgeConfig,
}

impl NatsBridgePlugin {
    /// A plugin that starts a bridge with `config`.
    pub fn new(config: NatsBridgeConfig) -> Self {
        Self { config }
    }
}

/// The running bridge.
#[derive(Resource)]
pub struct NatsBridgeResource(pub NatsBridge);

impl Plugin for NatsBridgePlugin {
    fn build(&self, app: &mut App) {
        let Some(host) = app.world().get_resource::<IpcHost>() else {
            tracing::error!(
                "NATS bridge not started: no IpcHost (add IpcHostPlugin first, and check IpcStatus)"
            );
            return;
        };
        match NatsBridge::start(host, self.config.clone()) {
            Ok(bridge) => {
                app.insert_resource(NatsBridgeResource(bridge))
                    .add_systems(Last, publish_status);
            }
            Err(e) => tracing::error!("NATS bridge not started: {e}"),
        }
    }
}

fn publish_status(bridge: Res<NatsBridgeResource>, host: Res<IpcHost>) {
    if let Err(e) = bridge.0.publish_status(&host) {
        tracing::debug!("NATS bridge status not published: {e}");
    }
}
