//! Where each plugin is in its life, as `plugins/status` publishes it.

use std::time::{Duration, Instant};

use serde::Serialize;

/// A plugin's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PluginState {
    /// Started, not registered yet.
    Starting,
    /// Registered and answering pings.
    Running,
    /// Crashed, hung or broke the protocol; it starts again after a backoff.
    Restarting {
        /// Restarts so far.
        count: u32,
        /// Why the last run ended.
        reason: String,
    },
    /// Given up on: a crash loop, a refused registration, a checksum
    /// mismatch, an executable that cannot start.
    Failed {
        /// Why.
        reason: String,
    },
    /// Asked to leave by the game (disabled, removed, or replaced by
    /// another version); killed after the grace period.
    Stopping,
    /// Shut down by the game.
    Stopped,
}

/// One plugin's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginStatus {
    /// Its manifest id.
    pub id: String,
    /// Its state.
    #[serde(flatten)]
    pub state: PluginState,
    /// Its process id while it has a process.
    pub pid: Option<u32>,
    /// Times it was restarted.
    pub restarts: u32,
    /// Since it registered, while it runs.
    #[serde(skip)]
    pub running_since: Option<Instant>,
}

impl PluginStatus {
    pub(crate) fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            state: PluginState::Starting,
            pid: None,
            restarts: 0,
            running_since: None,
        }
    }

    /// Time since it registered, while it runs.
    pub fn uptime(&self) -> Option<Duration> {
        self.running_since.map(|since| since.elapsed())
    }
}

#[derive(Serialize)]
struct Published<'a> {
    #[serde(flatten)]
    status: &'a PluginStatus,
    uptime_ms: Option<u64>,
}

impl<'a> Published<'a> {
    fn of(status: &'a PluginStatus) -> Self {
        Published {
            status,
            uptime_ms: status
                .uptime()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl PluginStatus {
    /// This status as one entry of `plugins/status` shows it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(Published::of(self)).unwrap_or_default()
    }
}

/// The JSON for `plugins/status`: an array with one object per plugin.
pub(crate) fn status_json(statuses: &[PluginStatus]) -> Vec<u8> {
    let published: Vec<Published<'_>> = statuses.iter().map(Published::of).collect();
    serde_json::to_vec(&published).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_json_names_state_reason_and_counts() {
        let mut s = PluginStatus::new("w");
        s.state = PluginState::Restarting {
            count: 2,
            reason: "exited with status 3".into(),
        };
        s.restarts = 2;
        s.pid = Some(7);
        let json: serde_json::Value = serde_json::from_slice(&status_json(&[s])).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"id":"w","state":"restarting","count":2,
                "reason":"exited with status 3","pid":7,"restarts":2,"uptime_ms":null}])
        );
    }
}
