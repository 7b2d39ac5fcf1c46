//! The plugin lifecycle over `plugins/control`, with real child processes
//! through the Python SDK (tests/plugins/lifecycle.py): `before_run` (with
//! the configuration) and `run` after registration, a configuration change
//! delivered to the running plugin, the `configuration` and `restart`
//! requests, `after_run` before every stop, a failing `before_run` hook
//! ending the run; and `Installer::configure` on an installed package
//! reaching its plugin, secrets included, while `plugins/list`-style
//! listing leaves them out.
#![cfg(all(unix, feature = "plugins", feature = "packages", feature = "cli"))]

mod common;
#[path = "support/examples.rs"]
#[allow(dead_code)] // the demo's half of it
mod examples;
#[path = "support/plugins.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{WAIT, call, call_through_restarts, config, repo};
use switchboard::client::Client;
use switchboard::packages::{Installer, PackageRunner, pack_dir};
use switchboard::plugins::{PluginControl, PluginManager, PluginManifest, PluginState};
use switchboard::{Host, HostConfig};

fn lifecycle_plugin(id: &str, mode: &str, marks: &Path) -> PluginManifest {
    let mut manifest = PluginManifest::new(id, "python3");
    manifest.args = vec![
        "-B".to_owned(),
        repo()
            .join("tests/plugins/lifecycle.py")
            .display()
            .to_string(),
        mode.to_owned(),
        marks.display().to_string(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    manifest
}

/// The game loop on this thread while `work` runs on another.
fn game_while<T: Send + 'static>(
    host: &Host,
    plugins: &mut PluginManager,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let worker = std::thread::spawn(work);
    let deadline = Instant::now() + WAIT * 3;
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

fn json_call(client: &mut Client, name: &str) -> Value {
    serde_json::from_slice(&call_through_restarts(client, name, b"{}").unwrap()).unwrap()
}

/// Asks `state` until `done` holds (a configuration event is one-way).
fn state_until(client: &mut Client, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = json_call(client, &format!("plugins/{id}/state"));
        if done(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "{state}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pid_when_running(control: &PluginControl, id: &str, not: Option<u32>) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = control.status(id) {
            if status.state == PluginState::Running && status.pid != not {
                return status.pid.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "{:?}", control.statuses());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn marks_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|text| text.lines().filter(|l| *l == "after_run").count())
        .unwrap_or(0)
}

fn wait_marks(path: &Path, count: usize) {
    let deadline = Instant::now() + WAIT;
    while marks_in(path) < count {
        assert!(
            Instant::now() < deadline,
            "after_run marks: {}",
            marks_in(path)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn lifecycle_events_and_requests_reach_a_running_plugin() {
    let root = common::packages::scratch("lifecycle");
    let marks = root.join("marks");
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(&host, config("lifecycle")).unwrap();
    let control = plugins.control();
    control.set_configuration("life", json!({"greeting": "hi", "token": "s3cret"}));
    control
        .start(lifecycle_plugin("life", "ok", &marks))
        .unwrap();
    let addr = host.local_addr();
    game_while(&host, &mut plugins, move || {
        let mut client = Client::connect(addr, "editor").unwrap();
        let first = pid_when_running(&control, "life", None);
        let state = state_until(&mut client, "life", |s| {
            s["events"] == json!(["before_run", "run"])
        });
        assert_eq!(
            (state["greeting"].clone(), state["token_length"].clone()),
            (json!("hi"), json!(6))
        );

        control.configure("life", json!({"greeting": "bonjour", "token": "abcdefgh"}));
        let state = state_until(&mut client, "life", |s| s["greeting"] == "bonjour");
        assert_eq!(
            state["events"],
            json!(["before_run", "run", "configuration"])
        );
        assert_eq!(state["token_length"], 8, "the secret reaches the plugin");
        assert_eq!(json_call(&mut client, "plugins/life/fetched"), "bonjour");

        // It asks for a restart: after_run, a new process, before_run again.
        assert_eq!(json_call(&mut client, "plugins/life/restart"), json!({}));
        wait_marks(&marks, 1);
        let second = pid_when_running(&control, "life", Some(first));
        assert_ne!(first, second);
        assert_eq!(control.status("life").unwrap().restarts, 1);
        // Its loop runs (a plugin stopped while still advertising never
        // gets to handle after_run).
        state_until(&mut client, "life", |s| {
            s["events"] == json!(["before_run", "run"])
        });

        control.stop("life").unwrap();
        wait_marks(&marks, 2);
        let deadline = Instant::now() + WAIT;
        while control.status("life").is_some() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    plugins.shutdown();
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_failing_before_run_hook_ends_the_run() {
    let root = common::packages::scratch("lifecycle-fail");
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let manifest = lifecycle_plugin("broken", "fail_before_run", &root.join("marks"));
    let mut plugins =
        PluginManager::start(&host, config("lifecycle-fail").plugin(manifest)).unwrap();
    let control = plugins.control();
    let reason = game_while(&host, &mut plugins, move || {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(PluginState::Restarting { reason, .. }) =
                control.status("broken").map(|s| s.state)
            {
                return reason;
            }
            assert!(Instant::now() < deadline, "{:?}", control.statuses());
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    assert!(
        reason.contains("its before_run hook failed: RuntimeError: no sensor attached"),
        "{reason}"
    );
    plugins.shutdown();
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn configuring_an_installed_package_reaches_its_plugin() {
    let root = common::packages::scratch("lifecycle-configure");
    let dir = root.join("plugins");
    let marks = root.join("marks");
    let script = format!(
        "#!/bin/sh\nexec python3 -B {} ok {}\n",
        repo().join("tests/plugins/lifecycle.py").display(),
        marks.display()
    );
    let source = common::packages::source_dir(
        &root,
        "source",
        &[
            (
                "config.yml",
                "config:\n  greeting: {type: string, default: hello}\n  token: {type: string, secret: true, length: 4}\n",
            ),
            ("plugin", &script),
        ],
    );
    let bytes = pack_dir(&source, &Default::default()).unwrap();
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(&host, config("lifecycle-configure")).unwrap();
    let running = PackageRunner::new(&dir)
        .poll_interval(Duration::from_millis(50))
        .start(plugins.control())
        .unwrap();
    let runs = running.runs();
    let addr = host.local_addr();
    let id = "com-example-weather";
    game_while(&host, &mut plugins, move || {
        let mut installer = Installer::open(&dir).unwrap().with_runs(runs);
        let package = installer.read(&bytes).unwrap();
        let values = package.config.parse_assignments(&["token=abcd"]).unwrap();
        installer.install(&package, &values).unwrap();
        let mut client = Client::connect(addr, "editor").unwrap();
        let state = state_until(&mut client, id, |s| {
            s["events"] == json!(["before_run", "run"])
        });
        assert_eq!(
            (state["greeting"].clone(), state["token_length"].clone()),
            (json!("hello"), json!(4))
        );

        let changes = package
            .config
            .parse_assignments(&["greeting=hej", "token=wxyz12"])
            .unwrap();
        assert!(
            installer
                .configure(common::packages::PACKAGE, &changes)
                .is_err(),
            "length 4"
        );
        let changes = package
            .config
            .parse_assignments(&["greeting=hej", "token=wxyz"])
            .unwrap();
        installer
            .configure(common::packages::PACKAGE, &changes)
            .unwrap();
        let state = state_until(&mut client, id, |s| s["greeting"] == "hej");
        assert_eq!(
            state["events"],
            json!(["before_run", "run", "configuration"])
        );
        let listed = serde_json::to_value(installer.list().unwrap()).unwrap();
        assert_eq!(
            listed[0]["configuration"],
            json!({"greeting": "hej"}),
            "no secret listed"
        );
        assert_eq!(listed[0]["secrets_set"], json!(["token"]));
        installer.remove(common::packages::PACKAGE).unwrap();
        assert_eq!(marks_in(&marks), 1, "after_run before the removal");
    });
    drop(running);
    plugins.shutdown();
    let _ = std::fs::remove_dir_all(&root);
}

/// The Rust SDK's lifecycle handler, in the counter example: `before_run`
/// starts its total at the configured `start`, `configuration` events
/// replace what its `configuration` channel answers.
#[test]
fn the_rust_sdk_gets_lifecycle_events() {
    let binary = examples::example_binary_featuring("plugin_counter", &["plugins"]);
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let mut plugins = PluginManager::start(&host, config("lifecycle-rust")).unwrap();
    let control = plugins.control();
    control.set_configuration("counter", json!({"start": 40}));
    control
        .start(PluginManifest::new("counter", binary))
        .unwrap();
    let addr = host.local_addr();
    game_while(&host, &mut plugins, move || {
        let mut client = Client::connect(addr, "editor").unwrap();
        assert_eq!(
            call(&mut client, "plugins/counter/add", b"2").unwrap(),
            b"42"
        );
        control.configure("counter", json!({"start": 5}));
        let deadline = Instant::now() + WAIT;
        while json_call(&mut client, "plugins/counter/configuration") != json!({"start": 5}) {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    plugins.shutdown();
}
