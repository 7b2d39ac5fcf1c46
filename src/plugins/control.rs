//! A handle on a running [`PluginManager`](super::PluginManager) for other
//! threads: start plugins the game did not configure at start (installed
//! packages), stop them, read their statuses. It never waits on a plugin:
//! orders are queued for the supervisor thread.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::lifecycle::Configurations;
use super::orders::Order;
use super::supervisor::Shared;
use super::{PluginError, PluginManifest, PluginState, PluginStatus};

/// Starts and stops plugins of a running [`PluginManager`](super::PluginManager)
/// from any thread. Cheap to clone.
///
/// ```no_run
/// use std::time::Duration;
/// use switchboard::plugins::{PluginManager, PluginManifest, PluginsConfig};
/// use switchboard::{Host, HostConfig};
///
/// let host = Host::start(HostConfig::default())?;
/// let plugins = PluginManager::start(&host, PluginsConfig::new("/tmp/profiles"))?;
/// let control = plugins.control();
/// control.start(PluginManifest::new("weather", "/opt/weather/run"))?;
/// let status = control.wait_settled("weather", Duration::from_secs(10));
/// # let _ = status;
/// control.stop("weather")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PluginControl {
    orders: Sender<Order>,
    shared: Arc<Shared>,
    /// Plugins started through a control, for the router to learn on the
    /// game thread: id -> the game channels its manifest asks for. Keyed by
    /// id, so it holds at most one entry per plugin.
    pub(super) learned: Arc<Mutex<HashMap<String, Vec<String>>>>,
    pub(super) configurations: Arc<Configurations>,
}

impl PluginControl {
    pub(super) fn new(orders: Sender<Order>, shared: Arc<Shared>) -> Self {
        Self {
            orders,
            shared,
            learned: Arc::default(),
            configurations: Arc::default(),
        }
    }

    /// Sets the configuration a plugin gets in its `before_run` event and
    /// from the `configuration` request, secrets included (it goes to the
    /// plugin only, never to clients); a running plugin gets it now as a
    /// `configuration` event (`docs/plugins.md`, section 5.6).
    pub fn configure(&self, id: &str, configuration: serde_json::Value) {
        self.configurations.set(id, configuration, true);
    }

    /// Sets a plugin's configuration without an event: for one about to start.
    pub fn set_configuration(&self, id: &str, configuration: serde_json::Value) {
        self.configurations.set(id, configuration, false);
    }

    /// Stops a plugin and starts it again from the same manifest.
    pub fn restart(&self, id: &str) -> Result<(), PluginError> {
        self.send(Order::Restart(id.to_owned()))
    }

    /// Starts a plugin; one running with the same id is asked to leave
    /// first and replaced (an upgrade). Its status shows as starting, then
    /// running or failed, as for configured plugins.
    pub fn start(&self, manifest: PluginManifest) -> Result<(), PluginError> {
        manifest.validate()?;
        self.learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(manifest.id.clone(), manifest.permissions.call.clone());
        self.send(Order::Start(Box::new(manifest)))
    }

    /// Stops a plugin (asks, waits the grace period, kills) and drops it
    /// from the statuses.
    pub fn stop(&self, id: &str) -> Result<(), PluginError> {
        self.send(Order::Stop(id.to_owned()))
    }

    fn send(&self, order: Order) -> Result<(), PluginError> {
        // Counted before it is sent, so the supervisor's count never passes it.
        self.shared.orders_sent.fetch_add(1, Ordering::SeqCst);
        self.orders.try_send(order).map_err(|e| {
            self.shared.orders_sent.fetch_sub(1, Ordering::SeqCst);
            match e {
                TrySendError::Full(_) => PluginError::Supervisor("too many orders waiting"),
                TrySendError::Disconnected(_) => PluginError::Supervisor("it has shut down"),
            }
        })
    }

    /// Every plugin's status now.
    pub fn statuses(&self) -> Vec<PluginStatus> {
        self.shared.snapshot().1
    }

    /// One plugin's status now; `None` when the supervisor has no such
    /// plugin (never started, or stopped and removed).
    pub fn status(&self, id: &str) -> Option<PluginStatus> {
        self.statuses().into_iter().find(|s| s.id == id)
    }

    /// Waits (on the calling thread, never the game's) until the orders
    /// sent so far are taken and the plugin runs, failed, is restarting
    /// after a failed run, or is gone, at most `timeout`; its last status
    /// (`None`: not there).
    pub fn wait_settled(&self, id: &str, timeout: Duration) -> Option<PluginStatus> {
        let deadline = Instant::now() + timeout;
        let sent = self.shared.orders_sent.load(Ordering::SeqCst);
        while self.shared.orders_obeyed.load(Ordering::SeqCst) < sent {
            if Instant::now() >= deadline {
                return self.status(id);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        loop {
            let status = self.status(id);
            let settled = match &status {
                None => true,
                Some(status) => matches!(
                    status.state,
                    PluginState::Running
                        | PluginState::Failed { .. }
                        | PluginState::Restarting { .. }
                        | PluginState::Stopped
                ),
            };
            if settled || Instant::now() >= deadline {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl std::fmt::Debug for PluginControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginControl").finish_non_exhaustive()
    }
}
