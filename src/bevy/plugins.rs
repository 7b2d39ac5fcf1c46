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
    /// Runs the enabled packages of a plugins folder too.
    #[cfg(feature = "packages")]
    pub packages: Option<crate::packages::PackageRunner>,
}

/// The running packages of [`IpcPluginsPlugin::packages`]; the package
/// manager agent added after it uses them.
#[cfg(feature = "packages")]
#[derive(Resource, Debug)]
pub struct IpcPackages(pub crate::packages::RunningPackages);

impl IpcPluginsPlugin {
    /// Runs the plugins `config` names.
    pub fn new(config: PluginsConfig) -> Self {
        Self {
            config,
            #[cfg(feature = "packages")]
            packages: None,
        }
    }

    /// Also runs every enabled package installed in the runner's plugins
    /// folder, and keeps them in step with its registry (feature
    /// `packages`).
    ///
    /// ```no_run
    /// use bevy_app::App;
    /// use switchboard::HostConfig;
    /// use switchboard::agents::packages::PackageManagerPlugin;
    /// use switchboard::bevy::{IpcHostPlugin, IpcPluginsPlugin};
    /// use switchboard::packages::PackageRunner;
    /// use switchboard::plugins::PluginsConfig;
    ///
    /// let dir = "/home/me/.game/plugins";
    /// App::new()
    ///     .add_plugins(IpcHostPlugin::new(HostConfig::default()))
    ///     .add_plugins(IpcPluginsPlugin::new(PluginsConfig::new("/home/me/.game/profiles"))
    ///         .packages(PackageRunner::new(dir)))
    ///     // After it: installs through the channels start and stop plugins.
    ///     .add_plugins(PackageManagerPlugin::new(dir));
    /// ```
    #[cfg(feature = "packages")]
    pub fn packages(mut self, runner: crate::packages::PackageRunner) -> Self {
        self.packages = Some(runner);
        self
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
                #[cfg(feature = "packages")]
                if let Some(runner) = &self.packages {
                    match runner.clone().start(manager.control()) {
                        Ok(running) => {
                            app.insert_resource(IpcPackages(running));
                        }
                        Err(e) => tracing::error!("installed packages not started: {e}"),
                    }
                }
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
