//! The seam through which the installer tells the plugin runner what it is
//! about to do to a running plugin, where it must happen before the
//! installer goes on: stop it before its folder goes (removal), and start
//! a new version before the upgrade is committed, so a version that does
//! not start can be rolled back. Without a [`PluginRuns`] the installer
//! only changes files and records; a runner started later picks them up.

use std::path::Path;

use super::registry::InstalledPackage;

/// What the installer asks of the plugin runner. Called on the
/// installer's thread, which may wait (never the game's thread).
pub trait PluginRuns: Send + Sync {
    /// Starts `row`'s plugin from `dir` (replacing its running one) and
    /// waits until it runs; why not, if it does not within the runner's
    /// registration timeout. Until [`release`](Self::release) the runner
    /// leaves this package alone (the registry may not say yet what runs).
    fn run(&self, row: &InstalledPackage, dir: &Path) -> Result<(), String>;

    /// Stops the package's plugin, if it runs, and waits until it is gone.
    /// Until [`release`](Self::release) the runner does not start it again.
    fn stop(&self, package: &str);

    /// The installer is done with the package: the registry says again
    /// what should run.
    fn release(&self, package: &str);

    /// The package's plugin status as `plugins/status` shows it, with its
    /// plugin id, for `plugins/list`; `None` when nothing runs it.
    fn status_json(&self, package: &str) -> Option<serde_json::Value> {
        let _ = package;
        None
    }
}
