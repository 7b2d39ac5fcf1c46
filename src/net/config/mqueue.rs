//! Settings of the POSIX message-queue transport (feature `mqueue`).

use std::time::Duration;

/// Where a host looks for a client's queue pair, and how often.
///
/// A client creates `/{prefix}In.{pid}` (it writes, the game reads) and
/// `/{prefix}Out.{pid}` (the game writes), `pid` being the game's process
/// id; the host finds them within one `look_interval`.
///
/// ```
/// use std::time::Duration;
/// use switchboard::{HostConfig, MqueueConfig};
/// let config = HostConfig::default()
///     .message_queues(MqueueConfig::default().look_interval(Duration::from_millis(100)));
/// let queues = config.mqueue.as_ref().unwrap();
/// assert_eq!(queues.names(42).0, "/SwitchboardIn.42");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqueueConfig {
    /// The names' prefix. Default `Switchboard`.
    pub prefix: String,
    /// How often the host looks for a new pair, and checks that the
    /// client of the current one is still there. Default 200 ms.
    pub look_interval: Duration,
}

impl Default for MqueueConfig {
    fn default() -> Self {
        Self {
            prefix: "Switchboard".to_owned(),
            look_interval: Duration::from_millis(200),
        }
    }
}

impl MqueueConfig {
    /// Set [`prefix`](Self::prefix).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Set [`look_interval`](Self::look_interval).
    pub fn look_interval(mut self, interval: Duration) -> Self {
        self.look_interval = interval;
        self
    }

    /// The pair's names for the game with process id `pid`: the one the
    /// game reads, then the one it writes.
    pub fn names(&self, pid: u32) -> (String, String) {
        (
            format!("/{}In.{pid}", self.prefix),
            format!("/{}Out.{pid}", self.prefix),
        )
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = !self.prefix.is_empty()
            && self.prefix.len() <= 200
            && self
                .prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if !ok {
            return Err(format!(
                "mqueue.prefix {:?} must be 1 to 200 letters, digits, '_', '-' or '.'",
                self.prefix
            ));
        }
        if self.look_interval < Duration::from_millis(10) {
            return Err("mqueue.look_interval must be at least 10 ms".to_owned());
        }
        Ok(())
    }
}
