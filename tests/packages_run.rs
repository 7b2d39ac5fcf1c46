//! Installed packages as running plugins, with real zips, real child
//! processes and a real WebSocket client: install starts the plugin,
//! disable and remove stop it (remove after its after-run hook), enable
//! starts it again, an upgrade restarts it, and an upgrade whose plugin
//! does not start is rolled back to the old version, which runs again.
//! A change made by another installer (another process, as the
//! `switchboard plugins` program is) is picked up by the registry poll.
#![cfg(all(unix, feature = "plugins", feature = "packages", feature = "cli"))]

mod common;
#[path = "support/plugins.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::packages::{info_yml, scratch, source_dir};
use support::{WAIT, call_through_restarts, config, process_exists, repo};
use switchboard::client::Client;
use switchboard::packages::{Installer, PackageError, PackageRunner, PluginRuns, pack_dir};
use switchboard::plugins::{PluginControl, PluginManager, PluginState};
use switchboard::{Host, HostConfig};

const PACKAGE: &str = "com.example.weather";
const PLUGIN_ID: &str = "com-example-weather";
const CONFIG: &str = "config:\n  greeting: {type: string, default: hello}\n";

/// A Python plugin through the SDK that answers `version` with `version`.
fn python_plugin(version: &str) -> String {
    format!(
        "#!/usr/bin/env python3\nimport sys\nsys.path.insert(0, {sdk:?})\n\
         from switchboard_plugin import Plugin\nplugin = Plugin()\n\
         @plugin.request(\"version\")\ndef version(_):\n    return {{\"version\": {version:?}}}\n\
         plugin.run()\n",
        sdk = repo().join("clients/python").display().to_string(),
    )
}

/// A `.lamp` file's bytes: the package at `version` with `plugin` as its
/// executable and an after-run hook that leaves a mark in `marks`.
fn package(root: &Path, version: &str, plugin: &str, marks: &Path) -> Vec<u8> {
    let after_run = format!(
        "#!/bin/sh\necho \"$SWITCHBOARD_PACKAGE\" >> {}\n",
        marks.join("after_run").display()
    );
    let dir = source_dir(
        root,
        &format!("source-{version}"),
        &[
            ("info.yml", &info_yml(PACKAGE, version)),
            ("config.yml", CONFIG),
            ("plugin", plugin),
            ("hooks/after_run", &after_run),
        ],
    );
    pack_dir(&dir, &Default::default()).unwrap()
}

/// The game loop on this thread while `work` runs on another.
fn game_while<T: Send + 'static>(
    host: &Host,
    plugins: &mut PluginManager,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let worker = std::thread::spawn(work);
    let deadline = Instant::now() + WAIT * 4;
    while !worker.is_finished() {
        for event in host.drain_events() {
            let _ = plugins.handle(host, event);
        }
        plugins.update(host);
        assert!(Instant::now() < deadline, "{:?}", plugins.statuses());
        host.wait_for_event(Duration::from_millis(5));
    }
    worker.join().unwrap()
}

fn version_answer(client: &mut Client) -> String {
    let name = format!("plugins/{PLUGIN_ID}/version");
    let answer = call_through_restarts(client, &name, b"{}").unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    answer["version"].as_str().unwrap().to_owned()
}

