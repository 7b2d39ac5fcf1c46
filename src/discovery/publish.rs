//! A host's own record: written atomically at start, removed at shutdown.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{DiscoveryError, Record, folder, liveness};

/// A published record; dropping it removes the file.
#[derive(Debug)]
pub(crate) struct Published {
    path: PathBuf,
}

impl Published {
    /// Writes `record` (its `process_start` filled in) into `dir` (default:
    /// the runtime folder) as `<pid>-<session id>.json`: one process may
    /// run several hosts.
    pub(crate) fn write(mut record: Record, dir: Option<&Path>) -> Result<Self, DiscoveryError> {
        let dir = match dir {
            Some(dir) => dir.to_owned(),
            None => folder::runtime_dir()?,
        };
        folder::prepare(&dir)?;
        record.process_start = liveness::own_start();
        let name = format!("{}-{}.json", record.pid, safe(&record.session_id));
        let path = dir.join(&name);
        let temporary = dir.join(format!(".{name}.tmp"));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temporary)?;
            // No fsync: a record outlives no reboot that could lose it.
            file.write_all(record.to_json().as_bytes())?;
            fs::rename(&temporary, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            return Err(DiscoveryError::io(&path, e));
        }
        Ok(Self { path })
    }

    /// Where the record is.
    #[allow(dead_code)] // for logs and tests
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_file(&self.path) {
            tracing::debug!("cannot remove {}: {e}", self.path.display());
        }
    }
}

/// Keeps a file name to letters, digits, `-` and `_`.
fn safe(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(64)
        .collect()
}
