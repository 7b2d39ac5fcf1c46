//! The Bevy plugin: the host as a resource, network events as ECS messages.
//!
//! Only `bevy_ecs` and `bevy_app` are used, so the library does not pull in
//! the engine. Agents are ordinary systems that read [`FromRemote`] and write
//! [`ToRemote`], ordered against [`IpcSet::Receive`] (in `PreUpdate`) and
//! [`IpcSet::Send`] (in `PostUpdate`).
//!
//! The host serves clients only while the app runs frames. A full Bevy app
//! with `DefaultPlugins` has a runner already (winit's event loop); an app
//! built from `bevy_app` alone needs one, or `run()` does a single frame and
//! returns: `ScheduleRunnerPlugin::run_loop(..)` for a fixed rate, or
//! [`on_demand_runner`] for a frame whenever the network has something
//! (`examples/bevy_minimal.rs`). The example below drives frames by hand
//! with `app.update()`, as a test or another engine's loop would.
//!
//! ```
//! use bevy_app::prelude::*;
//! use bevy_ecs::prelude::*;
//! use switchboard::HostConfig;
//! use switchboard::bevy::{FromRemote, IpcHostPlugin, ToRemote};
//!
//! fn echo(mut from: MessageReader<FromRemote>, mut to: MessageWriter<ToRemote>) {
//!     for message in from.read() {
//!         to.write(message.reply(message.content()));
//!     }
//! }
//!
//! let mut app = App::new();
//! app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
//!     .add_systems(Update, echo);
//! app.update();
//! ```

mod messages;
#[cfg(all(unix, feature = "plugins"))]
mod plugins;
mod to_remote;

use std::ops::Deref;
use std::time::Duration;

use bevy_app::{App, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::prelude::*;

pub use messages::{
    ClientConnected, ClientDisconnected, DialChanged, FromRemote, HostStatus, RemoteAnswer,
};
#[cfg(all(unix, feature = "plugins", feature = "packages"))]
pub use plugins::IpcPackages;
#[cfg(all(unix, feature = "plugins"))]
pub use plugins::{IpcPlugins, IpcPluginsPlugin};
pub use to_remote::{ToRemote, ToRemoteWriter};

use crate::{Host, HostConfig, HostEvent};

/// Where the plugin's systems run, so agents can order themselves.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpcSet {
    /// `PreUpdate`: network events become ECS messages.
    Receive,
    /// `PostUpdate`: `ToRemote` messages go to the network thread.
    Send,
}

/// The running host, for agents that advertise channels, send requests or
/// publish directly.
#[derive(Resource, Debug)]
pub struct IpcHost(pub Host);

impl Deref for IpcHost {
    type Target = Host;
    fn deref(&self) -> &Host {
        &self.0
    }
}

/// The host's current status (also sent once as a [`HostStatus`] message).
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct IpcStatus(pub HostStatus);

/// Adds the IPC host to a Bevy app.
///
/// Every setting (address, token, TLS, origins, limits, ...) lives in
/// [`HostConfig`], so the plugin offers whatever the host offers and the
/// two cannot drift apart. `IpcHostPlugin::default()` is the default
/// configuration: loopback on [`DEFAULT_PORT`](crate::DEFAULT_PORT), no token.
///
/// ```
/// use bevy_app::App;
/// use switchboard::HostConfig;
/// use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus};
///
/// let mut app = App::new();
/// app.add_plugins(IpcHostPlugin::new(
///     HostConfig::default()
///         .port(0) // any free port
///         .host_name("my game")
///         .allow_origin("http://localhost:5173"),
/// ));
/// assert!(matches!(
///     app.world().resource::<IpcStatus>().0,
///     HostStatus::Listening(_)
/// ));
/// ```
#[derive(Debug, Clone, Default)]
pub struct IpcHostPlugin {
    /// The host's configuration, used when the plugin is added.
    pub config: HostConfig,
}

impl IpcHostPlugin {
    /// A plugin that starts a host with this configuration.
    pub fn new(config: HostConfig) -> Self {
        Self { config }
    }
}

impl From<HostConfig> for IpcHostPlugin {
    fn from(config: HostConfig) -> Self {
        Self::new(config)
    }
}

