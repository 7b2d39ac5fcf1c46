//! The device requests of the plugin lifecycle, with real child processes:
//! a Python plugin (tests/plugins/devices.py, through the SDK) started by
//! the plugin manager subscribes to the hardware bridge's device events,
//! discovers a simulated Zigbee bulb, registers it, commands it (a value
//! its device type refuses is refused as for a client), reads its state
//! and hears the change its command caused. The same plugin without the
//! permission in its manifest, and in a game without a bridge, is refused
//! with the reason.
#![cfg(all(unix, feature = "plugins", feature = "hardware"))]

mod common;

use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use common::PATIENCE;
use common::hardware::Harness;
use serde_json::{Value, json};
use switchboard::HostConfig;
use switchboard::agents::hardware::{HardwareBridgePlugin, Radio};
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcPluginsPlugin, IpcStatus};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::plugins::{PluginManifest, PluginsConfig};

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test plugin as `id`, asking for the game channels `call`.
fn devices_plugin(id: &str, call: &[&str]) -> PluginManifest {
    let mut manifest = PluginManifest::new(id, "python3");
    manifest.args = vec![
        "-B".to_owned(),
        repo()
            .join("tests/plugins/devices.py")
            .display()
            .to_string(),
    ];
    manifest.env = vec!["PATH".to_owned()];
    manifest.permissions.call = call.iter().map(|c| (*c).to_owned()).collect();
    manifest
}

fn plugins(name: &str, manifests: Vec<PluginManifest>) -> PluginsConfig {
    let root = std::env::temp_dir().join(format!(
        "switchboard-plugin-devices-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let mut config = PluginsConfig::new(root).registration_timeout(Duration::from_secs(15));
    for manifest in manifests {
        config = config.plugin(manifest);
    }
    config
}

fn error_of(report: &Value, step: &str) -> String {
    report[step]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{step} was not refused: {report}"))
        .to_owned()
}

#[test]
fn a_plugin_discovers_registers_commands_reads_and_hears_a_simulated_bulb() {
    let bridge = HardwareBridgePlugin::default().radios([Radio::Zigbee]);
    let manifests = vec![
        devices_plugin("lamps", &["hardware/*"]),
        // Asks only for state: every other device request is refused.
        devices_plugin("nosy", &["hardware/state"]),
    ];
    let mut h = Harness::with_plugins(bridge, plugins("bulb", manifests));
    h.client.subscribe(&[], &["plugins/*/report"]).unwrap();

    let report = h.wait_event("plugins/lamps/report", |v| {
        v["state"].is_object()
            && v["changes"].as_array().is_some_and(|changes| {
                changes
                    .iter()
                    .any(|c| c["cause"] == "command" && c["changes"]["brightness"] == 30)
            })
    });
    assert_eq!(report["subscribe"], json!({"ok": {}}), "{report}");
    let bulb = report["bulb"]
        .as_str()
        .expect("a bulb was found")
        .to_owned();
    assert!(bulb.starts_with("zigbee:"), "{report}");
    let found = &report["discover"]["ok"]["devices"];
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["radio"] == "zigbee"),
        "{report}"
    );

    let registered = &report["register"]["ok"]["device"];
    assert_eq!(registered["id"], bulb.as_str(), "{report}");
    assert_eq!(registered["registered"], true);
    assert_eq!(registered["name"], "Plugin lamp");

    // Refused by the bulb's type exactly as a client's command is.
    let refused = error_of(&report, "bad_command");
    assert!(refused.contains("invalid_payload"), "{refused}");
    assert!(refused.contains("brightness"), "{refused}");
    let client_refused = h
        .command(&bulb, "set_brightness", json!({"brightness": 150}))
        .unwrap_err();
    assert_eq!(client_refused["code"], "invalid_payload");

    assert_eq!(
        report["command"]["ok"]["state"]["brightness"], 30,
        "{report}"
    );
    assert_eq!(report["state"]["ok"]["device"], bulb.as_str(), "{report}");
    assert_eq!(report["state"]["ok"]["state"]["brightness"], 30, "{report}");
    let change = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cause"] == "command")
        .unwrap();
    assert_eq!(change["event"], "change");
    assert_eq!(change["device"], bulb.as_str());

    // The bridge holds what the plugin did: clients see the named device.
    let devices = h.ok("hardware/devices", json!({"registered": true}));
    let listed = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == bulb.as_str())
        .unwrap_or_else(|| panic!("{devices}"));
    assert_eq!(listed["name"], "Plugin lamp");
    assert_eq!(listed["state"]["brightness"], 30);

    // Without the permission: refused, with the reason.
    let nosy = h.wait_event("plugins/nosy/report", |v| v["discover"].is_object());
    let refused = error_of(&nosy, "subscribe");
    assert!(refused.contains("hardware/subscribe"), "{refused}");
    let refused = error_of(&nosy, "discover");
    assert!(refused.contains("plugin nosy may not"), "{refused}");
    assert!(refused.contains("permissions.call"), "{refused}");
}