fn wait_for(control: &PluginControl, what: &str, done: impl Fn(&PluginControl) -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done(control) {
        assert!(
            Instant::now() < deadline,
            "{what}: {:?}",
            control.statuses()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn running_pid(control: &PluginControl) -> u32 {
    wait_for(control, "running", |c| {
        c.status(PLUGIN_ID)
            .is_some_and(|s| s.state == PluginState::Running)
    });
    control.status(PLUGIN_ID).unwrap().pid.unwrap()
}

#[test]
fn installed_packages_run_stop_restart_and_roll_back() {
    let root = scratch("run");
    let dir = root.join("plugins");
    let marks = root.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(&host, config("packages-run")).unwrap();
    let control = plugins.control();
    let running = PackageRunner::new(&dir)
        .poll_interval(Duration::from_millis(50))
        .start_timeout(Duration::from_secs(20))
        .start(control.clone())
        .unwrap();
    let runs: Arc<dyn PluginRuns> = running.runs();
    let addr = host.local_addr();
    let v1 = package(&root, "1.0.0", &python_plugin("1.0.0"), &marks);
    let v2 = package(&root, "2.0.0", &python_plugin("2.0.0"), &marks);
    let broken = package(&root, "3.0.0", "#!/bin/sh\nexit 3\n", &marks);
    let (dir2, marks2) = (dir.clone(), marks.clone());
    let log = game_while(&host, &mut plugins, move || {
        let mut installer = Installer::open(&dir2).unwrap().with_runs(Arc::clone(&runs));
        let mut client = Client::connect(addr, "editor").unwrap();
        let mut log = Vec::new();

        // Install: it starts, and a remote client reaches its channel.
        let package = installer.read(&v1).unwrap();
        installer.install(&package, &Default::default()).unwrap();
        let first = running_pid(&control);
        log.push(version_answer(&mut client));
        let status = runs.status_json(PACKAGE).unwrap();
        assert_eq!(status["state"], "running", "{status}");
        assert_eq!(status["id"], PLUGIN_ID);

        // Disabled by another installer (another process): the poll stops it.
        let mut other = Installer::open(&dir2).unwrap();
        other.set_enabled(PACKAGE, false).unwrap();
        wait_for(&control, "stopped after disable", |c| {
            c.status(PLUGIN_ID).is_none()
        });
        assert!(
            !process_exists(first),
            "the disabled plugin's process is gone"
        );
        other.set_enabled(PACKAGE, true).unwrap();
        let second = running_pid(&control);
        assert_ne!(first, second);

        // Upgrade: the new version runs in its place.
        let package = installer.read(&v2).unwrap();
        installer.upgrade(&package, &Default::default()).unwrap();
        log.push(version_answer(&mut client));
        assert!(!process_exists(second), "the old version's process is gone");

        // An upgrade that does not start: refused, the old one is back.
        let package = installer.read(&broken).unwrap();
        let refused = installer
            .upgrade(&package, &Default::default())
            .unwrap_err();
        assert!(matches!(refused, PackageError::Start { .. }), "{refused}");
        assert!(refused.to_string().contains("exited"), "{refused}");
        assert_eq!(installer.get(PACKAGE).unwrap().unwrap().version, "2.0.0");
        let info = std::fs::read_to_string(dir2.join(PACKAGE).join("info.yml")).unwrap();
        assert!(info.contains("2.0.0"), "the old files are back: {info}");
        running_pid(&control);
        log.push(version_answer(&mut client));

        // Remove: stopped, its after-run hook ran, nothing left.
        let pid = running_pid(&control);
        assert!(installer.remove(PACKAGE).unwrap().is_none());
        assert!(
            control.status(PLUGIN_ID).is_none(),
            "{:?}",
            control.statuses()
        );
        assert!(!process_exists(pid));
        let marked = std::fs::read_to_string(marks2.join("after_run")).unwrap();
        assert_eq!(marked.trim(), PACKAGE);
        assert!(!dir2.join(PACKAGE).exists());
        log
    });
    assert_eq!(log, ["1.0.0", "2.0.0", "2.0.0"]);
    drop(running);
    plugins.shutdown();
    let _ = std::fs::remove_dir_all(&root);
}

/// A package whose plugin id is a configured plugin's does not take it
/// over: it shows as failed, and the configured plugin runs on.
#[test]
fn a_package_never_takes_over_another_plugins_id() {
    let root = scratch("run-conflict");
    let dir = root.join("plugins");
    let marks = root.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let configured = support::behave(PLUGIN_ID, "echo");
    let mut plugins =
        PluginManager::start(&host, config("packages-conflict").plugin(configured)).unwrap();
    let control = plugins.control();
    let running = PackageRunner::new(&dir)
        .poll_interval(Duration::from_millis(50))
        .start(control.clone())
        .unwrap();
    let runs = running.runs();
    let v1 = package(&root, "1.0.0", &python_plugin("1.0.0"), &marks);
    let dir2 = dir.clone();
    let status = game_while(&host, &mut plugins, move || {
        let pid = running_pid(&control);
        let mut installer = Installer::open(&dir2).unwrap().with_runs(Arc::clone(&runs));
        let package = installer.read(&v1).unwrap();
        installer.install(&package, &Default::default()).unwrap();
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = runs.status_json(PACKAGE) {
                break status;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(running_pid(&control), pid, "the configured plugin runs on");
        status
    });
    assert_eq!(status["state"], "failed", "{status}");
    assert!(
        status["reason"]
            .as_str()
            .unwrap()
            .contains("already another plugin's"),
        "{status}"
    );
    drop(running);
    plugins.shutdown();
    let _ = std::fs::remove_dir_all(&root);
}
