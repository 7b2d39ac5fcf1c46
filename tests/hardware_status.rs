//! The adapters' status is the truth, over a real WebSocket client: a
//! Z-Wave controller (the simulator on a pseudo-terminal) that goes away
//! during start-up leaves its adapter listed as failed with the reason,
//! through the start-up discovery and any later job, not as running.
#![cfg(feature = "hardware")]

mod common;

use std::time::Duration;

use common::hardware::Harness;
use serde_json::{Value, json};
use switchboard::agents::hardware::zwave::FunctionId;
use switchboard::agents::hardware::zwave::sim::{SimConfig, SimulatedController};
use switchboard::agents::hardware::{AdapterStatus, HardwareBridgePlugin, Radio};

fn zwave(adapters: &Value) -> Value {
    adapters["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["radio"] == "zwave")
        .unwrap_or_else(|| panic!("no zwave adapter: {adapters}"))
        .clone()
}

#[test]
fn a_controller_that_goes_away_during_start_up_leaves_the_adapter_failed() {
    // The controller answers GetVersion, then goes away when asked for its
    // ids. It stays alive as an object, so its terminal's number is not
    // reused while the adapter tries to open the path again.
    let sim = SimulatedController::start_with(SimConfig {
        hang_up_on: Some(FunctionId::MEMORY_GET_ID),
        ..SimConfig::default()
    })
    .expect("pseudo-terminal");
    let path = sim.path().display().to_string();
    let mut h = Harness::new(
        HardwareBridgePlugin::default()
            .latency(Duration::from_millis(1), Duration::from_millis(1))
            .failure_rate(0.0)
            .zwave_port(sim.path())
            .discover_on_start(true),
    );

    // The start failed and was reported as such...
    let start = h.wait_event("hardware/events/error", |e| {
        e["radio"] == "zwave" && e["message"].as_str().unwrap().contains("did not start")
    });
    assert!(sim.hung_up());
    assert_eq!(start["code"], "adapter_error", "{start}");
    assert_eq!(start["device"], Value::Null);
    let message = start["message"].as_str().unwrap();
    assert!(
        message.contains(&path) && message.contains("hung up"),
        "{message}"
    );
    // ...and so was the start-up discovery's Z-Wave part, which tried to
    // open the controller again.
    let discovery = h.wait_event("hardware/events/error", |e| {
        e["radio"] == "zwave" && e["message"].as_str().unwrap().contains("discovery")
    });
    assert_eq!(discovery["code"], "adapter_error", "{discovery}");

    // After the discovery's result, the adapter is still failed, with the
    // reason and no firmware or devices, on the channel, on the event
    // channel and for the game.
    let listed = zwave(&h.ok("hardware/adapters", json!({})));
    assert_eq!(listed["status"], "failed", "{listed}");
    assert_eq!(listed["firmware"], Value::Null, "{listed}");
    assert_eq!(listed["devices"], 0, "{listed}");
    let reason = listed["error"].as_str().unwrap_or_default();
    assert!(reason.contains(&path), "{listed}");
    let snapshot = h.wait_event("hardware/events/adapters", |e| {
        zwave(e)["status"] == "failed"
    });
    assert_eq!(zwave(&snapshot)["error"], listed["error"]);
    let view = h
        .bridge()
        .adapters()
        .into_iter()
        .find(|a| a.info.radio == Radio::Zwave)
        .unwrap();
    assert_eq!(view.status, AdapterStatus::Failed);
    assert_eq!(view.error.as_deref(), Some(reason));

    // A later job gets the reason too, and leaves the status as it is.
    let found = h.ok("hardware/discover", json!({"radio": "zwave"}));
    let errors = found["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{found}");
    assert_eq!(errors[0]["code"], "adapter_error");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("has not started"),
        "{found}"
    );
    assert_eq!(
        zwave(&h.ok("hardware/adapters", json!({})))["status"],
        "failed"
    );
    // The other radios started and answer.
    let adapters = h.ok("hardware/adapters", json!({}));
    for adapter in adapters["adapters"].as_array().unwrap() {
        if adapter["radio"] != "zwave" {
            assert_eq!(adapter["status"], "running", "{adapter}");
        }
    }
}
