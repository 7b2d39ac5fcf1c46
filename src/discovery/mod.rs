//! Finding the games running on this machine.
//!
//! Every [`Host`](crate::Host) writes a [`Record`] (its pid, name, version,
//! session id, WebSocket URL, queue names, start time) as a JSON file into
//! a per-user runtime folder, and removes it when it shuts down:
//! `$SWITCHBOARD_DISCOVERY_DIR` when set, else `$XDG_RUNTIME_DIR/switchboard/`,
//! else `<temp dir>/switchboard-<uid>/`. The folder is the user's own
//! (mode 0700, and one owned by anyone else is refused), each file is 0600
//! and written atomically (a temporary file, then a rename), so a reader
//! never sees half a record. A game that stops without shutting down (a
//! crash, SIGKILL) leaves its record behind; readers ignore records of
//! processes that are gone (or whose pid was reused) and delete them.
//!
//! A host opts out with [`HostConfig::discovery`](crate::HostConfig::discovery).
//! Writing needs nothing; reading ([`list`], [`find`]) needs the
//! `discovery` feature (serde_json).
//!
//! ```
//! # #[cfg(feature = "discovery")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use switchboard::{Host, HostConfig, discovery};
//! let host = Host::start(HostConfig::default().port(0).host_name("doc game"))?;
//! let found = discovery::find(&std::process::id().to_string())?;
//! assert!(found.iter().any(|r| r.session_id == host.session_id()));
//! host.shutdown();
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "discovery"))]
//! # fn main() {}
//! ```

mod folder;
mod liveness;
mod publish;
#[cfg(feature = "discovery")]
mod read;
mod record;

use std::path::PathBuf;

pub use folder::runtime_dir;
pub(crate) use publish::Published;
#[cfg(feature = "discovery")]
pub use read::{find, find_in, list, list_in};
pub use record::{QueueNames, Record};

/// Why the runtime folder or a record could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A file or folder could not be read, made or written.
    #[error("{path}: {source}")]
    Io {
        /// Which one.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The folder belongs to another user (or is not a folder): records
    /// there could be planted, so none are read or written.
    #[error(
        "{path} is not a folder of this user's (owner uid {owner}, this user {uid}); refusing it"
    )]
    NotOwned {
        /// The folder.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        uid: u32,
    },
}

impl DiscoveryError {
    fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DiscoveryError::Io {
            path: path.into(),
            source,
        }
    }
}
