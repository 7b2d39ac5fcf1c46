//! The Z-Wave radio end to end: a `SimulatedController` serves the Serial
//! API on a pseudo-terminal, the bridge drives it through `ZWaveAdapter`
//! (`.zwave_port(sim.path())`, the same code a USB stick at /dev/ttyACM0
//! would get), and a real WebSocket client works the `hardware/*` channels
//! while the app runs frame by frame. The other radios stay simulated
//! dongles. Every wait is bounded.
#![cfg(feature = "hardware")]

mod common;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::PATIENCE;
use common::hardware::Harness;
use serde_json::{Value, json};
use switchboard::agents::hardware::zwave::FunctionId;
use switchboard::agents::hardware::zwave::sim::{SimConfig, SimulatedController};
use switchboard::agents::hardware::{AdapterStatus, HardwareBridgePlugin, Radio};

/// The tests here open and close pseudo-terminals, whose numbers the
/// system reuses at once: one test at a time, so an adapter reopening a
/// closed terminal cannot land on another test's simulator.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Z-Wave commands get 3 s: enough for a command issued right after the
/// controller comes back to wait out the `ACK` timeout (1600 ms) of a frame
/// sent while it was silent.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);

fn bridge() -> HardwareBridgePlugin {
    HardwareBridgePlugin::default()
        .latency(Duration::from_millis(1), Duration::from_millis(1))
        .failure_rate(0.0)
        .command_timeout(COMMAND_TIMEOUT)
}

/// What only the Z-Wave tests ask of the harness.
trait ZwaveHarness {
    fn zwave_adapter(&mut self) -> Value;
    fn zwave_status(&self) -> AdapterStatus;
}

