//! The per-user runtime folder records live in.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::DiscoveryError;

/// Overrides where records live (tests, sandboxes).
pub(crate) const DIR_VARIABLE: &str = "SWITCHBOARD_DISCOVERY_DIR";

/// This process's user id, from the owner of its own `/proc` entry (no
/// libc call needed).
pub(crate) fn current_uid() -> Result<u32, DiscoveryError> {
    fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| DiscoveryError::io("/proc/self", e))
}

/// Where records are: `$SWITCHBOARD_DISCOVERY_DIR`, else
/// `$XDG_RUNTIME_DIR/switchboard`, else `<temp dir>/switchboard-<uid>`.
/// Nothing is created or checked here.
pub fn runtime_dir() -> Result<PathBuf, DiscoveryError> {
    if let Some(dir) = absolute_var(DIR_VARIABLE) {
        return Ok(dir);
    }
    if let Some(runtime) = absolute_var("XDG_RUNTIME_DIR") {
        return Ok(runtime.join("switchboard"));
    }
    let uid = current_uid()?;
    Ok(std::env::temp_dir().join(format!("switchboard-{uid}")))
}

fn absolute_var(name: &str) -> Option<PathBuf> {
    let value = PathBuf::from(std::env::var_os(name)?);
    value.is_absolute().then_some(value)
}

/// Makes the folder if it is missing (0700), and checks that it is a real
/// folder (not a link) of this user's; a folder of ours that others may
/// read is narrowed back to 0700.
pub(crate) fn prepare(dir: &Path) -> Result<(), DiscoveryError> {
    match fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) => return Err(DiscoveryError::io(dir, e)),
    }
    check_owned(dir)?;
    let meta = fs::symlink_metadata(dir).map_err(|e| DiscoveryError::io(dir, e))?;
    if meta.mode() & 0o777 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| DiscoveryError::io(dir, e))?;
    }
    Ok(())
}

/// Refuses a folder that is a link, not a folder, or someone else's.
pub(crate) fn check_owned(dir: &Path) -> Result<(), DiscoveryError> {
    let uid = current_uid()?;
    let meta = fs::symlink_metadata(dir).map_err(|e| DiscoveryError::io(dir, e))?;
    if !meta.is_dir() || meta.uid() != uid {
        return Err(DiscoveryError::NotOwned {
            path: dir.to_owned(),
            owner: meta.uid(),
            uid,
        });
    }
    Ok(())
}
