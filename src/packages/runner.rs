//! Installed packages as running plugins (features `packages` and
//! `plugins`): a thread watches the registry of a plugins folder and keeps
//! what runs in step with it through a [`PluginControl`]. An enabled
//! package starts; a disabled or removed one stops; a new checksum (an
//! upgrade, or a reinstall) restarts it from its folder. It polls the
//! registry rather than listening to one installer, so changes made by
//! another process (`switchboard plugins ...` beside a running game) are
//! picked up too, within one poll interval.
//!
//! Through [`PluginRuns`] the installer of the same process goes further:
//! it stops a plugin before removing its files, and starts an upgraded one
//! before committing the upgrade, rolling back when it does not start.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender};

use super::error::PackageError;
use super::info::Info;
use super::installer::REGISTRY_FILE;
use super::registry::{InstalledPackage, PackageRegistry};
use super::runs::PluginRuns;
use crate::fields::Object;
use crate::plugins::{
    MAX_PLUGIN_ID_LEN, Permissions, PluginControl, PluginManifest, PluginState, validate_plugin_id,
};

/// Runs the enabled packages of one plugins folder.
///
/// ```no_run
/// use switchboard::packages::{Installer, PackageRunner};
/// use switchboard::plugins::{PluginManager, PluginsConfig};
/// use switchboard::{Host, HostConfig};
///
/// let host = Host::start(HostConfig::default())?;
/// let plugins = PluginManager::start(&host, PluginsConfig::new("/tmp/profiles"))?;
/// let runner = PackageRunner::new("/home/me/.game/plugins").start(plugins.control())?;
/// // Installs through this installer stop, start and roll back plugins.
/// let installer = Installer::open("/home/me/.game/plugins")?.with_runs(runner.runs());
/// # let _ = installer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PackageRunner {
    dir: PathBuf,
    env: Vec<String>,
    poll: Duration,
    start_timeout: Duration,
}

