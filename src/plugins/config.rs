//! How the game runs its plugins: which ones, where their profiles live,
//! and the supervision rules.

use std::path::PathBuf;
use std::time::Duration;

use super::PluginManifest;

/// The plugins to run and how to supervise them.
///
/// ```
/// use std::time::Duration;
/// use switchboard::plugins::{PluginManifest, PluginsConfig};
/// let config = PluginsConfig::new("/home/me/.game/plugins")
///     .plugin(PluginManifest::new("weather", "/opt/game/plugins/weather/run"))
///     .allow_game_channels(["scene/*"])
///     .ping_timeout(Duration::from_secs(2));
/// assert_eq!(config.plugins.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct PluginsConfig {
    /// The plugins, each started once [`PluginManager::start`](super::PluginManager::start) runs.
    pub plugins: Vec<PluginManifest>,
    /// Where each plugin's profile directories are made (`<root>/<id>/...`).
    pub profile_root: PathBuf,
    /// Game channels (names or patterns) any plugin may call when its
    /// manifest asks; nothing by default.
    pub allowed_game_channels: Vec<String>,
    /// How long a started plugin has to register. Default 10 s.
    pub registration_timeout: Duration,
    /// Time between health pings. Default 1 s.
    pub ping_interval: Duration,
    /// How long a ping may go unanswered before the plugin counts as hung.
    /// Default 5 s.
    pub ping_timeout: Duration,
    /// The first wait before a restart; doubled after each failure. Default
    /// 100 ms.
    pub backoff_initial: Duration,
    /// The longest wait before a restart. Default 10 s.
    pub backoff_max: Duration,
    /// This many failures within [`crash_loop_window`](Self::crash_loop_window)
    /// make a crash loop: the plugin is failed, not restarted. Default 5.
    pub crash_loop_failures: u32,
    /// See [`crash_loop_failures`](Self::crash_loop_failures). Default 60 s.
    pub crash_loop_window: Duration,
    /// At shutdown, how long plugins have to leave after being asked, before
    /// they are killed. Default 2 s.
    pub shutdown_grace: Duration,
}

impl PluginsConfig {
    /// No plugins yet; profiles under `profile_root`.
    pub fn new(profile_root: impl Into<PathBuf>) -> Self {
        Self {
            plugins: Vec::new(),
            profile_root: profile_root.into(),
            allowed_game_channels: Vec::new(),
            registration_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(1),
            ping_timeout: Duration::from_secs(5),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            crash_loop_failures: 5,
            crash_loop_window: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(2),
        }
    }

    /// Adds a plugin.
    pub fn plugin(mut self, manifest: PluginManifest) -> Self {
        self.plugins.push(manifest);
        self
    }

    /// Lets plugins call these game channels (names or patterns) when their
    /// manifests ask.
    pub fn allow_game_channels<S: Into<String>>(
        mut self,
        channels: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allowed_game_channels
            .extend(channels.into_iter().map(Into::into));
        self
    }

    /// Sets [`registration_timeout`](Self::registration_timeout).
    pub fn registration_timeout(mut self, timeout: Duration) -> Self {
        self.registration_timeout = timeout;
        self
    }

    /// Sets [`ping_interval`](Self::ping_interval).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`ping_timeout`](Self::ping_timeout).
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Sets the backoff: the first wait and the cap.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = max;
        self
    }

    /// Sets what counts as a crash loop.
    pub fn crash_loop(mut self, failures: u32, window: Duration) -> Self {
        self.crash_loop_failures = failures;
        self.crash_loop_window = window;
        self
    }

    /// Sets [`shutdown_grace`](Self::shutdown_grace).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}
