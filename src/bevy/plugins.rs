//! Plugin processes in a Bevy app (features `bevy` and `plugins`): the
//! [`PluginManager`] as a resource, fed by the host plugin's receive system
//! and updated once per frame.

use bevy_app::{App, Plugin, PostUpdate};
use bevy_ecs::prelude::*;

use super::{IpcHost, IpcSet};
use crate::plugins::{PluginManager, PluginsConfig};

/// The running plugins. The host plugin's receive system passes every event
/// through it first, so `FromRemote` and the other messages carry only
/// what is the game's.
#[derive(Resource, Debug)]
pub struct IpcPlugins(pub PluginManager);

/// Starts the configured plugins beside the host of [`IpcHostPlugin`](super::IpcHostPlugin),
/// which must be added first.
///
/// ```no_run
/// use bevy_app::App;
/// use switchboard::HostConfig;
/// use switchboard::bevy::{IpcHostPlugin, IpcPluginsPlugin};
/// use switchboard::plugins::{PluginManifest, PluginsConfig};
///
/// let plugins = PluginsConfig::new("/home/me/.game/plugins")
///     .plugin(PluginManifest::new("weather", "/opt/game/plugins/weather/run"));
/// App::new()
///     .add_plugins(IpcHostPlugin::new(HostConfig::default()))
///     .add_plugins(IpcPluginsPlugin::new(plugins));
/// ```
#[derive(Debug, Clone)]
pub struct IpcPluginsPlugin {
    /// Which plugins, and the supervision rules.
    pub config: PluginsConfig,
}

impl IpcPluginsPlugin {
    /// Runs the plugins `config` names.
    pub fn new(config: PluginsConfig) -> Self {
        Self { config }
    }
}

impl Plugin for IpcPluginsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(PostUpdate, update.in_set(IpcSet::Send));
        let Some(host) = app.world().get_resource::<IpcHost>() else {
            tracing::error!("plugins not started: add IpcHostPlugin before IpcPluginsPlugin");
            return;
        };
        match PluginManager::start(host, self.config.clone()) {
            Ok(manager) => {
                app.insert_resource(IpcPlugins(manager));
            }
            Err(e) => tracing::error!("plugins not started: {e}"),
        }
    }
}

/// Publishes plugin status and log lines once per frame.
fn update(host: Option<Res<IpcHost>>, plugins: Option<ResMut<IpcPlugins>>) {
    if let (Some(host), Some(mut plugins)) = (host, plugins) {
        plugins.0.update(&host);
    }
}
