//! Plugin packages: `.lamp` files (zip archives) that hold a plugin's
//! executable, its `info.yml` (who made it, version, reverse-DNS package
//! name, manifest fields) and its `config.yml` (typed settings and the
//! device types it controls). The format is described in
//! `docs/packages.md`.
//!
//! - [`Package::read`] checks a `.lamp` file: a safe archive
//!   ([`read_archive`], [`Limits`]), a valid [`Info`] and
//!   [`PackageConfig`], a runnable executable.
//! - [`pack_dir`] builds a deterministic `.lamp` file from a folder.
//! - [`Installer`] installs, upgrades, configures, enables, disables and
//!   removes packages in a plugins folder with a SQLite
//!   [`PackageRegistry`], running the lifecycle hooks through a
//!   [`HookRunner`] (`PluginHooks`, with feature `plugins`: through the
//!   package's plugin over the plugin protocol; [`ScriptHooks`]: scripts
//!   in the package, still the default), and telling a [`ChangeListener`] what it committed.
//! - `PackageRunner` (with feature `plugins`) runs the enabled packages
//!   of a plugins folder as plugins and keeps them in step with the
//!   registry; through [`PluginRuns`] an installer stops plugins before
//!   removing them and rolls back upgrades that do not start.
//!
//! ```
//! use switchboard::packages::{Installer, PackageError, pack_dir};
//!
//! let base = std::env::temp_dir().join(format!("switchboard-doc-packages-{}", std::process::id()));
//! let source = base.join("source");
//! std::fs::create_dir_all(&source)?;
//! std::fs::write(source.join("info.yml"), "version: 1.0.0\nname: Weather\n\
//!     package: com.example.weather\nabstract: Reports the weather\n\
//!     description: A simulated weather station.\nrepository: https://example.com/weather\n\
//!     website: https://example.com\nemail: dev@example.com\nlicense: MIT\n\
//!     authors: [Dev <dev@example.com>]\n")?;
//! std::fs::write(source.join("config.yml"), "config:\n  \
//!     interval: {type: integer, minimum: 1, maximum: 3600, default: 60}\n  \
//!     api_key: {type: string, required: true, secret: true}\n")?;
//! std::fs::write(source.join("plugin"), "#!/bin/sh\nexit 0\n")?;
//!
//! let mut installer = Installer::open(base.join("plugins"))?;
//! let bytes = pack_dir(&source, installer.limits())?;
//! let package = installer.read(&bytes)?;
//!
//! // A missing required setting refuses the install; nothing is left.
//! let refused = installer.install(&package, &Default::default());
//! assert!(matches!(refused, Err(PackageError::Configuration(_))));
//!
//! let values = package.config.parse_assignments(&["api_key=s3cret"])?;
//! let installed = installer.install(&package, &values)?;
//! assert_eq!(installed.configuration["interval"], 60);
//! let listed = &installer.list()?[0];
//! assert!(listed.configuration.get("api_key").is_none()); // secrets stay in
//! assert_eq!(listed.secrets_set, ["api_key"]);
//! installer.remove("com.example.weather")?;
//! assert!(installer.list()?.is_empty());
//! # std::fs::remove_dir_all(&base)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod changes;
mod config;
mod error;
mod hooks;
mod info;
mod installer;
pub(crate) mod pack;
mod package;
#[cfg(all(unix, feature = "plugins"))]
mod plugin_hooks;
mod registry;
#[cfg(all(unix, feature = "plugins"))]
mod runner;
mod runs;
mod staging;
#[cfg(test)]
mod tests;

pub use archive::{Entries, Limits, read_archive};
pub use changes::{ChangeListener, PackageChange};
pub use config::{CommandSpec, DeviceTypeSpec, PackageConfig};
pub use error::PackageError;
pub use hooks::{Hook, HookContext, HookRunner, ScriptHooks};
pub use info::{DEFAULT_EXECUTABLE, Info, check_package_name};
pub use installer::{Installer, Listed, REGISTRY_FILE, Upgraded};
pub use pack::pack_dir;
pub use package::{HOOKS_DIR, Package, sha256_hex};
#[cfg(all(unix, feature = "plugins"))]
pub use plugin_hooks::{PLUGIN_HOOK_ENV, PluginHooks};
pub use registry::{InstalledPackage, PackageRegistry};
#[cfg(all(unix, feature = "plugins"))]
pub use runner::{PackageRunner, RunningPackages};
pub use runs::PluginRuns;
