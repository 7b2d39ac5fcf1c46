//! The supervisor thread: starts each plugin, watches it (process exit,
//! registration, health pings, its session), restarts it with backoff,
//! gives up on a crash loop, and at shutdown asks, waits, then kills. It
//! never touches the game thread; what it decides shows in the shared
//! statuses the manager publishes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::checksum;
use super::lifecycle;
use super::orders::Order;
use super::profile::Profile;
use super::spawn::{self, LogLine, Process};
use super::status::{PluginState, PluginStatus};
use super::{PluginError, PluginManifest, PluginsConfig};
use crate::host::port::Port;
use crate::net::transport::Admission;
use crate::net::transport::pipe::{PipeLink, PipeWatch};
use crate::protocol::{ChannelId, CloseCode};

/// How often the supervisor looks at its plugins.
const TICK: Duration = Duration::from_millis(10);

/// What the manager, the supervisor and every [`PluginControl`](super::PluginControl) share.
#[derive(Default)]
pub(crate) struct Shared {
    statuses: Mutex<(u64, Vec<PluginStatus>)>,
    /// Orders queued through controls, and those the supervisor has taken:
    /// a control waits for the second to reach the first.
    pub(super) orders_sent: AtomicU64,
    pub(super) orders_obeyed: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, (u64, Vec<PluginStatus>)> {
        // Each update replaces one status whole.
        self.statuses.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A version that changes with every update, and the statuses.
    pub(crate) fn snapshot(&self) -> (u64, Vec<PluginStatus>) {
        self.lock().clone()
    }

    fn set(&self, index: usize, status: &PluginStatus) {
        let mut guard = self.lock();
        guard.0 += 1;
        if let Some(slot) = guard.1.get_mut(index) {
            *slot = status.clone();
        }
    }

    /// Replaces every status: plugins were added or removed.
    pub(super) fn set_all(&self, statuses: Vec<PluginStatus>) {
        let mut guard = self.lock();
        guard.0 += 1;
        guard.1 = statuses;
    }
}

/// Where one plugin is, with what the supervisor needs for it.
pub(super) enum Phase {
    /// Waiting to start (first start, or backoff before a restart).
    Waiting { until: Instant },
    /// Started; registration due by `deadline`.
    Starting {
        process: Process,
        watch: Arc<PipeWatch>,
        deadline: Instant,
    },
    Running {
        process: Process,
        watch: Arc<PipeWatch>,
        next_ping: Instant,
        ping_out: Option<(u64, Instant)>,
        started: Instant,
    },
    /// Asked to leave (by [`PluginControl`](super::PluginControl)); killed
    /// at `deadline`, then `then` happens.
    Stopping {
        process: Process,
        deadline: Instant,
        then: AfterStop,
    },
    /// Given up on, or stopped.
    Done,
}

/// What follows a stop the game asked for.
pub(super) enum AfterStop {
    /// The plugin leaves the supervisor's list.
    Remove,
    /// It starts again, from this manifest (a new version, or the same).
    Start(Box<PluginManifest>),
}

pub(super) struct Supervised {
    pub(super) manifest: PluginManifest,
    pub(super) profile: Profile,
    pub(super) phase: Phase,
    pub(super) status: PluginStatus,
    pub(super) backoff: Duration,
    pub(super) failures: VecDeque<Instant>,
    pub(super) nonce: u64,
    /// Stopped for good: dropped from the list after this tick.
    pub(super) removed: bool,
}

impl Supervised {
    pub(super) fn new(manifest: PluginManifest, profile: Profile, config: &PluginsConfig) -> Self {
        Supervised {
            status: PluginStatus::new(&manifest.id),
            manifest,
            profile,
            phase: Phase::Waiting {
                until: Instant::now(),
            },
            backoff: config.backoff_initial,
            failures: VecDeque::new(),
            nonce: 0,
            removed: false,
        }
    }
}

pub(crate) struct Supervisor {
    pub(super) plugins: Vec<Supervised>,
    pub(super) config: PluginsConfig,
    pub(super) port: Port,
    pub(super) shared: Arc<Shared>,
    logs: Sender<LogLine>,
    /// `plugins/control`, where lifecycle events go.
    pub(super) control_channel: ChannelId,
}

/// Asks the supervisor thread to shut its plugins down and end.
pub(crate) struct Stop;

/// A started supervisor: the statuses it keeps, the way to stop it, its thread.
pub(crate) type Running = (Arc<Shared>, Sender<Stop>, JoinHandle<()>);

/// The most orders waiting for the supervisor; more are refused.
pub(crate) const ORDER_QUEUE: usize = 64;

impl Supervisor {
    /// Makes every profile directory (so a bad root fails the start) and
    /// starts the supervisor thread.
    pub(crate) fn start(
        config: PluginsConfig,
        port: Port,
        logs: Sender<LogLine>,
        orders: Receiver<Order>,
        control_channel: ChannelId,
    ) -> Result<Running, PluginError> {
        let mut plugins = Vec::new();
        for manifest in &config.plugins {
            let profile = Profile::create(&config.profile_root, &manifest.id).map_err(|e| {
                PluginError::Spawn {
                    id: manifest.id.clone(),
                    reason: format!(
                        "cannot create its profile under {}: {e}",
                        config.profile_root.display()
                    ),
                }
            })?;
            plugins.push(Supervised::new(manifest.clone(), profile, &config));
        }
        let shared = Arc::new(Shared::default());
        shared.lock().1 = plugins.iter().map(|p| p.status.clone()).collect();
        let (stop_tx, stop_rx) = crossbeam_channel::bounded(1);
        let mut supervisor = Supervisor {
            plugins,
            config,
            port,
            shared: Arc::clone(&shared),
            logs,
            control_channel,
        };
        let thread = std::thread::Builder::new()
            .name("switchboard-plugins".to_owned())
            .spawn(move || supervisor.run(&stop_rx, &orders))
            .map_err(|e| PluginError::Spawn {
                id: String::new(),
                reason: format!("cannot start the supervisor thread: {e}"),
            })?;
        Ok((shared, stop_tx, thread))
    }

