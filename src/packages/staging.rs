//! Temporary folders inside the plugins folder (so that moving one into
//! place is an atomic rename on the same file system), removed when
//! dropped unless kept, and the clean-up of those a killed installer left.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::PackageError;
use super::info::Info;
use super::registry::PackageRegistry;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The kinds of temporary folder, as name prefixes. Package names never
/// start with a dot, so these never clash with an installed package.
pub(crate) const STAGING: &str = ".staging-";
pub(crate) const OLD: &str = ".old-";
pub(crate) const REMOVING: &str = ".removing-";

/// A temporary folder, deleted on drop unless [`TempDir::keep`] was called.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
    armed: bool,
}

impl TempDir {
    /// A fresh path `<dir>/<kind><pid>-<n>-<package>`; created if `create`.
    pub(crate) fn new(
        dir: &Path,
        kind: &str,
        package: &str,
        create: bool,
    ) -> Result<Self, PackageError> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{kind}{}-{n}-{package}", std::process::id()));
        if create {
            fs::create_dir(&path).map_err(PackageError::io(&path))?;
        }
        Ok(TempDir { path, armed: true })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the folder (it was moved into place).
    pub(crate) fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.armed && self.path.exists() {
            if let Err(e) = fs::remove_dir_all(&self.path) {
                tracing::warn!(path = %self.path.display(), "cannot remove a temporary folder: {e}");
            }
        }
    }
}

/// Cleans up after installers that were killed: temporary folders of
/// processes that no longer run are deleted, except that a package's old
/// version is moved back into place when the upgrade never committed
/// (its folder is missing, or holds a version the registry does not
/// record while the old one does).
pub(crate) fn recover(dir: &Path, registry: &PackageRegistry) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((kind, rest)) = [STAGING, OLD, REMOVING]
            .iter()
            .find_map(|kind| name.strip_prefix(kind).map(|rest| (*kind, rest)))
        else {
            continue;
        };
        let mut parts = rest.splitn(3, '-');
        let (Some(pid), Some(_), Some(package)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(pid) = pid.parse::<libc::pid_t>() else {
            continue;
        };
        if pid_alive(pid) {
            continue;
        }
        let path = entry.path();
        let home = dir.join(package);
        if kind == OLD
            && super::info::check_package_name(package).is_ok()
            && old_is_current(registry, package, &home, &path)
        {
            if home.exists()
                && let Err(e) = fs::remove_dir_all(&home)
            {
                tracing::warn!(package, "cannot remove an uncommitted upgrade: {e}");
                continue;
            }
            match fs::rename(&path, &home) {
                Ok(()) => tracing::warn!(
                    package,
                    "restored the old version an interrupted upgrade left"
                ),
                Err(e) => tracing::warn!(package, "cannot restore {}: {e}", path.display()),
            }
            continue;
        }
        if let Err(e) = fs::remove_dir_all(&path) {
            tracing::warn!(path = %path.display(), "cannot remove a left-over folder: {e}");
        }
    }
}

/// Whether the folder an upgrade moved aside is the version the registry
/// records, rather than the one in the package's folder.
fn old_is_current(registry: &PackageRegistry, package: &str, home: &Path, old: &Path) -> bool {
    if !home.exists() {
        return true;
    }
    let version = |dir: &Path| {
        fs::read_to_string(dir.join("info.yml"))
            .ok()
            .and_then(|text| Info::from_yaml(&text).ok())
            .map(|info| info.version)
    };
    let Ok(Some(row)) = registry.get(package) else {
        return false;
    };
    version(home).as_deref() != Some(row.version.as_str())
        && version(old).as_deref() == Some(row.version.as_str())
}

fn pid_alive(pid: libc::pid_t) -> bool {
    if pid == std::process::id() as libc::pid_t {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
