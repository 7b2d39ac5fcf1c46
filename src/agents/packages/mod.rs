//! The package manager agent: editors list, inspect, install, upgrade,
//! configure, enable, disable and remove plugin packages over `plugins/*`
//! channels (JSON; `docs/packages.md`, "Editor channels"), on a plugins
//! folder managed by [`crate::packages::Installer`].
//!
//! The work runs on a thread of its own (install hooks are child
//! processes and may take their full timeout); the game thread only
//! queues requests (at most 16 waiting, then `busy`) and answers what the
//! thread finished, once per frame.
//!
//! ```
//! use bevy_app::prelude::*;
//! use switchboard::agents::packages::PackageManagerPlugin;
//! use switchboard::bevy::IpcHostPlugin;
//!
//! let dir = std::env::temp_dir().join(format!("switchboard-doc-agent-{}", std::process::id()));
//! let mut app = App::new();
//! app.add_plugins((
//!     IpcHostPlugin::new(switchboard::HostConfig::default().port(0)),
//!     PackageManagerPlugin::new(&dir),
//! ));
//! app.update();
//! # drop(app);
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

mod api;
mod worker;

use std::path::PathBuf;
use std::sync::Mutex;

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;

use api::{ApiError, CHANNELS, Kind};
pub use api::{CONFIGURE, DISABLE, ENABLE, INSPECT, INSTALL, LIST, REMOVE};
use worker::{Job, Worker};

use crate::ChannelId;
use crate::bevy::{FromRemote, IpcHost, ToRemote};
use crate::packages::{HookRunner, Limits};

/// Adds the `plugins/*` channels for a plugins folder.
pub struct PackageManagerPlugin {
    dir: PathBuf,
    limits: Limits,
    hooks: Mutex<Option<Box<dyn HookRunner + Send>>>,
}

impl PackageManagerPlugin {
    /// Manages the plugins folder `dir` (created if missing), with the
    /// default limits and the install hooks through the package's plugin
    /// (`PluginHooks`, with feature `plugins` on Unix; otherwise
    /// [`ScriptHooks`](crate::packages::ScriptHooks)).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PackageManagerPlugin {
            dir: dir.into(),
            limits: Limits::default(),
            hooks: Mutex::new(None),
        }
    }

    /// Runs hooks with `hooks`: `PluginHooks` with another timeout or
    /// environment, or [`ScriptHooks`](crate::packages::ScriptHooks) for
    /// `hooks/<name>` scripts.
    pub fn hooks(self, hooks: impl HookRunner + Send + 'static) -> Self {
        if let Ok(mut slot) = self.hooks.lock() {
            *slot = Some(Box::new(hooks));
        }
        self
    }

    /// Reads packages with these limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// The agent's state: the worker and the channel ids the host gave.
#[derive(Resource)]
pub struct PackageManager {
    worker: Worker,
    routes: Vec<(ChannelId, Kind)>,
}

impl Plugin for PackageManagerPlugin {
    fn build(&self, app: &mut App) {
        let hooks = self
            .hooks
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
            .unwrap_or_else(default_hooks);
        let runs = running_packages(app);
        let worker = Worker::start(self.dir.clone(), hooks, self.limits, runs);
        app.insert_resource(PackageManager {
            worker,
            routes: Vec::new(),
        })
        .add_systems(Startup, advertise)
        .add_systems(Update, (queue_requests, answer_done).chain());
    }
}

/// The plugin runner of [`IpcPluginsPlugin::packages`](crate::bevy::IpcPluginsPlugin::packages),
/// when it was added first: then installs start plugins, removals stop
/// them first, and upgrades that do not start are rolled back.
#[cfg(all(unix, feature = "plugins"))]
fn running_packages(app: &App) -> Option<std::sync::Arc<dyn crate::packages::PluginRuns>> {
    let running = app.world().get_resource::<crate::bevy::IpcPackages>()?;
    Some(running.0.runs())
}

#[cfg(not(all(unix, feature = "plugins")))]
fn running_packages(_: &App) -> Option<std::sync::Arc<dyn crate::packages::PluginRuns>> {
    None
}

fn advertise(host: Option<Res<IpcHost>>, mut manager: ResMut<PackageManager>) {
    let Some(host) = host else { return };
    let mut routes = Vec::new();
    for (name, kind, description) in CHANNELS {
        let spec = crate::ChannelSpec::new(name)
            .encoding("json")
            .schema("switchboard.packages")
            .description(description);
        match host.advertise(spec) {
            Ok(id) => routes.push((id, kind)),
            Err(e) => {
                tracing::error!("package manager: cannot advertise {name}: {e}");
                return;
            }
        }
    }
    manager.routes = routes;
}

fn queue_requests(
    manager: Res<PackageManager>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
) {
    for message in from.read() {
        let Some(kind) = manager
            .routes
            .iter()
            .find(|(id, _)| *id == message.channel())
            .map(|(_, kind)| *kind)
        else {
            continue;
        };
        if message.request_id().is_none() {
            continue;
        }
        let job = Job {
            kind,
            message: message.clone(),
        };
        if let Err(job) = manager.worker.submit(job) {
            let busy = ApiError::new(
                "busy",
                "the package manager has too many requests waiting; try again",
            );
            to.write(job.message.reply_error(&busy.to_json()));
        }
    }
}

fn answer_done(manager: Res<PackageManager>, mut to: MessageWriter<ToRemote>) {
    for done in manager.worker.drain() {
        to.write(match done.result {
            Ok(value) => done.message.reply(value.to_string().as_bytes()),
            Err(e) => done.message.reply_error(&e.to_json()),
        });
    }
}

/// `PluginHooks` where plugin processes are built, the scripts elsewhere.
fn default_hooks() -> Box<dyn HookRunner + Send> {
    #[cfg(all(unix, feature = "plugins"))]
    return Box::new(crate::packages::PluginHooks::default());
    #[cfg(not(all(unix, feature = "plugins")))]
    return Box::new(crate::packages::ScriptHooks::default());
}
