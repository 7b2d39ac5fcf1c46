//! What the game asks of a running supervisor through a
//! [`PluginControl`](super::PluginControl): start a plugin it did not know
//! at start (an installed package), stop one for good, or replace one by
//! another version. Stops are graceful as at shutdown: the session is
//! closed (or, before registration, SIGTERM sent), the process has the
//! grace period to leave, then it is killed and reaped.

use std::time::Instant;

use super::PluginManifest;
use super::lifecycle;
use super::profile::Profile;
use super::status::{PluginState, PluginStatus};
use super::supervisor::{AfterStop, Phase, Supervised, Supervisor};

/// One order for the supervisor thread.
pub(crate) enum Order {
    /// Start this plugin; one with the same id is stopped first and
    /// replaced.
    Start(Box<PluginManifest>),
    /// Stop the plugin with this id and forget it.
    Stop(String),
    /// Stop the plugin with this id and start it again (it asked).
    Restart(String),
}

impl Supervisor {
    pub(super) fn obey(&mut self, order: Order) {
        match order {
            Order::Start(manifest) => self.start_plugin(manifest),
            Order::Stop(id) => match self.index_of(&id) {
                Some(index) => self.begin_stop(index, AfterStop::Remove),
                None => tracing::debug!(plugin = %id, "asked to stop a plugin that is not running"),
            },
            Order::Restart(id) => {
                if let Some(index) = self.index_of(&id) {
                    let manifest = Box::new(self.plugins[index].manifest.clone());
                    self.plugins[index].status.restarts += 1;
                    self.begin_stop(index, AfterStop::Start(manifest));
                }
            }
        }
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.plugins
            .iter()
            .position(|p| p.manifest.id == id && !p.removed)
    }

    fn start_plugin(&mut self, manifest: Box<PluginManifest>) {
        if let Some(index) = self.index_of(&manifest.id) {
            return self.begin_stop(index, AfterStop::Start(manifest));
        }
        let profile = match Profile::create(&self.config.profile_root, &manifest.id) {
            Ok(profile) => profile,
            Err(e) => {
                let mut status = PluginStatus::new(&manifest.id);
                status.state = PluginState::Failed {
                    reason: format!(
                        "cannot create its profile under {}: {e}",
                        self.config.profile_root.display()
                    ),
                };
                tracing::error!(plugin = %manifest.id, "plugin not started: {e}");
                let mut plugin = Supervised::new(*manifest, Profile::unmade(), &self.config);
                plugin.status = status;
                plugin.phase = Phase::Done;
                self.plugins.push(plugin);
                return self.publish_all();
            }
        };
        tracing::info!(plugin = %manifest.id, "plugin added");
        self.plugins
            .push(Supervised::new(*manifest, profile, &self.config));
        self.publish_all();
    }

    /// Asks the plugin to leave; [`stopped`](Self::stopped) follows when it
    /// has, or when the grace period is over.
    fn begin_stop(&mut self, index: usize, then: AfterStop) {
        let deadline = Instant::now() + self.config.shutdown_grace;
        let plugin = &mut self.plugins[index];
        plugin.phase = match std::mem::replace(&mut plugin.phase, Phase::Done) {
            Phase::Running { process, watch, .. } | Phase::Starting { process, watch, .. } => {
                match watch.client() {
                    Some(client) => {
                        let after_run = lifecycle::after_run();
                        let _ = self.port.send_to(client, self.control_channel, after_run);
                        let _ = self.port.disconnect(client, "stopped by the game");
                    }
                    None => {
                        // SAFETY: signalling our own, unreaped child.
                        unsafe {
                            libc::kill(process.pid as i32, libc::SIGTERM);
                        }
                    }
                }
                Phase::Stopping {
                    process,
                    deadline,
                    then,
                }
            }
            // Already leaving: the newest order wins.
            Phase::Stopping {
                process, deadline, ..
            } => Phase::Stopping {
                process,
                deadline,
                then,
            },
            Phase::Waiting { .. } | Phase::Done => {
                plugin.phase = Phase::Done;
                return self.after_stop(index, then);
            }
        };
        self.plugins[index].status.state = PluginState::Stopping;
        self.publish(index);
    }

    /// The process left (or its grace period ran out): kill what is left,
    /// reap it, and do what the stop was for.
    pub(super) fn stopped(&mut self, index: usize) {
        let plugin = &mut self.plugins[index];
        let Phase::Stopping {
            mut process, then, ..
        } = std::mem::replace(&mut plugin.phase, Phase::Done)
        else {
            return;
        };
        if process.exited().is_none() {
            tracing::warn!(plugin = %plugin.manifest.id, pid = process.pid, "plugin did not leave in time; killed");
        }
        process.kill();
        self.after_stop(index, then);
    }

    fn after_stop(&mut self, index: usize, then: AfterStop) {
        let config = &self.config;
        let plugin = &mut self.plugins[index];
        plugin.status.pid = None;
        plugin.status.running_since = None;
        match then {
            AfterStop::Remove => {
                tracing::info!(plugin = %plugin.manifest.id, "plugin stopped and removed");
                plugin.status.state = PluginState::Stopped;
                plugin.removed = true;
            }
            AfterStop::Start(manifest) => {
                tracing::info!(plugin = %plugin.manifest.id, "plugin restarting with a new manifest");
                let profile = plugin.profile.clone();
                let restarts = plugin.status.restarts;
                *plugin = Supervised::new(*manifest, profile, config);
                plugin.status.restarts = restarts;
            }
        }
        self.publish(index);
    }

    /// Drops the plugins stopped for good from the list and the statuses.
    pub(super) fn sweep(&mut self) {
        if self.plugins.iter().any(|p| p.removed) {
            self.plugins.retain(|p| !p.removed);
            self.publish_all();
        }
    }

    fn publish_all(&self) {
        self.shared
            .set_all(self.plugins.iter().map(|p| p.status.clone()).collect());
    }
}
