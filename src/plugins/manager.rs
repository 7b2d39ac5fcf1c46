//! The game's handle on its plugins: starts the supervisor, owns the
//! `plugins/*` channels, and filters the host's events.

use std::collections::HashSet;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;

use super::control::PluginControl;
use super::routing::Router;
use super::spawn::LogLine;
use super::status::{PluginStatus, status_json};
use super::supervisor::{ORDER_QUEUE, Shared, Stop, Supervisor};
use super::taps::{CallError, PluginEvent};
use super::{PluginError, PluginsConfig};
use crate::{ChannelId, ChannelSpec, ClientId, Host, HostEvent, RequestId};

/// Log lines waiting to be published on `plugins/logs`; past this, lines
/// still reach `tracing` and the next published one says how many it missed.
const LOG_QUEUE: usize = 1024;

/// Runs the game's plugins beside the host.
///
/// [`start`](Self::start) checks the manifests, makes each plugin's profile
/// directories and starts the supervisor thread, which starts the plugins.
/// The game loop passes every [`HostEvent`] through [`handle`](Self::handle)
/// (it keeps the plugins' own and hands back the rest) and calls
/// [`update`](Self::update) once per frame; neither ever waits on a plugin.
///
/// ```no_run
/// use switchboard::plugins::{PluginManager, PluginManifest, PluginsConfig};
/// use switchboard::{Host, HostConfig};
///
/// let host = Host::start(HostConfig::default())?;
/// let config = PluginsConfig::new("/home/me/.game/plugins")
///     .plugin(PluginManifest::from_file("plugins/weather/plugin.json".as_ref())?);
/// let mut plugins = PluginManager::start(&host, config)?;
/// loop {
///     for event in host.drain_events() {
///         if let Some(event) = plugins.handle(&host, event) {
///             // the game's own events
///             # let _ = event;
///         }
///     }
///     plugins.update(&host);
///     # break;
/// }
/// plugins.shutdown(); // before the host goes
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PluginManager {
    shared: std::sync::Arc<Shared>,
    stop: Sender<Stop>,
    thread: Option<JoinHandle<()>>,
    logs: Receiver<LogLine>,
    status_channel: ChannelId,
    logs_channel: ChannelId,
    published: u64,
    router: Router,
    control: PluginControl,
}

#[derive(Serialize)]
struct LogJson<'a> {
    plugin: &'a str,
    stream: &'a str,
    line: &'a str,
}

impl PluginManager {
    /// Advertises `plugins/status`, `plugins/logs` and `plugins/control`,
    /// and starts every configured plugin on the supervisor thread.
    ///
    /// Fails on a duplicate id, an invalid manifest, or a profile directory
    /// that cannot be made. A plugin that fails to start does not fail this
    /// call; it shows as failed in its status.
    pub fn start(host: &Host, config: PluginsConfig) -> Result<Self, PluginError> {
        let mut ids = HashSet::new();
        for manifest in &config.plugins {
            manifest.validate()?;
            if !ids.insert(manifest.id.clone()) {
                return Err(PluginError::DuplicateId(manifest.id.clone()));
            }
        }
        let status_channel = host.advertise(
            ChannelSpec::new("plugins/status")
                .encoding("json")
                .latest()
                .description("Each plugin's state, pid, restarts and uptime"),
        )?;
        let logs_channel = host.advertise(
            ChannelSpec::new("plugins/logs")
                .encoding("json")
                .description("Lines plugins write to stderr (and stdout, with dedicated pipes)"),
        )?;
        let control = host.advertise(
            ChannelSpec::new("plugins/control")
                .encoding("json")
                .description("Requests from plugins: advertise and unadvertise their channels"),
        )?;
        let (log_tx, log_rx) = crossbeam_channel::bounded(LOG_QUEUE);
        let (order_tx, order_rx) = crossbeam_channel::bounded(ORDER_QUEUE);
        let plugins = config.plugins.clone();
        let allowed = config.allowed_game_channels.clone();
        let (shared, stop, thread) =
            Supervisor::start(config, host.port(), log_tx, order_rx, control)?;
        let plugin_control = PluginControl::new(order_tx, std::sync::Arc::clone(&shared));
        let router = Router::new(control, &plugins, &allowed, plugin_control.clone());
        let control = plugin_control;
        let mut manager = Self {
            shared,
            stop,
            thread: Some(thread),
            logs: log_rx,
            status_channel,
            logs_channel,
            published: u64::MAX,
            router,
            control,
        };
        manager.update(host);
        Ok(manager)
    }

    /// Keeps what is the plugins' business (their sessions, their channels,
    /// their answers, refusals of what they may not do) and hands back
    /// every other event for the game.
    pub fn handle(&mut self, host: &Host, event: HostEvent) -> Option<HostEvent> {
        self.learn();
        self.router.handle(host, event)
    }

    /// A handle for starting and stopping plugins from other threads
    /// (the package runner's).
    pub fn control(&self) -> PluginControl {
        self.control.clone()
    }

