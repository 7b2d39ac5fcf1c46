//! The example plugins as packages, end to end: the real `switchboard
//! plugins pack` builds `.lamp` files from `examples/plugins/weather` and
//! from the counter's folder (with the built Rust example in it); a Bevy
//! app with `IpcPluginsPlugin::packages` and the package manager agent runs
//! what is installed. The weather station is installed with `switchboard
//! plugins install` (another process: the app's registry poll starts it),
//! the counter through `plugins/install` over a WebSocket; both answer on
//! their channels; `switchboard plugins configure` and `plugins/configure`
//! reach the running counter as configuration events; `plugins/list` shows
//! each one's status; disable and remove stop them.
#![cfg(all(unix, feature = "plugins", feature = "packages", feature = "cli"))]

mod common;
#[path = "support/examples.rs"]
#[allow(dead_code)] // the demo's half of it
mod examples;
#[path = "support/plugins.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use bevy_app::App;
use common::packages::{pack, plugins, scratch, text};
use serde_json::{Value, json};
use support::{WAIT, call_through_restarts, config, repo};
use switchboard::HostConfig;
use switchboard::agents::packages::PackageManagerPlugin;
use switchboard::bevy::{IpcHost, IpcHostPlugin, IpcPluginsPlugin};
use switchboard::client::Client;
use switchboard::packages::PackageRunner;

const WEATHER: &str = "plugins/com-example-weather";
const COUNTER: &str = "plugins/com-example-counter";

fn ask_json(client: &mut Client, name: &str, content: Value) -> Value {
    let answer = call_through_restarts(client, name, content.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_slice(&answer).unwrap()
}

/// Asks until the answer satisfies `done`.
fn ask_until(client: &mut Client, name: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let answer = ask_json(client, name, json!({}));
        if done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "{name}: {answer}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status_of<'a>(list: &'a Value, package: &str) -> &'a Value {
    let entry = list["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == package)
        .unwrap_or_else(|| panic!("{package} not listed: {list}"));
    &entry["status"]
}

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

/// The counter's folder with the built example in it, packed.
fn counter_lamp(root: &Path) -> std::path::PathBuf {
    let folder = root.join("counter");
    std::fs::create_dir_all(&folder).unwrap();
    for file in ["info.yml", "config.yml"] {
        std::fs::copy(
            repo().join("examples/plugins/counter").join(file),
            folder.join(file),
        )
        .unwrap();
    }
    let binary = examples::example_binary_featuring("plugin_counter", &["plugins"]);
    std::fs::copy(binary, folder.join("plugin_counter")).unwrap();
    pack(root, &folder)
}

#[test]
fn the_example_plugins_are_packed_installed_and_answer() {
    // SAFETY: the only test in this binary, before it starts any thread:
    // the weather station finds the Python SDK through PYTHONPATH, which
    // the package runner passes on.
    unsafe { std::env::set_var("PYTHONPATH", repo().join("clients/python")) };
    let root = scratch("examples");
    let dir = root.join("plugins");
    let weather = pack(&root, &repo().join("examples/plugins/weather"));
    let counter = std::fs::read(counter_lamp(&root)).unwrap();

    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
        .add_plugins(
            IpcPluginsPlugin::new(config("examples")).packages(
                PackageRunner::new(&dir)
                    .env(["PYTHONPATH"])
                    .poll_interval(Duration::from_millis(50)),
            ),
        )
        .add_plugins(PackageManagerPlugin::new(&dir));
    app.update();
    let addr = app.world().resource::<IpcHost>().local_addr();
    let dir2 = dir.clone();
    let worker = std::thread::spawn(move || {
        let mut client = Client::connect(addr, "editor").unwrap();

        // The weather station, installed by another process.
        ok(plugins(&dir2, &["install", weather.to_str().unwrap()]));
        let reading = ask_json(&mut client, &format!("{WEATHER}/read"), json!({}));
        assert!(reading["temperature_c"].is_number(), "{reading}");

        // The counter, uploaded with a setting over the editor channel.
        let mut upload = br#"{"configuration": {"start": 40}}"#.to_vec();
        upload.push(b'\n');
        upload.extend_from_slice(&counter);
        let installed = call_through_restarts(&mut client, "plugins/install", &upload).unwrap();
        assert!(String::from_utf8_lossy(&installed).contains("com.example.counter"));
        let total = call_through_restarts(&mut client, &format!("{COUNTER}/add"), b"2").unwrap();
        assert_eq!(total, b"42", "before_run gave the counter its start");

        // The supervisor marks a registration on its next look: soon after.
        ask_until(&mut client, "plugins/list", |list| {
            ["com.example.weather", "com.example.counter"]
                .iter()
                .all(|package| status_of(list, package)["state"] == "running")
        });

        // A configuration change from the command line, then the channel.
        ok(plugins(
            &dir2,
            &["configure", "com.example.counter", "start=7"],
        ));
        ask_until(&mut client, &format!("{COUNTER}/configuration"), |c| {
            c["start"] == 7
        });
        let configured = call_through_restarts(
            &mut client,
            "plugins/configure",
            br#"{"package": "com.example.counter", "configuration": {"start": 9}}"#,
        )
        .unwrap();
        assert!(String::from_utf8_lossy(&configured).contains("com.example.counter"));
        ask_until(&mut client, &format!("{COUNTER}/configuration"), |c| {
            c["start"] == 9
        });
        let refused = call_through_restarts(
            &mut client,
            "plugins/configure",
            br#"{"package": "com.example.counter", "configuration": {"start": "many"}}"#,
        )
        .unwrap_err();
        assert!(refused.to_string().contains("start"), "{refused}");

        // Disabled over the channel, removed from the command line.
        call_through_restarts(
            &mut client,
            "plugins/disable",
            br#"{"package": "com.example.counter"}"#,
        )
        .unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let list = ask_json(&mut client, "plugins/list", json!({}));
            if status_of(&list, "com.example.counter").is_null() {
                break;
            }
            assert!(Instant::now() < deadline, "{list}");
            std::thread::sleep(Duration::from_millis(50));
        }
        ok(plugins(&dir2, &["remove", "com.example.weather"]));
        let read = format!("{WEATHER}/read");
        let deadline = Instant::now() + WAIT;
        while client.channel_id(&read).is_some() {
            assert!(
                Instant::now() < deadline,
                "the removed station's channel stays"
            );
            let _ = client.recv(Duration::from_millis(50));
        }
        let list = ask_json(&mut client, "plugins/list", json!({}));
        assert_eq!(list["packages"].as_array().unwrap().len(), 1, "{list}");
    });
    let deadline = Instant::now() + WAIT * 4;
    while !worker.is_finished() {
        app.update();
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(2));
    }
    worker.join().unwrap();
    drop(app);
    let _ = std::fs::remove_dir_all(&root);
}
