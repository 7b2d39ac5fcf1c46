//! What can go wrong with plugins, as the game sees it.

use std::path::PathBuf;

/// Why a plugin could not be configured or started. Problems with a running
/// plugin are never errors here: they show in its status
/// ([`PluginState::Failed`](super::PluginState::Failed) with the reason).
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// A manifest could not be read.
    #[error("cannot read the manifest {path}: {source}")]
    ReadManifest {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A manifest is not valid; the message names the field.
    #[error("invalid plugin manifest {what}: {reason}")]
    InvalidManifest {
        /// The file or the plugin id.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Two manifests name the same id.
    #[error("two plugins have the id {0:?}; ids must be unique")]
    DuplicateId(String),
    /// The executable's SHA-256 is not the one its manifest names.
    #[error(
        "plugin {id}: the executable {path} has SHA-256 {actual}, its manifest expects {expected}"
    )]
    ChecksumMismatch {
        /// The plugin.
        id: String,
        /// The executable.
        path: PathBuf,
        /// From the manifest.
        expected: String,
        /// Computed now.
        actual: String,
    },
    /// Pipes, directories or the process could not be made.
    #[error("plugin {id}: cannot start: {reason}")]
    Spawn {
        /// The plugin.
        id: String,
        /// What failed.
        reason: String,
    },
    /// The supervisor has too many orders waiting, or has ended.
    #[error("the plugin supervisor cannot take the order: {0}")]
    Supervisor(&'static str),
    /// The host is gone or its command queue is full.
    #[error("the host refused: {0}")]
    Host(#[from] crate::HostError),
}
