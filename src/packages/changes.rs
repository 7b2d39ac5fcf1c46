//! The seam through which the plugin runner learns what changed: after
//! each committed install, upgrade, configuration, enable, disable or
//! removal the installer tells its [`ChangeListener`]s, so a running
//! plugin can be started, reconfigured (the configuration change event of
//! the plugin protocol), restarted or stopped. Refused operations tell
//! nothing.

/// What changed in the plugins folder, after it was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageChange {
    /// A package was installed (enabled).
    Installed {
        /// The package name.
        package: String,
        /// Its version.
        version: String,
    },
    /// A package was replaced by another version.
    Upgraded {
        /// The package name.
        package: String,
        /// The version before.
        from: String,
        /// The version now.
        to: String,
    },
    /// A package's configuration changed; the registry holds the new one
    /// ([`Installer::get`](super::Installer::get)).
    Configured {
        /// The package name.
        package: String,
    },
    /// A package's plugin was enabled or disabled.
    Enabled {
        /// The package name.
        package: String,
        /// Whether it may run now.
        enabled: bool,
    },
    /// A package was removed.
    Removed {
        /// The package name.
        package: String,
    },
}

/// Told about every committed change. Called on the installer's thread,
/// so it must not block: hand the change on (a bounded queue) and return.
pub trait ChangeListener: Send {
    /// One committed change.
    fn changed(&self, change: &PackageChange);
}

/// A queue as a listener: changes that do not fit are dropped with a
/// warning (the registry still has the truth; a full queue means its
/// reader is not reading).
impl ChangeListener for crossbeam_channel::Sender<PackageChange> {
    fn changed(&self, change: &PackageChange) {
        if let Err(e) = self.try_send(change.clone()) {
            tracing::warn!("package change not delivered: {e}");
        }
    }
}