#[test]
fn without_a_hardware_bridge_device_requests_are_refused_with_the_reason() {
    common::init_logs();
    let mut app = App::new();
    app.add_plugins((
        IpcHostPlugin::new(HostConfig::default().port(0)),
        IpcPluginsPlugin::new(plugins(
            "nobridge",
            vec![devices_plugin("lamps", &["hardware/*"])],
        )),
    ));
    app.update();
    let addr = match &app.world().resource::<IpcStatus>().0 {
        HostStatus::Listening(addr) => *addr,
        HostStatus::Failed(reason) => panic!("host failed: {reason}"),
    };
    let mut client = Client::connect(addr, "no-bridge-test").unwrap();
    client.subscribe(&[], &["plugins/lamps/report"]).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let report = loop {
        assert!(Instant::now() < deadline, "no report from the plugin");
        app.update();
        match client.recv(Duration::from_millis(5)) {
            Ok(Incoming::Data { content, .. }) => {
                let report: Value = serde_json::from_slice(&content).unwrap();
                if report["discover"].is_object() {
                    break report;
                }
            }
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => panic!("client error: {e}"),
        }
    };
    for step in ["subscribe", "discover"] {
        let refused = error_of(&report, step);
        assert!(refused.contains("no hardware bridge"), "{refused}");
    }
}

/// The Rust SDK's side: this test binary, started again as a plugin by
/// `the_rust_sdk_sends_device_requests_and_hears_device_events`. Does
/// nothing when run by hand.
#[test]
#[ignore = "run as a child process by the Rust SDK test"]
fn rust_devices_plugin_child() {
    use switchboard::plugin_sdk::{Plugin, PluginChannel};
    if std::env::var_os(switchboard::plugins::PLUGIN_ID_ENV).is_none() {
        return;
    }
    let mut plugin = Plugin::register().unwrap();
    plugin
        .advertise(&PluginChannel::new("report").latest())
        .unwrap();
    plugin.on_lifecycle(|event| {
        if event.event == "change" {
            // stderr: plugins/logs, where the test looks for it.
            eprintln!("device change: {}", event.body);
        }
        Ok(())
    });
    plugin.subscribe_devices().unwrap();
    let found = plugin.discover(Some("zigbee")).unwrap();
    let bulb = found["devices"]
        .as_array()
        .and_then(|devices| devices.iter().find(|d| d["type"] == "bulb"))
        .and_then(|d| d["id"].as_str())
        .unwrap()
        .to_owned();
    let registered = plugin.register_device(&bulb, Some("Rust lamp")).unwrap();
    let refused = plugin
        .command(&bulb, "set_brightness", json!({"brightness": 150}))
        .unwrap_err()
        .to_string();
    let commanded = plugin
        .command(&bulb, "set_brightness", json!({"brightness": 60}))
        .unwrap();
    let state = plugin.device_state(&bulb).unwrap();
    let report = json!({
        "bulb": bulb, "registered": registered, "refused": refused,
        "commanded": commanded, "state": state,
    });
    plugin
        .publish("report", report.to_string().as_bytes())
        .unwrap();
    plugin.run().unwrap();
}

#[test]
fn the_rust_sdk_sends_device_requests_and_hears_device_events() {
    let mut manifest = PluginManifest::new("rusty", std::env::current_exe().unwrap());
    manifest.args = [
        "rust_devices_plugin_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
    .map(String::from)
    .to_vec();
    manifest.permissions.call = vec!["hardware/*".to_owned()];
    let bridge = HardwareBridgePlugin::default().radios([Radio::Zigbee]);
    let mut h = Harness::with_plugins(bridge, plugins("rust", vec![manifest]));
    h.client
        .subscribe(&[], &["plugins/rusty/report", "plugins/logs"])
        .unwrap();

    let report = h.wait_event("plugins/rusty/report", |v| v["state"].is_object());
    let bulb = report["bulb"].as_str().unwrap();
    assert_eq!(
        report["registered"]["device"]["name"], "Rust lamp",
        "{report}"
    );
    let refused = report["refused"].as_str().unwrap();
    assert!(refused.contains("invalid_payload"), "{refused}");
    assert_eq!(report["commanded"]["state"]["brightness"], 60, "{report}");
    assert_eq!(report["state"]["state"]["brightness"], 60, "{report}");
    let line = h.wait_event("plugins/logs", |v| {
        v["plugin"] == "rusty"
            && v["line"].as_str().is_some_and(|l| {
                l.starts_with("device change:")
                    && l.contains(bulb)
                    && l.contains("\"brightness\":60")
            })
    });
    assert!(
        line["line"]
            .as_str()
            .unwrap()
            .contains("\"event\":\"change\""),
        "{line}"
    );
}
