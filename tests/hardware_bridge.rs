//! The hardware bridge over real WebSocket clients, with the app driven by
//! `app.update()` and simulated dongles (no latency noise, no random
//! failures unless a test forces them).
#![cfg(feature = "hardware")]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use common::PATIENCE;
use common::hardware::Harness;
use serde_json::{Value, json};
use switchboard::agents::hardware::{AdapterStatus, HardwareBridgePlugin, Radio, SimulationConfig};
use switchboard::client::{ClientError, Incoming};

fn quiet_bridge() -> HardwareBridgePlugin {
    HardwareBridgePlugin::default()
        .latency(Duration::from_millis(1), Duration::from_millis(1))
        .failure_rate(0.0)
}

fn temp_registry(tag: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "switchboard-hardware-{tag}-{}.sqlite",
        std::process::id()
    ));
    remove_registry(&path);
    path
}

fn remove_registry(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[test]
fn discover_register_command_and_see_the_change() {
    let mut h = Harness::new(quiet_bridge());

    let adapters = h.ok("hardware/adapters", json!({}));
    let radios: Vec<&str> = adapters["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["radio"].as_str().unwrap())
        .collect();
    assert_eq!(radios, ["zigbee", "zwave", "wifi", "bluetooth"]);

    let found = h.discover();
    for radio in ["zigbee", "zwave", "wifi", "bluetooth"] {
        assert!(
            found.iter().any(|d| d["radio"] == radio),
            "nothing on {radio}"
        );
    }
    // Every device found for the first time is announced.
    let announced = h.wait_event("hardware/events/discovered", |d| d["type"] == "bulb");
    assert_eq!(announced["registered"], false);

    let bulb = h.find("zigbee", "bulb");
    let registered = h.register(&bulb, "Kitchen", json!({"transition_ms": 200}));
    assert_eq!(registered["device"]["id"], bulb);
    assert_eq!(registered["device"]["registered"], true);
    assert_eq!(registered["device"]["name"], "Kitchen");
    // Defaults are filled in.
    assert_eq!(
        registered["device"]["config"],
        json!({"transition_ms": 200, "power_on": "previous"})
    );

    let on = h.command(&bulb, "turn_on", json!({})).unwrap();
    assert_eq!(on["state"]["on"], true);
    let changed = h.wait_event("hardware/events/changed", |e| {
        e["device"] == bulb && e["cause"] == "command" && e["changes"]["on"] == true
    });
    assert_eq!(changed["state"]["on"], true);

    let dimmed = h
        .command(&bulb, "set_brightness", json!({"brightness": 40}))
        .unwrap();
    assert_eq!(dimmed["device"], bulb);
    assert_eq!(dimmed["command"], "set_brightness");
    assert_eq!(dimmed["state"]["brightness"], 40);
    let changed = h.wait_event("hardware/events/changed", |e| {
        e["device"] == bulb && e["cause"] == "command" && e["changes"].get("brightness").is_some()
    });
    assert_eq!(changed["changes"]["brightness"], 40);

    let state = h.ok("hardware/state", json!({"device": bulb}));
    assert_eq!(state["state"], json!({"on": true, "brightness": 40}));
    assert_eq!(state["cached"], false);
    let cached = h.ok("hardware/state", json!({"device": bulb, "cached": true}));
    assert_eq!(cached["state"], state["state"]);

    let configured = h.ok(
        "hardware/configure",
        json!({"device": bulb, "name": "Hall", "config": {"power_on": "off"}}),
    );
    assert_eq!(configured["device"]["name"], "Hall");
    assert_eq!(
        configured["device"]["config"],
        json!({"transition_ms": 200, "power_on": "off"})
    );
    let changed = h.wait_event("hardware/events/changed", |e| e["cause"] == "configure");
    assert_eq!(changed["name"], "Hall");

    let td = h.ok("hardware/describe", json!({"device": bulb}));
    assert_eq!(td["@context"][0], "https://www.w3.org/2022/wot/td/v1.1");
    assert_eq!(td["title"], "Hall");
    assert_eq!(td["properties"]["brightness"]["maximum"], 100);
    assert_eq!(
        td["actions"]["set_brightness"]["forms"][0]["href"],
        "hardware/command"
    );
    assert!(td["base"].as_str().unwrap().starts_with("ws://127.0.0.1:"));

    let types = h.ok("hardware/types", json!({}));
    let ids: Vec<&str> = types["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["bulb", "rgb_bulb", "scale", "switch", "temperature_sensor"]
    );

    let registered = h.ok("hardware/devices", json!({"registered": true}));
    assert_eq!(registered["devices"].as_array().unwrap().len(), 1);
    assert_eq!(h.bridge().device(&bulb).unwrap().state["brightness"], 40);
}

#[test]
fn every_validation_failure_names_the_field_and_rule_and_reaches_no_device() {
    let mut h = Harness::new(quiet_bridge());
    h.discover();
    let rgb = h.find("zigbee", "rgb_bulb");
    let scale = h.find("wifi", "scale");
    h.register(&rgb, "Desk", json!({}));

    // The next exchange with the zigbee dongle fails. If any refused
    // request below reached it, the valid command at the end would succeed.
    h.bridge().sim(Radio::Zigbee).unwrap().fail_next(1);

    let check = |error: &Value, code: &str, field: &str, rule: &str, message: &str| {
        assert_eq!(error["code"], code, "{error}");
        assert_eq!(error["field"], field, "{error}");
        assert_eq!(error["rule"], rule, "{error}");
        assert_eq!(error["message"], message, "{error}");
    };

    let range = h
        .command(&rgb, "set_brightness", json!({"brightness": 150}))
        .unwrap_err();
    check(
        &range,
        "invalid_payload",
        "brightness",
        "range",
        "brightness: 150 is above the maximum 100",
    );
    assert_eq!(range["device"], rgb);

    let wrong_type = h
        .command(&rgb, "set_brightness", json!({"brightness": "high"}))
        .unwrap_err();
    check(
        &wrong_type,
        "invalid_payload",
        "brightness",
        "type",
        "brightness: \"high\" is not an integer",
    );

    let required = h.command(&rgb, "set_color", json!({})).unwrap_err();
    check(
        &required,
        "invalid_payload",
        "color",
        "required",
        "color: is required",
    );

    let hex = h
        .command(&rgb, "set_color", json!({"color": "zz0000"}))
        .unwrap_err();
    check(
        &hex,
        "invalid_payload",
        "color",
        "format",
        "color: \"zz0000\" is not hexadecimal",
    );

    let unknown_field = h
        .command(&rgb, "set_color", json!({"colour": "ff0000"}))
        .unwrap_err();
    assert_eq!(unknown_field["rule"], "unknown_field");
    assert_eq!(unknown_field["errors"].as_array().unwrap().len(), 2);

    let unknown_command = h.command(&rgb, "explode", json!({})).unwrap_err();
    assert_eq!(unknown_command["code"], "unknown_command");
    assert!(
        unknown_command["message"]
            .as_str()
            .unwrap()
            .contains("set_color"),
        "{unknown_command}"
    );

    let unknown_device = h
        .command("zigbee:00124b00deadbeef", "turn_on", json!({}))
        .unwrap_err();
    assert_eq!(unknown_device["code"], "unknown_device");
    assert_eq!(unknown_device["device"], "zigbee:00124b00deadbeef");

    let not_registered = h.command(&scale, "tare", json!({})).unwrap_err();
    assert_eq!(not_registered["code"], "not_registered");

    let bad_json = h.err("hardware/command", json!("not an object"));
    assert_eq!(bad_json["code"], "invalid_request");

    // Configuration: regex, length, required, range.
    let regex = h.err(
        "hardware/register",
        json!({"device": scale, "config": {"serial_number": "XX-12"}}),
    );
    check(
        &regex,
        "invalid_config",
        "serial_number",
        "regex",
        "serial_number: \"XX-12\" does not match the pattern SC-[0-9]{6}",
    );
    let length = h.err(
        "hardware/register",
        json!({"device": scale, "config": {"serial_number": "SC-123456", "pin": "12345"}}),
    );
    check(
        &length,
        "invalid_config",
        "pin",
        "length",
        "pin: \"12345\" has 5 characters, needs exactly 4",
    );
    let missing = h.err("hardware/register", json!({"device": scale}));
    check(
        &missing,
        "invalid_config",
        "serial_number",
        "required",
        "serial_number: is required",
    );
    let key = h.err(
        "hardware/register",
        json!({"device": scale, "config": {"serial_number": "SC-123456",
                                           "pairing_key": "000102030405060708090a0b0c0d0e0g"}}),
    );
    check(
        &key,
        "invalid_config",
        "pairing_key",
        "format",
        "pairing_key: \"000102030405060708090a0b0c0d0e0g\" is not hexadecimal",
    );
    let range = h.err(
        "hardware/configure",
        json!({"device": rgb, "config": {"transition_ms": 20000}}),
    );
    check(
        &range,
        "invalid_config",
        "transition_ms",
        "range",
        "transition_ms: 20000 is above the maximum 10000",
    );
    let bad_name = h.err("hardware/configure", json!({"device": rgb, "name": ""}));
    assert_eq!(bad_name["field"], "name");

    // Nothing above reached the dongle: the forced failure is still armed.
    let forced = h.command(&rgb, "turn_on", json!({})).unwrap_err();
    assert_eq!(forced["code"], "device_error", "{forced}");
    assert_eq!(forced["device"], rgb);
    let reported = h.wait_event("hardware/events/error", |e| e["device"] == rgb);
    assert_eq!(reported["code"], "device_error");
    assert_eq!(reported["radio"], "zigbee");
    // And the device works again afterwards.
    let on = h
        .command(&rgb, "set_color", json!({"color": "FF8800"}))
        .unwrap();
    assert_eq!(on["state"]["color"], "FF8800");
    assert_eq!(on["state"]["on"], true);

    // A valid registration with a full configuration goes through.
    let ok = h.register(
        &scale,
        "Bathroom",
        json!({"serial_number": "SC-123456", "pin": "0420",
               "pairing_key": "000102030405060708090a0b0c0d0e0f"}),
    );
    assert_eq!(ok["device"]["config"]["display_unit"], "kg");
}

#[test]
fn a_silent_dongle_times_out_while_the_host_and_other_radios_go_on() {
    let mut h = Harness::new(quiet_bridge().command_timeout(Duration::from_millis(1000)));
    // Count frames, to show the game loop keeps going.
    h.app
        .init_resource::<Frames>()
        .add_systems(Update, count_frames);
    h.discover();
    let zigbee = h.find("zigbee", "bulb");
    let wifi = h.find("wifi", "bulb");
    h.register(&zigbee, "Silent", json!({}));
    h.register(&wifi, "Loud", json!({}));

    h.bridge().sim(Radio::Zigbee).unwrap().set_answering(false);
    let started = Instant::now();
    let stuck = h
        .client
        .request(
            h.channel("hardware/command"),
            json!({"device": zigbee, "command": "turn_on"})
                .to_string()
                .as_bytes(),
        )
        .unwrap();

    // While the zigbee dongle is silent, Wi-Fi devices answer and frames go on.
    let frames_before = h.app.world().resource::<Frames>().0;
    let on = h.command(&wifi, "turn_on", json!({})).unwrap();
    assert_eq!(on["state"]["on"], true);
    let adapters = h.ok("hardware/adapters", json!({}));
    assert_eq!(adapters["adapters"][2]["status"], "running");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "the wifi answer waited for the silent dongle"
    );
    assert!(h.app.world().resource::<Frames>().0 > frames_before);

    // The stuck request ends with a timeout error naming device and time.
    let deadline = Instant::now() + PATIENCE;
    let error = loop {
        assert!(Instant::now() < deadline, "no timeout answer");
        h.app.update();
        match h.client.recv(Duration::from_millis(2)) {
            Ok(Incoming::Response {
                request_id,
                result: Err(error),
                ..
            }) if request_id == stuck => break serde_json::from_str::<Value>(&error).unwrap(),
            Ok(Incoming::Response {
                request_id, result, ..
            }) if request_id == stuck => {
                panic!("expected a timeout, got {result:?}")
            }
            Ok(incoming) => h.keep(incoming),
            Err(ClientError::Timeout) => {}
            Err(e) => panic!("client error: {e}"),
        }
    };
    let waited = started.elapsed();
    assert_eq!(error["code"], "timeout", "{error}");
    assert_eq!(error["device"], zigbee);
    assert!(
        error["message"].as_str().unwrap().contains("1000 ms"),
        "{error}"
    );
    assert!(
        waited >= Duration::from_millis(1000) && waited < Duration::from_secs(4),
        "answered after {waited:?}"
    );
    let event = h.wait_event("hardware/events/error", |e| e["code"] == "timeout");
    assert_eq!(event["radio"], "zigbee");
    assert_eq!(h.bridge().adapters()[0].status, AdapterStatus::NotAnswering);
    let status = h.wait_event("hardware/events/adapters", |e| {
        e["adapters"][0]["status"] == "not_answering"
    });
    assert_eq!(status["adapters"][0]["radio"], "zigbee");

    // Still usable: other radios, and the zigbee one once it answers again.
    assert!(h.command(&wifi, "turn_off", json!({})).is_ok());
    h.bridge().sim(Radio::Zigbee).unwrap().set_answering(true);
    let back = h.command(&zigbee, "turn_on", json!({})).unwrap();
    assert_eq!(back["state"]["on"], true);
    assert_eq!(h.bridge().adapters()[0].status, AdapterStatus::Running);
}

#[derive(Resource, Default)]
struct Frames(u64);

fn count_frames(mut frames: ResMut<Frames>) {
    frames.0 += 1;
}

#[test]
fn the_registry_survives_a_restart() {
    let path = temp_registry("restart");
    let bulb;
    {
        let mut h = Harness::new(quiet_bridge().registry(&path));
        h.discover();
        bulb = h.find("zwave", "bulb");
        h.register(&bulb, "Porch", json!({"transition_ms": 50}));
        h.command(&bulb, "set_brightness", json!({"brightness": 25}))
            .unwrap();
        h.client.close().unwrap();
    }
    // The game restarts with the same file: no discovery, no registration.
    let mut h = Harness::new(quiet_bridge().registry(&path));
    let devices = h.ok("hardware/devices", json!({"registered": true}));
    let list = devices["devices"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{devices}");
    let stored = &list[0];
    assert_eq!(stored["id"], bulb);
    assert_eq!(stored["name"], "Porch");
    assert_eq!(stored["config"]["transition_ms"], 50);
    assert_eq!(stored["state"], json!({"on": true, "brightness": 25}));

    // The device is re-attached to its dongle with its last state.
    let deadline = Instant::now() + PATIENCE;
    while !h.bridge().device(&bulb).unwrap().available {
        assert!(Instant::now() < deadline, "device not restored");
        h.app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    let state = h.ok("hardware/state", json!({"device": bulb}));
    assert_eq!(state["state"], json!({"on": true, "brightness": 25}));
    let off = h.command(&bulb, "turn_off", json!({})).unwrap();
    assert_eq!(off["state"]["on"], false);
    drop(h);

    // And the change made after the restart is kept too.
    let mut h = Harness::new(quiet_bridge().registry(&path));
    let state = h.ok("hardware/state", json!({"device": bulb, "cached": true}));
    assert_eq!(state["state"]["on"], false);
    drop(h);
    remove_registry(&path);
}

#[test]
fn start_up_discovery_lists_devices_before_anyone_asks() {
    let mut h = Harness::new(quiet_bridge().register_discovered(true));
    let deadline = Instant::now() + PATIENCE;
    loop {
        h.app.update();
        let bridge = h.bridge();
        let registered = bridge.devices().filter(|d| d.registered).count();
        // Every type except the scale, whose configuration needs a serial number.
        let expected = bridge.devices().filter(|d| d.type_id != "scale").count();
        if bridge.devices().count() > 0 && bridge.pending() == 0 && registered == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "start-up discovery did not finish"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let devices = h.ok("hardware/devices", json!({}));
    assert!(devices["devices"].as_array().unwrap().len() >= 17);
}

#[test]
fn sensors_report_on_their_own() {
    let simulation = SimulationConfig {
        latency: Duration::from_millis(1),
        jitter: Duration::ZERO,
        failure_rate: 0.0,
        report_interval: Duration::from_millis(30),
        ..SimulationConfig::default()
    };
    let mut h = Harness::new(HardwareBridgePlugin::default().simulation(simulation));
    h.discover();
    let sensor = h.find("bluetooth", "temperature_sensor");
    let registered = h.register(&sensor, "Cellar", json!({"report_interval_s": 60}));
    let first = registered["device"]["state"]["temperature"]
        .as_f64()
        .unwrap();
    let report = h.wait_event("hardware/events/changed", |e| {
        e["device"] == sensor && e["cause"] == "report"
    });
    let changes = report["changes"].as_object().unwrap();
    assert!(!changes.is_empty());
    for (name, value) in changes {
        assert!(
            ["temperature", "humidity"].contains(&name.as_str()),
            "{report}"
        );
        assert!(value.is_number());
    }
    let temperature = report["state"]["temperature"].as_f64().unwrap();
    assert!(
        (temperature - first).abs() < 5.0,
        "{first} -> {temperature}"
    );
}

#[test]
fn device_types_load_from_a_folder() {
    let dir = std::env::temp_dir().join(format!("switchboard-hw-types-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("fan.yml"),
        "id: fan\nname: Ceiling fan\nradios: [zigbee]\n\
         state:\n  speed: {type: integer, minimum: 0, maximum: 3}\n\
         commands:\n  set_speed:\n    payload:\n      speed: {type: integer, required: true, minimum: 0, maximum: 3}\n",
    )
    .unwrap();
    let mut h = Harness::new(quiet_bridge().types_dir(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(h.bridge().type_errors().is_empty());
    h.discover();
    let fan = h.find("zigbee", "fan");
    h.register(&fan, "Bedroom fan", json!({}));
    let fast = h.command(&fan, "set_speed", json!({"speed": 3})).unwrap();
    assert_eq!(fast["state"]["speed"], 3);
    let too_fast = h
        .command(&fan, "set_speed", json!({"speed": 5}))
        .unwrap_err();
    assert_eq!(too_fast["message"], "speed: 5 is above the maximum 3");
    let td = h.ok("hardware/describe", json!({"device": fan}));
    assert_eq!(
        td["actions"]["set_speed"]["input"]["properties"]["speed"]["maximum"],
        3
    );
}