impl ZwaveHarness for Harness {
    /// The Z-Wave adapter as `hardware/adapters` lists it, once it has left
    /// `starting`.
    fn zwave_adapter(&mut self) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let adapters = self.ok("hardware/adapters", json!({}));
            let zwave = adapters["adapters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["radio"] == "zwave")
                .unwrap_or_else(|| panic!("no zwave adapter: {adapters}"))
                .clone();
            if zwave["status"] != "starting" {
                return zwave;
            }
            assert!(Instant::now() < deadline, "the zwave adapter never started");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn zwave_status(&self) -> AdapterStatus {
        self.bridge()
            .adapters()
            .into_iter()
            .find(|a| a.info.radio == Radio::Zwave)
            .unwrap()
            .status
    }
}

/// Polls the simulator until node 2's switch is `on`.
fn wait_switch(sim: &SimulatedController, on: bool) {
    let deadline = Instant::now() + PATIENCE;
    while sim.switch_state(2) != Some(on) {
        assert!(Instant::now() < deadline, "node 2 never became {on}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_zwave_switch_end_to_end_over_websocket() {
    let _serial = one_at_a_time();
    let sim = SimulatedController::start().expect("pseudo-terminal");
    let mut h = Harness::new(bridge().zwave_port(sim.path()));

    // The adapter read the controller: version, home id, its own node.
    let zwave = h.zwave_adapter();
    assert_eq!(zwave["status"], "running", "{zwave}");
    assert_eq!(zwave["simulated"], false);
    assert_eq!(zwave["port"], sim.path().display().to_string());
    assert_eq!(
        zwave["name"], "Z-Wave controller (home id C0FFEE42, node 1)",
        "{zwave}"
    );
    let firmware = zwave["firmware"].as_str().unwrap();
    assert!(
        firmware.starts_with("Z-Wave 7.18 (static controller"),
        "{firmware}"
    );
    // The game sees the same.
    let view = h.bridge().adapters()[1].clone();
    assert_eq!(view.info.radio, Radio::Zwave);
    assert_eq!(Some(firmware), view.info.firmware.as_deref());

    // Discovery lists node 2 (a binary switch), never the controller.
    let found = h.ok("hardware/discover", json!({"radio": "zwave"}));
    assert_eq!(found["errors"], json!([]), "{found}");
    let devices = found["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{found}");
    let switch = "zwave:2";
    assert_eq!(devices[0]["id"], switch);
    assert_eq!(devices[0]["type"], "switch");
    assert_eq!(devices[0]["address"], "2");
    assert_eq!(devices[0]["registered"], false);
    let announced = h.wait_event("hardware/events/discovered", |d| d["id"] == switch);
    assert_eq!(announced["model"], "Z-Wave binary switch");

    // Register: the adapter reads the switch (off) and follows its reports.
    let registered = h.ok(
        "hardware/register",
        json!({"device": switch, "name": "Desk lamp", "config": {}}),
    );
    assert_eq!(registered["device"]["registered"], true);
    assert_eq!(registered["device"]["state"], json!({"on": false}));
    h.wait_event("hardware/events/changed", |e| {
        e["device"] == switch && e["cause"] == "register"
    });

    // turn_on reaches the node (Switch Binary Set through SendData).
    let on = h.command(switch, "turn_on", json!({})).unwrap();
    assert_eq!(on["state"]["on"], true);
    assert_eq!(sim.switch_state(2), Some(true));
    let changed = h.wait_event("hardware/events/changed", |e| {
        e["device"] == switch && e["cause"] == "command"
    });
    assert_eq!(changed["changes"], json!({"on": true}));

    // Someone presses the switch: its report arrives as a change.
    sim.press_switch(2, false);
    let pressed = h.wait_event("hardware/events/changed", |e| {
        e["device"] == switch && e["cause"] == "report"
    });
    assert_eq!(pressed["changes"], json!({"on": false}));
    assert_eq!(pressed["state"]["on"], false);

    // Reading asks the node (Switch Binary Get).
    let read = h.ok("hardware/state", json!({"device": switch}));
    assert_eq!(read["state"], json!({"on": false}));
    assert_eq!(read["cached"], false);

    // toggle reads the switch and sends the opposite.
    let toggled = h.command(switch, "toggle", json!({})).unwrap();
    assert_eq!(toggled["state"]["on"], true);
    assert_eq!(sim.switch_state(2), Some(true));
    let off = h.command(switch, "turn_off", json!({})).unwrap();
    assert_eq!(off["state"]["on"], false);
    wait_switch(&sim, false);

    // A command the type does not have is refused before the radio.
    let unknown = h.err(
        "hardware/command",
        json!({"device": switch, "command": "set_brightness"}),
    );
    assert_eq!(unknown["code"], "unknown_command", "{unknown}");

    // A simulated Zigbee switch, to show other radios keep answering.
    let zigbee = h.ok("hardware/discover", json!({"radio": "zigbee"}))["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "switch")
        .expect("a zigbee switch")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.ok(
        "hardware/register",
        json!({"device": zigbee, "name": "Fan", "config": {}}),
    );

    // The controller goes silent: the Z-Wave command times out...
    sim.set_silent(true);
    let started = Instant::now();
    let stuck = h.send(
        "hardware/command",
        json!({"device": switch, "command": "turn_on"}),
    );
    // ...while the Zigbee dongle answers at once.
    let fan = h.command(&zigbee, "turn_on", json!({})).unwrap();
    assert_eq!(fan["state"]["on"], true);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "the zigbee answer waited for the silent controller"
    );
    let error = h.answer(stuck).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error["code"], "timeout", "{error}");
    assert_eq!(error["device"], switch);
    assert!(
        error["message"].as_str().unwrap().contains("3000 ms"),
        "{error}"
    );
    assert!(
        waited >= COMMAND_TIMEOUT && waited < COMMAND_TIMEOUT + Duration::from_secs(2),
        "answered after {waited:?}"
    );
    let event = h.wait_event("hardware/events/error", |e| e["device"] == switch);
    assert_eq!(event["code"], "timeout");
    assert_eq!(event["radio"], "zwave");
    assert_eq!(h.zwave_status(), AdapterStatus::NotAnswering);
    assert!(h.command(&zigbee, "turn_off", json!({})).is_ok());

    // The controller answers again. The timed-out turn_on was dropped, not
    // delivered late: the switch is still off, and commands work.
    sim.set_silent(false);
    let read = h.ok("hardware/state", json!({"device": switch}));
    assert_eq!(read["state"]["on"], false, "{read}");
    assert_eq!(sim.switch_state(2), Some(false));
    assert_eq!(h.zwave_status(), AdapterStatus::Running);
    let on = h.command(switch, "turn_on", json!({})).unwrap();
    assert_eq!(on["state"]["on"], true);
    assert_eq!(sim.switch_state(2), Some(true));
    sim.press_switch(2, false);
    h.wait_event("hardware/events/changed", |e| {
        e["device"] == switch && e["cause"] == "report" && e["changes"]["on"] == false
    });
}

#[test]
fn an_unplugged_controller_is_an_adapter_error() {
    let _serial = one_at_a_time();
    let sim = SimulatedController::start().expect("pseudo-terminal");
    let path = sim.path().display().to_string();
    let mut h = Harness::new(bridge().zwave_port(sim.path()));
    assert_eq!(h.zwave_adapter()["status"], "running");
    h.ok("hardware/discover", json!({"radio": "zwave"}));
    h.ok(
        "hardware/register",
        json!({"device": "zwave:2", "name": "Lamp", "config": {}}),
    );

    // The stick goes away: the bridge says so on its own, as the adapter's
    // failure (not a device's)...
    drop(sim);
    let event = h.wait_event("hardware/events/error", |e| e["radio"] == "zwave");
    assert_eq!(event["device"], Value::Null);
    assert_eq!(event["code"], "adapter_error", "{event}");
    let message = event["message"].as_str().unwrap();
    assert!(
        message.contains("disconnected") && message.contains(&path),
        "{message}"
    );
    // ...and lists the adapter as failed, with the reason.
    let zwave = h.zwave_adapter();
    assert_eq!(zwave["status"], "failed", "{zwave}");
    let reason = zwave["error"].as_str().unwrap();
    assert!(
        reason.contains("disconnected") && reason.contains(&path),
        "{reason}"
    );

    // ...and a command gets a clear adapter error, not a hang.
    let error = h.command("zwave:2", "turn_on", json!({})).unwrap_err();
    assert_eq!(error["code"], "adapter_error", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&path) && message.contains("disconnected"),
        "{message}"
    );
    assert_eq!(h.zwave_status(), AdapterStatus::Failed);
    // Other radios are unaffected.
    assert_eq!(
        h.ok("hardware/discover", json!({"radio": "wifi"}))["errors"],
        json!([])
    );
}

#[test]
fn start_up_needs_no_retransmission_at_a_controller_that_resets_on_nak() {
    let _serial = one_at_a_time();
    let sim = SimulatedController::start_with(SimConfig {
        resync_on_nak: true,
        ..SimConfig::default()
    })
    .expect("pseudo-terminal");
    let mut h = Harness::new(bridge().zwave_port(sim.path()));
    let zwave = h.zwave_adapter();
    assert_eq!(zwave["status"], "running", "{zwave}");
    // Each start-up request went out once: the first one was not lost
    // with the opening NAK and sent again after an ACK timeout.
    for function in [
        FunctionId::GET_VERSION,
        FunctionId::MEMORY_GET_ID,
        FunctionId::GET_INIT_DATA,
    ] {
        assert_eq!(sim.received_count(function), 1, "{function}");
    }
}

#[test]
fn a_missing_port_leaves_the_radio_failed_with_the_reason() {
    let _serial = one_at_a_time();
    let mut h = Harness::new(bridge().zwave_port("/dev/switchboard-no-such-stick"));
    let zwave = h.zwave_adapter();
    assert_eq!(zwave["status"], "failed", "{zwave}");
    let reason = zwave["error"].as_str().unwrap();
    assert!(
        reason.contains("/dev/switchboard-no-such-stick") && reason.contains("does not exist"),
        "{reason}"
    );
    // Discovery tries to open it again, reports why it cannot and goes on
    // with the other radios.
    let found = h.ok("hardware/discover", json!({}));
    let errors = found["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{found}");
    assert_eq!(errors[0]["radio"], "zwave");
    assert_eq!(errors[0]["code"], "adapter_error");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("does not exist"), "{message}");
    let event = h.wait_event("hardware/events/error", |e| e["radio"] == "zwave");
    assert_eq!(event["code"], "adapter_error");
    // The discovery's result did not make it look alive.
    let zwave = h.zwave_adapter();
    assert_eq!(zwave["status"], "failed", "{zwave}");
    assert!(
        zwave["error"].as_str().unwrap().contains("does not exist"),
        "{zwave}"
    );
    assert!(
        found["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["radio"] == "zigbee"),
        "{found}"
    );
}