    /// Tells the router about plugins started through a control since.
    fn learn(&mut self) {
        let learned = std::mem::take(
            &mut *self
                .control
                .learned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for (id, calls) in learned {
            self.router.learn(id, &calls);
        }
    }

    /// Publishes status changes on `plugins/status` and waiting log lines
    /// on `plugins/logs`. Call it once per frame; it never blocks.
    pub fn update(&mut self, host: &Host) {
        self.learn();
        self.router.deliver_configurations(host);
        let (version, statuses) = self.shared.snapshot();
        if version != self.published
            && host
                .publish(self.status_channel, status_json(&statuses))
                .is_ok()
        {
            self.published = version;
        }
        for line in self.logs.try_iter().take(LOG_QUEUE) {
            let json = serde_json::to_vec(&LogJson {
                plugin: &line.plugin,
                stream: line.stream,
                line: &line.line,
            })
            .unwrap_or_default();
            if host.publish(self.logs_channel, json).is_err() {
                break;
            }
        }
    }

    /// Keeps what plugins publish on their channels whose name after
    /// `plugins/<id>/` matches `pattern` (e.g. `adapter/*`), for
    /// [`drain_plugin_events`](Self::drain_plugin_events): game-side code
    /// that proxies plugins hears them without subscribing as a client.
    /// Call it before the plugins register (right after
    /// [`start`](Self::start)), or their first publications pass unheard.
    ///
    /// ```no_run
    /// # use switchboard::plugins::{PluginManager, PluginsConfig, PluginEvent};
    /// # let host = switchboard::Host::start(switchboard::HostConfig::default())?;
    /// let mut plugins = PluginManager::start(&host, PluginsConfig::new("/tmp/p"))?;
    /// plugins.watch("adapter/*")?;
    /// let asked = plugins.call(&host, "weather", "adapter/command", b"{}".to_vec(), None);
    /// for event in plugins.drain_plugin_events() {
    ///     if let PluginEvent::Published { plugin, channel, content } = event {
    ///         println!("{plugin} published {} bytes on {channel}", content.len());
    ///     }
    /// }
    /// # let _ = asked;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch(&mut self, pattern: &str) -> Result<(), crate::protocol::PatternError> {
        self.router
            .watch(crate::protocol::ChannelPattern::parse(pattern)?);
        Ok(())
    }

    /// Sends the game's own request to a plugin's channel (`channel` is the
    /// name after `plugins/<id>/`), answered within `timeout` (default: the
    /// host's request timeout). The answer, a failure, or the plugin
    /// stopping first arrives as one [`PluginEvent::Answer`]; this never
    /// waits.
    pub fn call(
        &mut self,
        host: &Host,
        plugin: &str,
        channel: &str,
        content: Vec<u8>,
        timeout: Option<std::time::Duration>,
    ) -> Result<RequestId, CallError> {
        self.router.call(host, plugin, channel, content, timeout)
    }

    /// What happened since the last call on watched channels, to the
    /// game's requests, and to plugin sessions, oldest first.
    pub fn drain_plugin_events(&mut self) -> Vec<PluginEvent> {
        self.router.drain_events()
    }

    /// Says that the game's hardware bridge answers the plugins' device
    /// requests (`discover`, `state`, `command`, `register`, `subscribe`
    /// on `plugins/control`); until then each is refused with a reason.
    /// The hardware bridge calls it; a game without one leaves it.
    pub fn serve_device_requests(&mut self) {
        self.router.serve_device_requests();
    }

    /// The device requests plugins sent since the last call, each already
    /// allowed by its plugin's manifest; answer each through
    /// [`Host::respond`] to its message (the bridge hands it to its
    /// handler of `hardware/<op>`). At most
    /// [`MAX_WAITING_DEVICE_REQUESTS`](super::MAX_WAITING_DEVICE_REQUESTS)
    /// wait; later ones are refused until this is called.
    ///
    /// ```no_run
    /// # use switchboard::plugins::{PluginManager, PluginsConfig};
    /// # let host = switchboard::Host::start(switchboard::HostConfig::default())?;
    /// let mut plugins = PluginManager::start(&host, PluginsConfig::new("/tmp/p"))?;
    /// plugins.serve_device_requests();
    /// for request in plugins.drain_device_requests() {
    ///     let (client, id) = (request.message.client(), request.message.request_id());
    ///     if let Some(id) = id {
    ///         host.respond_error(client, id, format!("{} is not handled here", request.op.name()))?;
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain_device_requests(&mut self) -> Vec<super::DeviceRequest> {
        self.router.drain_device_requests()
    }

    /// Sends a device event to every plugin that subscribed, as a
    /// lifecycle event on `plugins/control`: `event` is its JSON, with
    /// `"event"` set (`discover`, `change` or `error`).
    pub fn send_device_event(&self, host: &Host, event: &serde_json::Value) {
        self.router
            .send_device_event(host, event.to_string().as_bytes());
    }

    /// Every plugin's status now.
    pub fn statuses(&self) -> Vec<PluginStatus> {
        self.shared.snapshot().1
    }

    /// The plugin id of a plugin's session, for games that tell plugins'
    /// calls on their channels apart from other clients'.
    pub fn plugin_of(&self, client: ClientId) -> Option<&str> {
        self.router.plugin_of(client)
    }

    /// Asks every plugin to leave, waits up to the grace period, kills the
    /// rest and reaps every process. Call it before the host shuts down
    /// (dropping the manager does the same).
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.stop.try_send(Stop);
            if thread.join().is_err() {
                tracing::error!("the plugin supervisor thread panicked");
            }
        }
    }
}

impl Drop for PluginManager {
    fn drop(&mut self) {
        self.stop_all();
    }
}

impl std::fmt::Debug for PluginManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginManager")
            .field("statuses", &self.statuses())
            .finish_non_exhaustive()
    }
}