    fn run(&mut self, stop: &Receiver<Stop>, orders: &Receiver<Order>) {
        loop {
            match stop.recv_timeout(TICK) {
                Ok(Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            for order in orders.try_iter().take(ORDER_QUEUE) {
                self.obey(order);
                self.shared.orders_obeyed.fetch_add(1, Ordering::SeqCst);
            }
            for index in 0..self.plugins.len() {
                self.step(index);
            }
            self.sweep();
        }
        self.shutdown();
    }

    pub(super) fn publish(&self, index: usize) {
        self.shared.set(index, &self.plugins[index].status);
    }

    fn step(&mut self, index: usize) {
        let now = Instant::now();
        let plugin = &mut self.plugins[index];
        match &mut plugin.phase {
            Phase::Waiting { until } if now >= *until => self.launch(index),
            Phase::Waiting { .. } | Phase::Done => {}
            Phase::Stopping {
                process, deadline, ..
            } => {
                if process.exited().is_some() || now >= *deadline {
                    self.stopped(index);
                }
            }
            Phase::Starting {
                process,
                watch,
                deadline,
            } => {
                // A refusal first: the plugin may exit on reading it.
                if let Some((code, reason)) = watch.closed_by_host() {
                    if code == CloseCode::Unauthorized.code() {
                        self.give_up(index, format!("registration refused: {reason}"));
                    } else if code == CloseCode::HandshakeTimeout.code() {
                        // The host's timer for this link is the registration timeout.
                        let reason = format!(
                            "did not register within {} ms",
                            self.config.registration_timeout.as_millis()
                        );
                        self.failed_run(index, reason);
                    } else {
                        let reason =
                            format!("closed by the host before registering ({code} {reason})");
                        self.failed_run(index, reason);
                    }
                } else if let Some(status) = process.exited() {
                    let reason = format!("exited ({status}) before registering");
                    self.failed_run(index, reason);
                } else if watch.client().is_some() {
                    let Phase::Starting { process, watch, .. } =
                        std::mem::replace(&mut plugin.phase, Phase::Done)
                    else {
                        return;
                    };
                    plugin.phase = Phase::Running {
                        process,
                        watch,
                        next_ping: now + self.config.ping_interval,
                        ping_out: None,
                        started: now,
                    };
                    plugin.status.state = PluginState::Running;
                    plugin.status.running_since = Some(now);
                    tracing::info!(plugin = %plugin.manifest.id, "plugin registered");
                    self.publish(index);
                } else if watch.ended() {
                    let reason = ended_reason(process, "closed its pipe before registering");
                    self.failed_run(index, reason);
                } else if now >= *deadline {
                    let reason = format!(
                        "did not register within {} ms",
                        self.config.registration_timeout.as_millis()
                    );
                    self.failed_run(index, reason);
                }
            }
            Phase::Running {
                process,
                watch,
                next_ping,
                ping_out,
                ..
            } => {
                if let Some(status) = process.exited() {
                    self.failed_run(index, format!("exited ({status})"));
                } else if let Some((code, reason)) = watch.closed_by_host() {
                    // Broken framing, a flood, a slow consumer: the host
                    // closed its session, so this run is over.
                    self.failed_run(index, format!("closed by the host ({code} {reason})"));
                } else if watch.ended() {
                    let reason = ended_reason(process, "its session ended");
                    self.failed_run(index, reason);
                } else if let Some((nonce, sent)) = *ping_out {
                    if watch.last_pong().is_some_and(|(n, _)| n == nonce) {
                        *ping_out = None;
                        *next_ping = now + self.config.ping_interval;
                    } else if now.duration_since(sent) > self.config.ping_timeout {
                        let reason = format!(
                            "did not answer a ping within {} ms",
                            self.config.ping_timeout.as_millis()
                        );
                        self.failed_run(index, reason);
                    }
                } else if now >= *next_ping {
                    plugin.nonce += 1;
                    watch.ping(plugin.nonce);
                    *ping_out = Some((plugin.nonce, now));
                }
            }
        }
    }

    /// Checks the executable, spawns the process and attaches its pipes.
    fn launch(&mut self, index: usize) {
        let plugin = &mut self.plugins[index];
        let id = plugin.manifest.id.clone();
        if let Some(expected) = &plugin.manifest.sha256 {
            let path = checksum::resolve(&plugin.manifest.executable)
                .unwrap_or_else(|| plugin.manifest.executable.clone());
            let actual = match checksum::sha256_file(&path) {
                Ok(sum) => sum,
                Err(e) => {
                    let reason = format!("cannot read {} to check it: {e}", path.display());
                    return self.give_up(index, reason);
                }
            };
            if !actual.eq_ignore_ascii_case(expected) {
                let error = PluginError::ChecksumMismatch {
                    id,
                    path,
                    expected: expected.clone(),
                    actual,
                };
                return self.give_up(index, error.to_string());
            }
        }
        let spawned = match spawn::spawn(&plugin.manifest, &[]) {
            Ok(spawned) => spawned,
            Err(e) => {
                let reason = format!("cannot start {}: {e}", plugin.manifest.executable.display());
                return self.give_up(index, reason);
            }
        };
        let mut process = spawned.process;
        if let Some(stderr) = spawned.stderr {
            let _ = spawn::forward_lines(id.clone(), "stderr", stderr, self.logs.clone());
        }
        if let Some(stdout) = spawned.stdout {
            let _ = spawn::forward_lines(id.clone(), "stdout", stdout, self.logs.clone());
        }
        let watch = Arc::new(PipeWatch::default());
        let admission = Admission {
            name: id.clone(),
            directories: plugin.profile.directories(),
            preferences: self.port.preferences.clone(),
            handshake_timeout: Some(self.config.registration_timeout),
        };
        let link = PipeLink::new(
            spawned.from_plugin,
            spawned.to_plugin,
            process.pid,
            self.port.max_message_size,
            admission,
            Arc::clone(&watch),
        );
        let attached = link
            .map_err(|e| format!("cannot set up its pipes: {e}"))
            .and_then(|link| {
                self.port
                    .attach(Box::new(link))
                    .map_err(|e| format!("the host refused its session: {e}"))
            });
        if let Err(reason) = attached {
            process.kill();
            return self.give_up(index, reason);
        }
        tracing::info!(plugin = %id, pid = process.pid, "plugin started");
        let plugin = &mut self.plugins[index];
        plugin.status.pid = Some(process.pid);
        if !matches!(plugin.status.state, PluginState::Restarting { .. }) {
            plugin.status.state = PluginState::Starting;
        }
        plugin.phase = Phase::Starting {
            process,
            watch,
            deadline: Instant::now() + self.config.registration_timeout,
        };
        self.publish(index);
    }

    /// Ends the current run (killing what is left of it) and schedules a
    /// restart, or gives up on a crash loop.
    fn failed_run(&mut self, index: usize, reason: String) {
        let now = Instant::now();
        let config = &self.config;
        let plugin = &mut self.plugins[index];
        let ran_for = match std::mem::replace(&mut plugin.phase, Phase::Done) {
            Phase::Running {
                mut process,
                started,
                ..
            } => {
                process.kill();
                Some(now.duration_since(started))
            }
            Phase::Starting { mut process, .. } | Phase::Stopping { mut process, .. } => {
                process.kill();
                None
            }
            Phase::Waiting { .. } | Phase::Done => None,
        };
        tracing::warn!(plugin = %plugin.manifest.id, "plugin {reason}");
        // A run that lasted past the crash-loop window starts the count over.
        if ran_for.is_some_and(|d| d > config.crash_loop_window) {
            plugin.failures.clear();
            plugin.backoff = config.backoff_initial;
        }
        plugin.failures.push_back(now);
        while plugin
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > config.crash_loop_window)
        {
            plugin.failures.pop_front();
        }
        if plugin.failures.len() >= config.crash_loop_failures as usize {
            let reason = format!(
                "crash loop: {} failures within {} s; the last: {reason}",
                plugin.failures.len(),
                config.crash_loop_window.as_secs()
            );
            return self.give_up(index, reason);
        }
        plugin.status.restarts += 1;
        plugin.status.pid = None;
        plugin.status.running_since = None;
        plugin.status.state = PluginState::Restarting {
            count: plugin.status.restarts,
            reason,
        };
        plugin.phase = Phase::Waiting {
            until: now + plugin.backoff,
        };
        plugin.backoff = (plugin.backoff * 2).min(config.backoff_max);
        self.publish(index);
    }

    fn give_up(&mut self, index: usize, reason: String) {
        let plugin = &mut self.plugins[index];
        if let Phase::Running { mut process, .. }
        | Phase::Starting { mut process, .. }
        | Phase::Stopping { mut process, .. } = std::mem::replace(&mut plugin.phase, Phase::Done)
        {
            process.kill();
        }
        tracing::error!(plugin = %plugin.manifest.id, "plugin failed: {reason}");
        plugin.status.state = PluginState::Failed { reason };
        plugin.status.pid = None;
        plugin.status.running_since = None;
        self.publish(index);
    }

    /// Asks every plugin to leave (a close on its session), waits up to the
    /// grace period for the processes to exit, then kills the rest. Every
    /// process is reaped before this returns.
    fn shutdown(&mut self) {
        let mut leaving: Vec<(usize, Process)> = Vec::new();
        for (index, plugin) in self.plugins.iter_mut().enumerate() {
            match std::mem::replace(&mut plugin.phase, Phase::Done) {
                Phase::Running { process, watch, .. } | Phase::Starting { process, watch, .. } => {
                    match watch.client() {
                        Some(client) => {
                            let _ = self.port.send_to(
                                client,
                                self.control_channel,
                                lifecycle::after_run(),
                            );
                            let _ = self.port.disconnect(client, "the game is shutting down");
                        }
                        // Not registered: no session to close, so a signal asks.
                        None => {
                            // SAFETY: signalling our own, unreaped child.
                            unsafe {
                                libc::kill(process.pid as i32, libc::SIGTERM);
                            }
                        }
                    }
                    leaving.push((index, process));
                }
                Phase::Stopping { process, .. } => leaving.push((index, process)),
                Phase::Waiting { .. } | Phase::Done => {}
            }
        }
        let deadline = Instant::now() + self.config.shutdown_grace;
        while Instant::now() < deadline && leaving.iter_mut().any(|(_, p)| p.exited().is_none()) {
            std::thread::sleep(Duration::from_millis(5));
        }
        for (_, process) in &mut leaving {
            if process.exited().is_none() {
                tracing::warn!(pid = process.pid, "plugin did not leave in time; killed");
            }
            // Kills the group too: a plugin's own children go with it.
            process.kill();
        }
        for plugin in self.plugins.iter_mut() {
            if !matches!(plugin.status.state, PluginState::Failed { .. }) {
                plugin.status.state = PluginState::Stopped;
            }
            plugin.status.pid = None;
            plugin.status.running_since = None;
        }
        for index in 0..self.plugins.len() {
            self.publish(index);
        }
    }
}

/// Why a session ended without the host closing it: usually the process
/// exited and its pipes closed, which its exit status tells better, if it
/// comes within a moment.
fn ended_reason(process: &mut Process, otherwise: &str) -> String {
    let deadline = Instant::now() + Duration::from_millis(200);
    loop {
        if let Some(status) = process.exited() {
            return format!("exited ({status})");
        }
        if Instant::now() >= deadline {
            return otherwise.to_owned();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
