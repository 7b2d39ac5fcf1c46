//! Helpers for the plugin tests (tests/plugins.rs, tests/plugin_supervision.rs):
//! manifests for the misbehaving test plugin, a quick supervisor config, the
//! game loop, status and process checks, a remote client's call.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard::client::{Client, ClientError};
use switchboard::plugins::{
    PluginManager, PluginManifest, PluginState, PluginStatus, PluginsConfig,
};
use switchboard::{Host, HostEvent};

pub const WAIT: Duration = Duration::from_secs(30);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for profiles.
pub fn profile_root(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("switchboard-plugins-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The misbehaving test plugin in `mode`.
pub fn behave(id: &str, mode: &str) -> PluginManifest {
    let mut manifest = PluginManifest::new(id, "python3");
    // -B: no bytecode caches written into the repository.
    manifest.args = vec![
        "-B".to_owned(),
        repo().join("tests/plugins/behave.py").display().to_string(),
        mode.to_owned(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    manifest
}

/// A quick supervisor for tests.
pub fn config(name: &str) -> PluginsConfig {
    PluginsConfig::new(profile_root(name))
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_secs(10))
        .backoff(Duration::from_millis(50), Duration::from_millis(400))
        .registration_timeout(Duration::from_secs(15))
        .shutdown_grace(Duration::from_millis(1500))
}

/// The game loop: events through the manager, the rest to `game`, until
/// `done` says so or the time is up.
pub fn run_until(
    host: &Host,
    plugins: &mut PluginManager,
    mut game: impl FnMut(&Host, HostEvent),
    mut done: impl FnMut(&PluginManager) -> bool,
) {
    let deadline = Instant::now() + WAIT;
    loop {
        for event in host.drain_events() {
            if let Some(event) = plugins.handle(host, event) {
                game(host, event);
            }
        }
        plugins.update(host);
        if done(plugins) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; statuses: {:?}",
            plugins.statuses()
        );
        host.wait_for_event(Duration::from_millis(5));
    }
}

pub fn status<'a>(statuses: &'a [PluginStatus], id: &str) -> &'a PluginStatus {
    statuses
        .iter()
        .find(|s| s.id == id)
        .expect("a status per plugin")
}

pub fn running(plugins: &PluginManager, id: &str) -> bool {
    status(&plugins.statuses(), id).state == PluginState::Running
}

/// Whether a process with this pid exists at all (a zombie does).
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// A remote client's call on a plugin channel, once the channel is there.
pub fn call(client: &mut Client, name: &str, content: &[u8]) -> Result<Vec<u8>, ClientError> {
    let deadline = Instant::now() + WAIT;
    let channel = loop {
        if let Some(id) = client.channel_id(name) {
            break id;
        }
        assert!(Instant::now() < deadline, "channel {name} never appeared");
        match client.recv(Duration::from_millis(50)) {
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => return Err(e),
        }
    };
    client.call(channel, content, WAIT)
}

/// [`call`], waiting out a restart: until the client reads the old
/// session's unadvertise it may still name the old channel id, which the
/// host refuses as unknown; then it reads on and asks again.
pub fn call_through_restarts(
    client: &mut Client,
    name: &str,
    content: &[u8],
) -> Result<Vec<u8>, ClientError> {
    let deadline = Instant::now() + WAIT;
    loop {
        match call(client, name, content) {
            Err(ClientError::Refused { code, .. })
                if code == switchboard::ErrorCode::UnknownChannel && Instant::now() < deadline =>
            {
                let _ = client.recv(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
