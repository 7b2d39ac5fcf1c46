//! Reading the records of running hosts (feature `discovery`).

use std::fs;
use std::path::Path;

use super::{DiscoveryError, Record, folder, liveness};

/// Records bigger than this are not records.
const MAX_RECORD: u64 = 64 << 10;

/// Every running host of this user, oldest first. Records of processes
/// that are gone are deleted on the way. A missing folder means no hosts.
pub fn list() -> Result<Vec<Record>, DiscoveryError> {
    list_in(&folder::runtime_dir()?)
}

/// [`list`] for a given folder.
pub fn list_in(dir: &Path) -> Result<Vec<Record>, DiscoveryError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => folder::check_owned(dir)?,
    }
    let entries = fs::read_dir(dir).map_err(|e| DiscoveryError::io(dir, e))?;
    let mut records = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| DiscoveryError::io(dir, e))?;
        let path = entry.path();
        let is_record = path.extension().is_some_and(|e| e == "json")
            && !entry.file_name().to_string_lossy().starts_with('.');
        if !is_record {
            continue;
        }
        let Some(record) = read_record(&path) else {
            continue;
        };
        if liveness::is_alive(record.pid, record.process_start) {
            records.push(record);
        } else {
            tracing::debug!("removing the record of pid {}, which is gone", record.pid);
            let _ = fs::remove_file(&path);
        }
    }
    records.sort_by(|a, b| {
        (a.started_unix_ms, a.pid, &a.session_id).cmp(&(b.started_unix_ms, b.pid, &b.session_id))
    });
    Ok(records)
}

/// A record, or `None` for a file that is not one (too big, not JSON, a
/// newer format): skipped, not deleted, since its writer may be alive.
fn read_record(path: &Path) -> Option<Record> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_RECORD {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(record) => Some(record),
        Err(e) => {
            tracing::debug!("{} is not a record: {e}", path.display());
            None
        }
    }
}

/// The running hosts `target` names: a pid when it is a number, else a
/// host name (exact match).
pub fn find(target: &str) -> Result<Vec<Record>, DiscoveryError> {
    find_in(&folder::runtime_dir()?, target)
}

/// [`find`] in a given folder.
pub fn find_in(dir: &Path, target: &str) -> Result<Vec<Record>, DiscoveryError> {
    let records = list_in(dir)?;
    Ok(match target.parse::<u32>() {
        Ok(pid) => records.into_iter().filter(|r| r.pid == pid).collect(),
        Err(_) => records.into_iter().filter(|r| r.name == target).collect(),
    })
}
