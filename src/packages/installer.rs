//! Installing, upgrading, configuring, enabling, disabling and removing
//! packages in a plugins folder, so that files and registry rows change
//! together: on any failure neither is left half done.
//!
//! The plugins folder holds one folder per package, named by its package
//! name, a registry file `.registry.sqlite3`, and while an operation runs,
//! dot-named temporary folders (package names never start with a dot).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::archive::Limits;
use super::changes::{ChangeListener, PackageChange};
use super::config::PackageConfig;
use super::error::PackageError;
use super::hooks::{Hook, HookContext, HookRunner, ScriptHooks};
use super::info::{Info, check_package_name};
use super::package::Package;
use super::registry::{self, InstalledPackage, PackageRegistry};
use super::runs::PluginRuns;
use super::staging::{self, TempDir};
use crate::fields::{Fields, Object};

/// The registry's file name inside the plugins folder.
pub const REGISTRY_FILE: &str = ".registry.sqlite3";

/// Installs and manages the packages of one plugins folder.
///
/// ```
/// use switchboard::packages::Installer;
///
/// let dir = std::env::temp_dir().join(format!("switchboard-doc-installer-{}", std::process::id()));
/// let installer = Installer::open(&dir)?;
/// assert!(installer.list()?.is_empty());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Installer {
    dir: PathBuf,
    registry: PackageRegistry,
    limits: Limits,
    hooks: Box<dyn HookRunner + Send>,
    listeners: Vec<Box<dyn ChangeListener>>,
    runs: Option<Arc<dyn PluginRuns>>,
}

impl std::fmt::Debug for Installer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installer")
            .field("dir", &self.dir)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// An installed package as shown to clients: its record, its `info.yml`,
/// and its configuration without secrets.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The registry's row (configuration left out).
    #[serde(flatten)]
    pub installed: InstalledPackage,
    /// `info.yml`, if its folder still reads.
    pub info: Option<Info>,
    /// The configuration without secret fields.
    pub configuration: Object,
    /// The secret fields that have a value.
    pub secrets_set: Vec<String>,
    /// The settings `config.yml` declares, if it reads: what an editor
    /// builds the package's configuration form from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Fields>,
    /// Why the folder does not read, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// What an upgrade replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Upgraded {
    /// The version before.
    pub from: String,
    /// The record after.
    pub to: InstalledPackage,
}