impl PackageRunner {
    /// Runs the packages in `dir`; the plugins get the game's `PATH` only
    /// (so `#!/usr/bin/env python3` works), the registry is read every
    /// 250 ms, and an upgraded plugin has 15 s to register.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            env: vec!["PATH".to_owned()],
            poll: Duration::from_millis(250),
            start_timeout: Duration::from_secs(15),
        }
    }

    /// Also passes these of the game's environment variables to every
    /// package's plugin (`PYTHONPATH`, say).
    pub fn env<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.env.extend(names.into_iter().map(Into::into));
        self
    }

    /// How often the registry is read.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// How long an upgraded plugin has to run before the upgrade is
    /// rolled back.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Opens the folder's registry (making the folder if needed) and
    /// starts the watching thread; its first look starts every enabled
    /// package.
    pub fn start(self, control: PluginControl) -> Result<RunningPackages, PackageError> {
        fs::create_dir_all(&self.dir).map_err(PackageError::io(&self.dir))?;
        let registry = PackageRegistry::open(&self.dir.join(REGISTRY_FILE))?;
        let runs = Arc::new(Runs {
            dir: self.dir,
            env: self.env,
            start_timeout: self.start_timeout,
            control,
            state: Mutex::default(),
        });
        runs.sync(&registry);
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let watched = Arc::clone(&runs);
        let poll = self.poll;
        let thread = std::thread::Builder::new()
            .name("switchboard-package-runner".to_owned())
            .spawn(move || {
                // Ends on the stop message or when the handle is dropped.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(poll) {
                    watched.sync(&registry);
                }
            })
            .map_err(PackageError::io("the package runner thread"))?;
        Ok(RunningPackages {
            runs,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// The running [`PackageRunner`]. Dropping it stops the watching; the
/// plugins it started keep running until the plugin manager stops them.
pub struct RunningPackages {
    runs: Arc<Runs>,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningPackages {
    /// The seam for an [`Installer`](super::Installer) of this folder
    /// ([`Installer::with_runs`](super::Installer::with_runs)).
    pub fn runs(&self) -> Arc<dyn PluginRuns> {
        Arc::clone(&self.runs) as Arc<dyn PluginRuns>
    }

    /// The plugin id a package's plugin runs as, while it runs.
    pub fn plugin_id(&self, package: &str) -> Option<String> {
        self.runs.lock().running.get(package).map(|s| s.id.clone())
    }

    /// Reads the registry now instead of at the next poll.
    pub fn sync_now(&self) -> Result<(), PackageError> {
        let registry = PackageRegistry::open(&self.runs.dir.join(REGISTRY_FILE))?;
        self.runs.sync(&registry);
        Ok(())
    }
}

impl Drop for RunningPackages {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for RunningPackages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningPackages")
            .field("dir", &self.runs.dir)
            .finish_non_exhaustive()
    }
}

/// What was started for one package.
struct Started {
    /// Its plugin id; empty when it could not be started.
    id: String,
    checksum: String,
    configuration: Object,
    /// Why it could not be started (a broken folder or manifest).
    problem: Option<String>,
}

#[derive(Default)]
struct State {
    running: HashMap<String, Started>,
    /// Packages an installer is working on: left alone by the polls.
    held: HashSet<String>,
    /// Every plugin id this runner started (one per package at most): a
    /// stopped one may still be leaving when its package is enabled again.
    started_ids: HashSet<String>,
}

struct Runs {
    dir: PathBuf,
    env: Vec<String>,
    start_timeout: Duration,
    control: PluginControl,
    state: Mutex<State>,
}

impl Runs {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Each change replaces one entry whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts, restarts and stops plugins so that the enabled rows run.
    fn sync(&self, registry: &PackageRegistry) {
        let rows = match registry.list() {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("package runner: cannot read the registry: {e}");
                return;
            }
        };
        let mut state = self.lock();
        let wanted: HashMap<&str, &InstalledPackage> = rows
            .iter()
            .filter(|row| row.enabled)
            .map(|row| (row.package.as_str(), row))
            .collect();
        let gone: Vec<String> = state
            .running
            .keys()
            .filter(|p| !wanted.contains_key(p.as_str()) && !state.held.contains(*p))
            .cloned()
            .collect();
        for package in gone {
            if let Some(started) = state.running.remove(&package) {
                tracing::info!(package, "package disabled or removed: stopping its plugin");
                self.stop_plugin(&started);
            }
        }
        for (package, row) in wanted {
            if state.held.contains(package) {
                continue;
            }
            match state.running.get(package) {
                Some(started) if started.checksum == row.checksum => {
                    if started.configuration != row.configuration {
                        self.configured(&mut state, row);
                    }
                }
                _ => {
                    let started = self.start_plugin(&state, row, &self.dir.join(package));
                    state.started_ids.insert(started.id.clone());
                    state.running.insert(package.to_owned(), started);
                }
            }
        }
    }

    /// A new configuration for a running package: recorded, and sent to
    /// its plugin as a `configuration` event (secrets included: only the
    /// plugin gets it).
    fn configured(&self, state: &mut State, row: &InstalledPackage) {
        if let Some(started) = state.running.get_mut(&row.package) {
            started.configuration = row.configuration.clone();
            if !started.id.is_empty() {
                tracing::info!(package = %row.package, "configuration changed: delivering it");
                let configuration = serde_json::Value::Object(row.configuration.clone());
                self.control.configure(&started.id, configuration);
            }
        }
    }

    /// Starts (or replaces) the package's plugin, unless its plugin id is
    /// another plugin's: a package never takes over a plugin the game
    /// configured, or another package's.
    fn start_plugin(&self, state: &State, row: &InstalledPackage, dir: &Path) -> Started {
        let mut started = Started {
            id: String::new(),
            checksum: row.checksum.clone(),
            configuration: row.configuration.clone(),
            problem: None,
        };
        let manifest = self.manifest(dir).and_then(|manifest| {
            let ours = state.started_ids.contains(&manifest.id);
            let another_package = state
                .running
                .iter()
                .any(|(package, s)| *package != row.package && s.id == manifest.id);
            if another_package || (!ours && self.control.status(&manifest.id).is_some()) {
                return Err(format!(
                    "its plugin id {:?} is already another plugin's",
                    manifest.id
                ));
            }
            Ok(manifest)
        });
        match manifest {
            Ok(manifest) => {
                started.id = manifest.id.clone();
                let configuration = serde_json::Value::Object(row.configuration.clone());
                self.control.set_configuration(&manifest.id, configuration);
                tracing::info!(package = %row.package, version = %row.version, plugin = %manifest.id, "starting the package's plugin");
                if let Err(e) = self.control.start(manifest) {
                    started.problem = Some(e.to_string());
                }
            }
            Err(problem) => {
                tracing::error!(package = %row.package, "cannot run the package: {problem}");
                started.problem = Some(problem);
            }
        }
        started
    }

    fn stop_plugin(&self, started: &Started) {
        if started.id.is_empty() {
            return;
        }
        if let Err(e) = self.control.stop(&started.id) {
            tracing::warn!(plugin = %started.id, "cannot stop the package's plugin: {e}");
        }
    }

    /// The plugin manifest of the package unpacked in `dir`, from its
    /// `info.yml`.
    fn manifest(&self, dir: &Path) -> Result<PluginManifest, String> {
        package_manifest(dir, &self.env)
    }
}

/// The plugin manifest of the package unpacked in `dir`, from its
/// `info.yml`; the plugin gets these of the game's environment variables.
pub(crate) fn package_manifest(dir: &Path, env: &[String]) -> Result<PluginManifest, String> {
    let path = dir.join("info.yml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let info = Info::from_yaml(&text).map_err(|e| e.to_string())?;
    let mut manifest = PluginManifest::new(plugin_id(&info.id), dir.join(&info.executable));
    manifest.sha256 = info.sha256.clone();
    manifest.env = env.to_vec();
    manifest.working_dir = Some(dir.to_owned());
    manifest.permissions = Permissions {
        call: info.permissions.clone(),
    };
    manifest.validate().map_err(|e| e.to_string())?;
    Ok(manifest)
}

impl PluginRuns for Runs {
    fn run(&self, row: &InstalledPackage, dir: &Path) -> Result<(), String> {
        let id = {
            let mut state = self.lock();
            state.held.insert(row.package.clone());
            let started = self.start_plugin(&state, row, dir);
            state.started_ids.insert(started.id.clone());
            let outcome = match &started.problem {
                Some(problem) => Err(problem.clone()),
                None => Ok(started.id.clone()),
            };
            state.running.insert(row.package.clone(), started);
            outcome?
        };
        let status = self.control.wait_settled(&id, self.start_timeout);
        match status.map(|s| s.state) {
            Some(PluginState::Running) => Ok(()),
            Some(PluginState::Failed { reason } | PluginState::Restarting { reason, .. }) => {
                Err(reason)
            }
            Some(other) => Err(format!(
                "not running after {} ms ({other:?})",
                self.start_timeout.as_millis()
            )),
            None => Err("the plugin supervisor does not know it".to_owned()),
        }
    }

    fn stop(&self, package: &str) {
        let started = {
            let mut state = self.lock();
            state.held.insert(package.to_owned());
            state.running.remove(package)
        };
        let Some(started) = started.filter(|s| !s.id.is_empty()) else {
            return;
        };
        self.stop_plugin(&started);
        // The stop takes at most the grace period, then a kill.
        let deadline = Instant::now() + self.start_timeout;
        self.control.wait_settled(&started.id, self.start_timeout);
        while self.control.status(&started.id).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn release(&self, package: &str) {
        self.lock().held.remove(package);
    }

    fn status_json(&self, package: &str) -> Option<serde_json::Value> {
        let state = self.lock();
        let started = state.running.get(package)?;
        if let Some(problem) = &started.problem {
            return Some(serde_json::json!({
                "id": started.id, "state": "failed", "reason": problem,
                "pid": null, "restarts": 0, "uptime_ms": null,
            }));
        }
        self.control.status(&started.id).map(|s| s.to_json())
    }
}

/// The plugin id for an `info.yml` id (the package name by default):
/// lowercase, every character a plugin id may not hold as `-`, e.g.
/// `com.example.weather` -> `com-example-weather`.
fn plugin_id(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_' | '-') => c,
            _ => '-',
        })
        .collect();
    if validate_plugin_id(&id).is_ok() {
        id
    } else {
        // Too long: keep the end, where reverse-DNS names say what they are.
        id[id.len().saturating_sub(MAX_PLUGIN_ID_LEN)..].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::plugin_id;

    #[test]
    fn package_names_become_plugin_ids() {
        assert_eq!(plugin_id("com.example.weather"), "com-example-weather");
        assert_eq!(plugin_id("Org.Example.My_Plugin"), "org-example-my_plugin");
        let long = format!("com.{}.x", "a".repeat(100));
        assert_eq!(plugin_id(&long).len(), 64);
        assert!(plugin_id(&long).ends_with("a.x".replace('.', "-").as_str()));
    }
}
