//! Outbound connections: which URLs the host dials, and how it waits
//! between attempts.

use std::time::Duration;

use super::HostConfig;

/// How long the host waits before dialling again after a failed attempt
/// or a lost connection: `initial`, doubling with each failure in a row up
/// to `max`, each delay shortened by a random part of up to a quarter
/// (jitter, so many games restarted together do not dial in lockstep).
/// A connection that completed its handshake and stayed up for `healthy`
/// resets the count.
///
/// ```
/// use std::time::Duration;
/// use switchboard::DialBackoff;
/// let backoff = DialBackoff::default();
/// assert_eq!(backoff.initial, Duration::from_millis(100));
/// assert_eq!(backoff.max, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialBackoff {
    /// The delay after the first failure. Default 100 ms.
    pub initial: Duration,
    /// The longest delay. Default 30 s.
    pub max: Duration,
    /// How long a connection must stay up past its handshake to count as
    /// healthy. Default 1 s.
    pub healthy: Duration,
}

impl Default for DialBackoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            healthy: Duration::from_secs(1),
        }
    }
}

impl HostConfig {
    /// Also dial `url` (`ws://host:port/path`, or `wss://` with the `tls`
    /// feature) and keep reconnecting to it. The dialled peer speaks as a
    /// client: it sends `Hello` (with the token, when the host requires
    /// one) and the host answers `Welcome`; only who opens the TCP
    /// connection changes. Plain `ws://` beyond loopback needs
    /// [`allow_insecure_remote`](Self::allow_insecure_remote).
    ///
    /// ```
    /// use switchboard::HostConfig;
    /// let config = HostConfig::default().dial("ws://127.0.0.1:7000/game");
    /// assert_eq!(config.dial, ["ws://127.0.0.1:7000/game"]);
    /// ```
    pub fn dial(mut self, url: impl Into<String>) -> Self {
        self.dial.push(url.into());
        self
    }

    /// Set the reconnect delays of outbound connections.
    pub fn dial_backoff(mut self, backoff: DialBackoff) -> Self {
        self.dial_backoff = backoff;
        self
    }

    /// Trust these roots for `wss://` URLs dialled (default: the
    /// system's roots).
    #[cfg(feature = "tls")]
    pub fn dial_tls(mut self, tls: super::DialTlsConfig) -> Self {
        self.dial_tls = Some(tls);
        self
    }
}
