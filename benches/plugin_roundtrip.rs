//! Plugins measured beside the in-game agent, in one run (BENCHMARKS.md,
//! "Plugins"): a request round trip from a WebSocket client to an in-game
//! agent, to a Rust plugin and to a Python plugin; the time from start to
//! registered; the host's memory per running plugin.
//!
//! ```sh
//! cargo run --release --example plugin_roundtrip --no-default-features --features plugins
//! ```
//!
//! Started with `SWITCHBOARD_PLUGIN_ID` set (by the host), the same binary
//! is the Rust echo plugin.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use switchboard::client::Client;
use switchboard::plugin_sdk::{Plugin, PluginChannel};
use switchboard::plugins::{
    PLUGIN_ID_ENV, PluginManager, PluginManifest, PluginState, PluginsConfig,
};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent};

const ROUND_TRIPS: usize = 2000;
const WARMUP: usize = 200;
const MEMORY_PLUGINS: usize = 16;

fn main() {
    if std::env::var_os(PLUGIN_ID_ENV).is_some() {
        let mut plugin = Plugin::register().expect("register");
        plugin
            .on_request(PluginChannel::new("echo").encoding("raw"), |c| {
                Ok(c.to_vec())
            })
            .expect("advertise");
        let _ = plugin.run();
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let me = std::env::current_exe().expect("own path");
    let rust = PluginManifest::new("rust-echo", &me);
    let mut python = PluginManifest::new("py-echo", "python3");
    python.args = vec![
        "-B".into(),
        repo.join("tests/plugins/behave.py").display().to_string(),
        "echo".into(),
    ];
    python.env = vec!["PATH".into()];

    let host = Arc::new(Host::start(HostConfig::default().port(0)).expect("host"));
    let agent = host
        .advertise(ChannelSpec::new("bench/echo").encoding("raw"))
        .expect("advertise");
    let profiles = std::env::temp_dir().join(format!("plugin-bench-{}", std::process::id()));
    let started = Instant::now();
    let manager = PluginManager::start(
        &host,
        PluginsConfig::new(&profiles).plugin(rust).plugin(python),
    )
    .expect("plugins");
    let stop = Arc::new(AtomicBool::new(false));
    let game = {
        let (host, stop) = (Arc::clone(&host), Arc::clone(&stop));
        std::thread::spawn(move || game_loop(&host, manager, agent, &stop, started))
    };

    let mut client = Client::connect(host.local_addr(), "bench").expect("connect");
    let mut rows = Vec::new();
    for name in [
        "bench/echo",
        "plugins/rust-echo/echo",
        "plugins/py-echo/echo",
    ] {
        let channel = wait_channel(&mut client, name);
        // 64 B that every echo takes: a JSON string (the Python echo parses it).
        let payload = format!("\"{}\"", "a".repeat(62)).into_bytes();
        for _ in 0..WARMUP {
            client
                .call(channel, &payload, Duration::from_secs(10))
                .expect("warm-up");
        }
        let mut times: Vec<Duration> = (0..ROUND_TRIPS)
            .map(|_| {
                let t = Instant::now();
                client
                    .call(channel, &payload, Duration::from_secs(10))
                    .expect("call");
                t.elapsed()
            })
            .collect();
        times.sort();
        rows.push((name, times[times.len() / 2], times[times.len() * 99 / 100]));
    }
    stop.store(true, Ordering::Release);
    let registered = game.join().expect("game thread");

    println!(
        "round trip, WebSocket client -> channel -> client, 64 B, {ROUND_TRIPS} sequential calls:"
    );
    let base = rows[0].1.as_secs_f64();
    for (name, median, p99) in &rows {
        println!(
            "  {name:<24} median {:>7.1} us  p99 {:>7.1} us  ({:.2}x the in-game agent)",
            median.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            median.as_secs_f64() / base
        );
    }
    println!("start to registered (PluginManager::start to Running, both started together):");
    for (id, after) in registered {
        println!("  {id:<24} {:>7.1} ms", after.as_secs_f64() * 1e3);
    }
    drop(client);
    memory_per_plugin(&me, &profiles);
    let _ = std::fs::remove_dir_all(profiles);
}

/// Answers the agent's requests, passes the rest through the manager, and
/// notes when each plugin first runs.
fn game_loop(
    host: &Host,
    mut manager: PluginManager,
    agent: switchboard::ChannelId,
    stop: &AtomicBool,
    started: Instant,
) -> Vec<(String, Duration)> {
    let mut registered: Vec<(String, Duration)> = Vec::new();
    while !stop.load(Ordering::Acquire) {
        host.wait_for_event(Duration::from_millis(1));
        for event in host.drain_events() {
            if let Some(HostEvent::Message(m)) = manager.handle(host, event) {
                if m.channel() == agent {
                    if let Some(id) = m.request_id() {
                        let _ = host.respond(m.client(), id, m.content_bytes());
                    }
                }
            }
        }
        manager.update(host);
        for status in manager.statuses() {
            if status.state == PluginState::Running
                && !registered.iter().any(|(id, _)| *id == status.id)
            {
                registered.push((status.id.clone(), started.elapsed()));
            }
        }
    }
    manager.shutdown();
    registered
}

fn wait_channel(client: &mut Client, name: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(id) = client.channel_id(name) {
            return id;
        }
        assert!(Instant::now() < deadline, "{name} never appeared");
        let _ = client.recv(Duration::from_millis(20));
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The host process's resident memory before and with many Rust plugins
/// running (their own processes are not counted: only what the host keeps
/// per plugin: its session, pipes' buffers, the log reader threads).
fn memory_per_plugin(me: &std::path::Path, profiles: &std::path::Path) {
    // A host of its own: one host has one set of plugins/* channels.
    let host = &Host::start(HostConfig::default().port(0)).expect("host");
    let before = rss_kib();
    let mut config = PluginsConfig::new(profiles);
    for i in 0..MEMORY_PLUGINS {
        config = config.plugin(PluginManifest::new(format!("mem-{i}"), me));
    }
    let mut manager = PluginManager::start(host, config).expect("plugins");
    let deadline = Instant::now() + Duration::from_secs(30);
    while manager
        .statuses()
        .iter()
        .any(|s| s.state != PluginState::Running)
    {
        assert!(Instant::now() < deadline, "{:?}", manager.statuses());
        for event in host.drain_events() {
            let _ = manager.handle(host, event);
        }
        manager.update(host);
        std::thread::sleep(Duration::from_millis(5));
    }
    let with = rss_kib();
    manager.shutdown();
    println!(
        "host memory: {before} KiB before, {with} KiB with {MEMORY_PLUGINS} plugins running: {:.0} KiB per plugin",
        (with.saturating_sub(before)) as f64 / MEMORY_PLUGINS as f64
    );
}