impl Plugin for IpcHostPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<FromRemote>()
            .add_message::<ToRemote>()
            .add_message::<ClientConnected>()
            .add_message::<ClientDisconnected>()
            .add_message::<RemoteAnswer>()
            .add_message::<DialChanged>()
            .add_message::<HostStatus>()
            .configure_sets(PreUpdate, IpcSet::Receive)
            .configure_sets(PostUpdate, IpcSet::Send)
            .add_systems(PreUpdate, receive.in_set(IpcSet::Receive))
            .add_systems(PostUpdate, send.in_set(IpcSet::Send));
        let status = match Host::start(self.config.clone()) {
            Ok(host) => {
                let addr = host.local_addr();
                app.insert_resource(IpcHost(host));
                HostStatus::Listening(addr)
            }
            Err(e) => {
                tracing::error!("IPC host not started: {e}");
                HostStatus::Failed(e.to_string())
            }
        };
        app.insert_resource(IpcStatus(status.clone()));
        app.world_mut().write_message(status);
    }
}

/// An app runner that runs a frame whenever the host has something for the
/// game, and at least every `max_wait` otherwise; between frames the thread
/// sleeps. For headless tools and servers that should not spin; a game with
/// its own frame loop does not need it.
///
/// ```no_run
/// use std::time::Duration;
/// use bevy_app::App;
/// use switchboard::bevy::{IpcHostPlugin, on_demand_runner};
///
/// App::new()
///     .add_plugins(IpcHostPlugin::default())
///     .set_runner(on_demand_runner(Duration::from_millis(100)))
///     .run();
/// ```
pub fn on_demand_runner(max_wait: Duration) -> impl FnOnce(App) -> bevy_app::AppExit + 'static {
    move |mut app: App| {
        if app.plugins_state() != bevy_app::PluginsState::Cleaned {
            app.finish();
            app.cleanup();
        }
        loop {
            app.update();
            if let Some(exit) = app.should_exit() {
                return exit;
            }
            match app.world().get_resource::<IpcHost>() {
                Some(host) => {
                    host.wait_for_event(max_wait);
                }
                None => std::thread::sleep(max_wait),
            }
        }
    }
}

/// Drains the host's events into ECS messages.
fn receive(
    host: Option<Res<IpcHost>>,
    mut from_remote: MessageWriter<FromRemote>,
    mut connected: MessageWriter<ClientConnected>,
    mut disconnected: MessageWriter<ClientDisconnected>,
    mut answers: MessageWriter<RemoteAnswer>,
    mut dials: MessageWriter<DialChanged>,
    #[cfg(all(unix, feature = "plugins"))] mut plugins: Option<ResMut<plugins::IpcPlugins>>,
) {
    let Some(host) = host else { return };
    for event in host.drain_events() {
        // Plugin processes' own traffic stays with their manager.
        #[cfg(all(unix, feature = "plugins"))]
        let Some(event) = (match plugins.as_mut() {
            Some(plugins) => plugins.0.handle(&host, event),
            None => Some(event),
        }) else {
            continue;
        };
        match event {
            HostEvent::Message(message) => {
                from_remote.write(FromRemote(message));
            }
            HostEvent::Connected(info) => {
                connected.write(ClientConnected(info));
            }
            HostEvent::Disconnected { client, reason } => {
                disconnected.write(ClientDisconnected { client, reason });
            }
            HostEvent::Response(response) => {
                answers.write(RemoteAnswer::Response(response));
            }
            HostEvent::RequestFailed {
                client,
                request_id,
                reason,
            } => {
                answers.write(RemoteAnswer::Failed {
                    client,
                    request_id,
                    reason,
                });
            }
            HostEvent::Dial(status) => {
                dials.write(DialChanged(status));
            }
        }
    }
}

/// Hands every `ToRemote` written this frame to the network thread, in one
/// batch: one queue operation and one wake-up per frame. The messages are
/// taken, not read: owning them lets their bytes go to the sockets without
/// a copy, so systems that run after `IpcSet::Send` do not see this
/// frame's `ToRemote` messages.
fn send(host: Option<Res<IpcHost>>, mut to_remote: ResMut<Messages<ToRemote>>) {
    let Some(host) = host else {
        to_remote.clear();
        return;
    };
    let mut batch = host.batch();
    for message in to_remote.drain() {
        if let Err(e) = message.add_to(&mut batch) {
            tracing::warn!("message to remote not sent: {e}");
        }
    }
    if let Err(e) = batch.commit() {
        tracing::warn!("messages to remote not sent: {e}");
    }
}