impl Installer {
    /// Opens the plugins folder `dir` (created if missing) and its
    /// registry, with the default limits and [`ScriptHooks`]. Temporary
    /// folders left by a killed installer are cleaned up.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Installer, PackageError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(PackageError::io(&dir))?;
        let registry = PackageRegistry::open(&dir.join(REGISTRY_FILE))?;
        staging::recover(&dir, &registry);
        Ok(Installer {
            dir,
            registry,
            limits: Limits::default(),
            hooks: Box::new(ScriptHooks::default()),
            listeners: Vec::new(),
            runs: None,
        })
    }

    /// Stops plugins before their packages are removed and checks that
    /// upgraded ones start, rolling back those that do not (the plugin
    /// runner).
    pub fn with_runs(mut self, runs: Arc<dyn PluginRuns>) -> Self {
        self.runs = Some(runs);
        self
    }

    /// Runs hooks with `hooks` instead (the plugin runner).
    pub fn with_hooks(mut self, hooks: impl HookRunner + Send + 'static) -> Self {
        self.hooks = Box::new(hooks);
        self
    }

    /// Tells `listener` about every committed change (the plugin runner).
    pub fn with_listener(mut self, listener: impl ChangeListener + 'static) -> Self {
        self.listeners.push(Box::new(listener));
        self
    }

    fn tell(&self, change: PackageChange) {
        for listener in &self.listeners {
            listener.changed(&change);
        }
    }

    /// Reads archives with these limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The plugin runner, if one was given.
    pub fn runs(&self) -> Option<&Arc<dyn PluginRuns>> {
        self.runs.as_ref()
    }

    /// The limits archives are read with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The plugins folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder a package is (or would be) installed in.
    pub fn package_dir(&self, package: &str) -> PathBuf {
        self.dir.join(package)
    }

    /// Reads a `.lamp` file's bytes with this installer's limits.
    pub fn read(&self, bytes: &[u8]) -> Result<Package, PackageError> {
        Package::read(bytes, &self.limits)
    }

    /// Installs a package with the configuration `values` (checked
    /// against its `config.yml`): unpacks it into a temporary folder, runs
    /// the install hooks there, moves it to `<dir>/<package>` and records
    /// it, enabled.
    pub fn install(
        &mut self,
        package: &Package,
        values: &Object,
    ) -> Result<InstalledPackage, PackageError> {
        let name = package.info.package.as_str();
        check_package_name(name)?;
        if self.registry.get(name)?.is_some() {
            return Err(PackageError::AlreadyInstalled(name.to_owned()));
        }
        let home = self.package_dir(name);
        if home.symlink_metadata().is_ok() {
            return Err(PackageError::Content(format!(
                "{} exists but is not in the registry; move it away first",
                home.display()
            )));
        }
        let configuration = package.config.validate(values)?;
        let staged = self.stage(package, &configuration)?;
        let row = InstalledPackage {
            package: name.to_owned(),
            name: package.info.name.clone(),
            version: package.info.version.clone(),
            checksum: package.checksum.clone(),
            configuration,
            enabled: true,
            installed_at_ms: 0,
        };
        let transaction = self.registry.transaction()?;
        registry::put(&transaction, &row)?;
        fs::rename(staged.path(), &home).map_err(PackageError::io(&home))?;
        if let Err(e) = transaction.commit() {
            let _ = fs::rename(&home, staged.path());
            return Err(e.into());
        }
        staged.keep();
        tracing::info!(package = name, version = %row.version, "installed");
        self.tell(PackageChange::Installed {
            package: name.to_owned(),
            version: row.version.clone(),
        });
        self.registry
            .get(name)?
            .ok_or_else(|| PackageError::NotInstalled(name.to_owned()))
    }

    /// Replaces an installed package by a new version. Its configuration
    /// is kept, with `overrides` applied, and checked against the new
    /// `config.yml`; enabled stays as it was. If anything fails the old
    /// version stays in place, files and record.
    pub fn upgrade(
        &mut self,
        package: &Package,
        overrides: &Object,
    ) -> Result<Upgraded, PackageError> {
        let name = package.info.package.as_str();
        let Some(old) = self.registry.get(name)? else {
            return Err(PackageError::NotInstalled(name.to_owned()));
        };
        let mut merged = old.configuration.clone();
        merged.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let configuration = package.config.validate(&merged)?;
        let staged = self.stage(package, &configuration)?;
        let home = self.package_dir(name);
        let backup = TempDir::new(&self.dir, staging::OLD, name, false)?;
        let row = InstalledPackage {
            package: name.to_owned(),
            name: package.info.name.clone(),
            version: package.info.version.clone(),
            checksum: package.checksum.clone(),
            configuration,
            enabled: old.enabled,
            installed_at_ms: 0,
        };
        let transaction = self.registry.transaction()?;
        registry::put(&transaction, &row)?;
        let had_folder = home.exists();
        if had_folder {
            fs::rename(&home, backup.path()).map_err(PackageError::io(&home))?;
        }
        let restore = |staged: &Path| {
            let _ = fs::rename(&home, staged);
            if had_folder {
                let _ = fs::rename(backup.path(), &home);
            }
        };
        if let Err(e) = fs::rename(staged.path(), &home) {
            if had_folder {
                let _ = fs::rename(backup.path(), &home);
            }
            return Err(PackageError::io(&home)(e));
        }
        let runs = self.runs.as_ref();
        if let Err(e) = start_upgraded(runs, &old, &row, &home, || restore(staged.path())) {
            drop(transaction);
            return Err(e);
        }
        if let Err(e) = transaction.commit() {
            restore(staged.path());
            restart_old(self.runs.as_ref(), &old, &home);
            return Err(e.into());
        }
        if let Some(runs) = &self.runs {
            runs.release(name);
        }
        staged.keep();
        drop(backup);
        tracing::info!(package = name, from = %old.version, to = %row.version, "upgraded");
        self.tell(PackageChange::Upgraded {
            package: name.to_owned(),
            from: old.version.clone(),
            to: row.version.clone(),
        });
        let to = self
            .registry
            .get(name)?
            .ok_or_else(|| PackageError::NotInstalled(name.to_owned()))?;
        Ok(Upgraded {
            from: old.version,
            to,
        })
    }

    /// Changes some configuration values; the whole configuration is
    /// checked again and stored only if it passes.
    pub fn configure(
        &mut self,
        package: &str,
        changes: &Object,
    ) -> Result<InstalledPackage, PackageError> {
        let Some(mut row) = self.registry.get(package)? else {
            return Err(PackageError::NotInstalled(package.to_owned()));
        };
        let config = self.installed_config(package)?;
        let mut merged = row.configuration.clone();
        merged.extend(changes.iter().map(|(k, v)| (k.clone(), v.clone())));
        row.configuration = config.validate(&merged)?;
        self.registry
            .set_configuration(package, &row.configuration)?;
        self.tell(PackageChange::Configured {
            package: package.to_owned(),
        });
        Ok(row)
    }

    /// Turns a package's plugin on or off.
    pub fn set_enabled(&mut self, package: &str, enabled: bool) -> Result<(), PackageError> {
        self.registry.set_enabled(package, enabled)?;
        self.tell(PackageChange::Enabled {
            package: package.to_owned(),
            enabled,
        });
        Ok(())
    }

    /// Removes a package: runs its after-run hook, then deletes its folder
    /// and its record. A failing after-run hook is returned as a warning
    /// and does not stop the removal (a broken plugin must stay
    /// removable).
    pub fn remove(&mut self, package: &str) -> Result<Option<PackageError>, PackageError> {
        let Some(row) = self.registry.get(package)? else {
            return Err(PackageError::NotInstalled(package.to_owned()));
        };
        let home = self.package_dir(package);
        let mut warning = None;
        // The plugin leaves before its files go; the runner holds it
        // stopped until the record is gone.
        if let Some(runs) = &self.runs {
            runs.stop(package);
        }
        let removed = self.remove_stopped(package, &row, &home, &mut warning);
        if let Some(runs) = &self.runs {
            runs.release(package);
        }
        removed?;
        Ok(warning)
    }

    fn remove_stopped(
        &mut self,
        package: &str,
        row: &InstalledPackage,
        home: &Path,
        warning: &mut Option<PackageError>,
    ) -> Result<(), PackageError> {
        if home.is_dir() {
            let context = HookContext {
                package,
                dir: home,
                configuration: &row.configuration,
            };
            if let Err(e) = self.hooks.run_hook(Hook::AfterRun, &context) {
                tracing::warn!(package, "{e}; removing anyway");
                *warning = Some(e);
            }
        }
        let trash = TempDir::new(&self.dir, staging::REMOVING, package, false)?;
        let transaction = self.registry.transaction()?;
        registry::delete(&transaction, package)?;
        let had_folder = home.symlink_metadata().is_ok();
        if had_folder {
            fs::rename(home, trash.path()).map_err(PackageError::io(home))?;
        }
        if let Err(e) = transaction.commit() {
            if had_folder {
                let _ = fs::rename(trash.path(), home);
            }
            return Err(e.into());
        }
        drop(trash);
        tracing::info!(package, "removed");
        self.tell(PackageChange::Removed {
            package: package.to_owned(),
        });
        Ok(())
    }

    /// The installed package's record.
    pub fn get(&self, package: &str) -> Result<Option<InstalledPackage>, PackageError> {
        self.registry.get(package)
    }

    /// Every installed package with its `info.yml` and public
    /// configuration.
    pub fn list(&self) -> Result<Vec<Listed>, PackageError> {
        let mut out = Vec::new();
        for installed in self.registry.list()? {
            let info = fs::read_to_string(self.package_dir(&installed.package).join("info.yml"))
                .map_err(PackageError::io(
                    self.package_dir(&installed.package).join("info.yml"),
                ))
                .and_then(|text| Info::from_yaml(&text));
            let config = self.installed_config(&installed.package);
            let (configuration, secrets_set) = match &config {
                Ok(config) => (
                    config.public_values(&installed.configuration),
                    config.secrets_set(&installed.configuration),
                ),
                // Without config.yml nothing says which fields are secret.
                Err(_) => (Object::new(), Vec::new()),
            };
            let problem = match (&info, &config) {
                (Err(e), _) | (_, Err(e)) => Some(e.to_string()),
                _ => None,
            };
            out.push(Listed {
                info: info.ok(),
                config: config.ok().map(|config| config.config),
                configuration,
                secrets_set,
                problem,
                installed,
            });
        }
        Ok(out)
    }

    /// The installed package's `config.yml`.
    pub fn installed_config(&self, package: &str) -> Result<PackageConfig, PackageError> {
        let path = self.package_dir(package).join("config.yml");
        let text = fs::read_to_string(&path).map_err(PackageError::io(&path))?;
        PackageConfig::from_yaml(&text)
    }

    /// Unpacks into a new temporary folder and runs the install hooks
    /// there; the folder is deleted if anything fails.
    fn stage(&self, package: &Package, configuration: &Object) -> Result<TempDir, PackageError> {
        let name = package.info.package.as_str();
        let staged = TempDir::new(&self.dir, staging::STAGING, name, true)?;
        package.write_to(staged.path())?;
        let context = HookContext {
            package: name,
            dir: staged.path(),
            configuration,
        };
        for hook in Hook::INSTALL {
            self.hooks.run_hook(hook, &context)?;
        }
        Ok(staged)
    }
}

/// With a runner and an enabled package: starts the new version from
/// its folder; if it does not run, `restore` puts the old files back
/// and the old version is started again.
fn start_upgraded(
    runs: Option<&Arc<dyn PluginRuns>>,
    old: &InstalledPackage,
    new: &InstalledPackage,
    home: &Path,
    restore: impl FnOnce(),
) -> Result<(), PackageError> {
    let Some(runs) = runs.filter(|_| new.enabled) else {
        return Ok(());
    };
    let Err(reason) = runs.run(new, home) else {
        return Ok(());
    };
    tracing::warn!(package = %new.package, to = %new.version, "new version did not start ({reason}); rolling back to {}", old.version);
    restore();
    restart_old(Some(runs), old, home);
    Err(PackageError::Start {
        package: new.package.clone(),
        reason,
    })
}

fn restart_old(runs: Option<&Arc<dyn PluginRuns>>, old: &InstalledPackage, home: &Path) {
    if let Some(runs) = runs {
        if old.enabled {
            if let Err(reason) = runs.run(old, home) {
                tracing::error!(package = %old.package, "the old version did not start again either: {reason}");
            }
        }
        runs.release(&old.package);
    }
}
