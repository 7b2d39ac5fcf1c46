//! Plugins as hardware adapters, with real child processes: the example
//! weather plugin (Python SDK) started by the plugin manager provides a
//! weather station to the hardware bridge, and a real WebSocket client
//! finds it in `hardware/devices`, commands it, sees its reports, has bad
//! values refused by the device type before the plugin is asked, and sees
//! it go offline when the plugin is killed and come back when it restarts.
#![cfg(all(unix, feature = "plugins", feature = "hardware"))]

mod common;

use std::time::{Duration, Instant};

use common::PATIENCE;
use common::hardware::Harness;
use serde_json::{Value, json};
use switchboard::agents::hardware::HardwareBridgePlugin;
use switchboard::bevy::IpcPlugins;
use switchboard::plugins::{PluginManifest, PluginsConfig};

const STATION: &str = "plugin:weather.station";

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plugins(name: &str, manifests: Vec<PluginManifest>) -> PluginsConfig {
    let root = std::env::temp_dir().join(format!(
        "switchboard-plugin-adapters-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    // A restart waits long enough for the test to command the offline device.
    let mut config = PluginsConfig::new(root)
        .backoff(Duration::from_secs(2), Duration::from_secs(4))
        .registration_timeout(Duration::from_secs(15));
    for manifest in manifests {
        config = config.plugin(manifest);
    }
    config
}

fn weather() -> PluginManifest {
    PluginManifest::from_file(&repo().join("examples/plugins/weather/plugin.json")).unwrap()
}

fn harness(name: &str, manifests: Vec<PluginManifest>) -> Harness {
    let bridge = HardwareBridgePlugin::default().radios([]).plugin_adapters();
    Harness::with_plugins(bridge, plugins(name, manifests))
}

fn plugin_pid(h: &Harness, id: &str) -> u32 {
    let statuses = h.app.world().resource::<IpcPlugins>().0.statuses();
    statuses
        .iter()
        .find(|s| s.id == id)
        .and_then(|s| s.pid)
        .unwrap_or_else(|| panic!("{id} has no pid: {statuses:?}"))
}

/// Runs frames until the plugin has logged a line containing `text`.
fn wait_log(h: &mut Harness, text: &str) {
    h.wait_event("plugins/logs", |v| {
        v["plugin"] == "weather" && v["line"].as_str().is_some_and(|l| l.contains(text))
    });
}

fn station(h: &mut Harness) -> Value {
    let devices = h.ok("hardware/devices", json!({"radio": "plugin"}));
    devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == STATION)
        .cloned()
        .unwrap_or_else(|| panic!("no weather station in {devices}"))
}

#[test]
fn the_weather_plugin_provides_a_station_that_is_listed_commanded_and_reports() {
    let mut h = harness("station", vec![weather()]);
    h.client.subscribe(&[], &["plugins/logs"]).unwrap();
    h.wait_event("hardware/events/changed", |v| {
        v["device"] == STATION && v["cause"] == "register"
    });

    let device = station(&mut h);
    assert_eq!(device["type"], "weather_station", "{device}");
    assert_eq!(device["radio"], "plugin");
    assert_eq!(device["registered"], true);
    assert_eq!(
        device["name"], "Roof weather station",
        "the name the plugin gave"
    );
    assert_eq!(device["available"], true);
    assert!(device["state"]["temperature"].is_number(), "{device}");
    assert_eq!(device["state"]["interval_s"], 10);
    let types = h.ok("hardware/types", json!({"id": "weather_station"}));
    assert!(types.to_string().contains("set_interval"), "{types}");

    // A value the type refuses never reaches the plugin.
    let error = h
        .command(STATION, "set_interval", json!({"interval_s": 0}))
        .unwrap_err();
    assert_eq!(error["code"], "invalid_payload", "{error}");
    assert_eq!(error["field"], "interval_s", "{error}");
    let error = h
        .command(STATION, "set_interval", json!({"every": 5}))
        .unwrap_err();
    assert_eq!(error["code"], "invalid_payload", "{error}");

    let answer = h
        .command(STATION, "set_interval", json!({"interval_s": 1}))
        .unwrap();
    assert_eq!(answer["state"]["interval_s"], 1, "{answer}");
    h.wait_event("hardware/events/changed", |v| {
        v["device"] == STATION && v["cause"] == "command" && v["changes"]["interval_s"] == 1
    });
    // The plugin logs each interval it is given: the refused ones never came.
    wait_log(&mut h, "reporting every 1 s");
    let logged: Vec<String> = h
        .events
        .iter()
        .filter(|(channel, _)| channel == "plugins/logs")
        .filter_map(|(_, v)| v["line"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !logged.iter().any(|l| l.contains("reporting every 0")),
        "{logged:?}"
    );

    // Reports now come every second (the default is ten).
    let started = Instant::now();
    for _ in 0..2 {
        let report = h.wait_event("hardware/events/changed", |v| {
            v["device"] == STATION && v["cause"] == "report"
        });
        assert!(report["state"]["temperature"].is_number(), "{report}");
    }
    assert!(started.elapsed() < PATIENCE);

    let refreshed = h.command(STATION, "refresh", json!({})).unwrap();
    assert!(refreshed["state"]["humidity"].is_number(), "{refreshed}");
}

#[test]
fn a_killed_plugin_takes_its_devices_offline_and_brings_them_back_when_restarted() {
    let mut h = harness("restart", vec![weather()]);
    h.wait_event("hardware/events/changed", |v| {
        v["device"] == STATION && v["cause"] == "register"
    });
    let pid = plugin_pid(&h, "weather");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let offline = h.wait_event("hardware/events/changed", |v| {
        v["device"] == STATION && v["cause"] == "availability"
    });
    assert_eq!(offline["available"], false, "{offline}");
    assert_eq!(station(&mut h)["available"], false);
    // The restart waits two seconds: the command meets the gone plugin.
    let error = h
        .command(STATION, "set_interval", json!({"interval_s": 5}))
        .unwrap_err();
    assert_eq!(error["code"], "device_error", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("plugin weather is not running"),
        "{error}"
    );

    let back = h.wait_event("hardware/events/changed", |v| {
        v["device"] == STATION && v["cause"] == "availability"
    });
    assert_eq!(back["available"], true, "{back}");
    assert_ne!(plugin_pid(&h, "weather"), pid, "a new process");
    let answer = h
        .command(STATION, "set_interval", json!({"interval_s": 5}))
        .unwrap();
    assert_eq!(answer["state"]["interval_s"], 5, "{answer}");
    let adapters = h.ok("hardware/adapters", json!({}));
    assert_eq!(adapters["adapters"][0]["radio"], "plugin", "{adapters}");
    assert_eq!(adapters["adapters"][0]["status"], "running", "{adapters}");
}

#[test]
fn a_plugin_breaking_the_adapter_protocol_is_told_why_and_its_good_device_still_works() {
    let mut manifest = PluginManifest::new("bad", "python3");
    manifest.args = vec![
        "-B".to_owned(),
        repo()
            .join("tests/plugins/bad_adapter.py")
            .display()
            .to_string(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    let mut h = harness("bad", vec![manifest]);
    let lamp = "plugin:bad.lamp";
    h.wait_event("hardware/events/changed", |v| {
        v["device"] == lamp && v["cause"] == "register"
    });
    for expected in [
        "adapter/devices: not a device list",
        "device id \\\"Bad Id\\\" must be",
        "device type \\\"bulb\\\" exists already",
        "has the type \\\"no_such_type\\\"",
        "plugin:bad.ghost",
        "device type \\\"fresh_16\\\" refused: a plugin may declare at most 16 types",
    ] {
        let error = h.wait_event("hardware/events/error", |v| {
            v["radio"] == "plugin" && v.to_string().contains(expected)
        });
        assert!(
            error["message"].as_str().unwrap().contains("bad"),
            "{error}"
        );
    }
    let device = h.ok("hardware/devices", json!({"radio": "plugin"}))["devices"][0].clone();
    assert_eq!(device["id"], lamp, "{device}");
    assert_eq!(
        device["state"],
        json!({"on": false}),
        "300 is dropped: {device}"
    );
    let types = h.ok("hardware/types", json!({"id": "bulb"}));
    assert_eq!(
        types["type"]["name"], "Dimmable bulb",
        "the built-in type stays"
    );
    h.ok("hardware/types", json!({"id": "fresh_15"}));
    let refused = h.err("hardware/types", json!({"id": "fresh_16"}));
    assert_eq!(refused["code"], "unknown_type", "{refused}");
    let answer = h.command(lamp, "turn_on", json!({})).unwrap();
    assert_eq!(answer["state"]["on"], true, "{answer}");
    let refused = h
        .command(lamp, "set_brightness", json!({"brightness": 101}))
        .unwrap_err();
    assert_eq!(refused["field"], "brightness", "{refused}");
}
