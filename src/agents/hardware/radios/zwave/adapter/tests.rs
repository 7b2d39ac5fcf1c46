//! The adapter against the simulated controller on a pseudo-terminal.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::FunctionId;
use super::super::sim::{SimConfig, SimulatedController};
use super::mapping::{SWITCH_TYPE, on_state};
use super::*;

/// Polls the adapter until `pick` accepts an event, for at most 5 s.
fn poll_until(
    adapter: &mut ZWaveAdapter,
    pick: impl Fn(&AdapterEvent) -> bool,
) -> Vec<AdapterEvent> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    loop {
        seen.extend(adapter.poll_events());
        if seen.iter().any(&pick) {
            return seen;
        }
        assert!(Instant::now() < deadline, "no matching event: {seen:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn state_changed(node: &str, field: &str, value: Value) -> impl Fn(&AdapterEvent) -> bool {
    let node = node.to_owned();
    let field = field.to_owned();
    move |e| {
        matches!(e, AdapterEvent::StateChanged { address, changes }
                if *address == node && changes.get(&field) == Some(&value))
    }
}

#[test]
fn the_adapter_against_the_simulated_controller() {
    let sim = SimulatedController::start_with(SimConfig {
        switch_nodes: vec![(2, false), (3, true)],
        ..SimConfig::default()
    })
    .unwrap();
    let options = ControllerOptions::default()
        .ack_timeout(Duration::from_millis(300))
        .retransmit_delay(Duration::from_millis(10), Duration::from_millis(20));
    let mut adapter = ZWaveAdapter::new(sim.path(), options);
    let t = Duration::from_secs(2);
    adapter.start(t).unwrap();
    let info = adapter.info();
    assert_eq!(info.name, "Z-Wave controller (home id C0FFEE42, node 1)");
    assert_eq!(
        info.firmware.as_deref(),
        Some("Z-Wave 7.18 (static controller, Serial API 8)")
    );

    let found = adapter.discover(t).unwrap();
    let addresses: Vec<&str> = found.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(addresses, ["2", "3"]);
    assert!(found.iter().all(|d| d.type_id == SWITCH_TYPE));

    let none = Object::new();
    assert_eq!(
        adapter.command("2", "turn_on", &none, t),
        Err(AdapterError::NotPaired("2".into()))
    );
    assert_eq!(
        adapter.read_state("9", t),
        Err(AdapterError::UnknownAddress("9".into()))
    );
    let pairing = |address: &str, type_id: &str| Pairing {
        address: address.into(),
        type_id: type_id.into(),
        config: Object::new(),
        last_state: None,
    };
    assert!(matches!(
        adapter.pair(&pairing("2", "bulb"), t),
        Err(AdapterError::Unsupported(_))
    ));
    assert_eq!(
        adapter.pair(&pairing("1", SWITCH_TYPE), t),
        Err(AdapterError::UnknownAddress("1".into()))
    );
    assert_eq!(
        adapter.pair(&pairing("2", SWITCH_TYPE), t),
        Ok(on_state(Some(false)))
    );

    // Commands, with the state afterwards.
    assert_eq!(
        adapter.command("2", "toggle", &none, t),
        Ok(on_state(Some(true)))
    );
    assert_eq!(sim.switch_state(2), Some(true));
    assert_eq!(
        adapter.command("2", "turn_off", &none, t),
        Ok(on_state(Some(false)))
    );
    assert_eq!(sim.switch_state(2), Some(false));
    assert!(matches!(
        adapter.command("2", "set_brightness", &none, t),
        Err(AdapterError::Unsupported(_))
    ));
    assert_eq!(adapter.configure("2", &none, t), Ok(()));

    // Reports from the paired node become changes; node 3 is not
    // paired, so its reports are not.
    sim.press_switch(3, false);
    sim.press_switch(2, true);
    let events = poll_until(&mut adapter, state_changed("2", "on", Value::Bool(true)));
    assert!(
        !events.iter().any(|e| matches!(e,
                AdapterEvent::StateChanged { address, .. } if address == "3")),
        "{events:?}"
    );
    sim.send_node_command(2, &[0x20, 0x01, 0x00]);
    poll_until(&mut adapter, state_changed("2", "on", Value::Bool(false)));
    sim.send_node_command(2, &[0x32, 0x02, 0x01, 0b0011_0010, 0x00, 0x64]);
    poll_until(
        &mut adapter,
        state_changed("2", "power_w", Value::from(10.0)),
    );

    // A node announcing itself as a switch is discovered.
    sim.send_callback(
        FunctionId::APPLICATION_UPDATE,
        &[0x84, 7, 5, 0x04, 0x10, 0x01, 0x25, 0x86],
    );
    poll_until(
        &mut adapter,
        |e| matches!(e, AdapterEvent::Discovered(d) if d.address == "7" && d.type_id == SWITCH_TYPE),
    );

    // A silent controller: a timeout within the time given, and the
    // command is not delivered once the controller answers again.
    adapter.command("2", "turn_off", &none, t).unwrap();
    assert_eq!(sim.switch_state(2), Some(false));
    sim.set_silent(true);
    let started = Instant::now();
    let short = Duration::from_millis(200);
    assert_eq!(
        adapter.command("2", "turn_on", &none, short),
        Err(AdapterError::Timeout(short))
    );
    assert!(started.elapsed() < short + Duration::from_millis(150));
    assert!(adapter.poll_events().is_empty());
    sim.set_silent(false);
    assert_eq!(adapter.read_state("2", t), Ok(on_state(Some(false))));
    assert_eq!(sim.switch_state(2), Some(false));

    // Unplugged: reported once by poll_events.
    let path = sim.path().display().to_string();
    drop(sim);
    let events = poll_until(&mut adapter, |e| matches!(e, AdapterEvent::Error { .. }));
    assert!(
        matches!(&events[..], [AdapterEvent::Error { address: None, error: AdapterError::Io(message) }]
                if message.contains(&path)),
        "{events:?}"
    );
    assert!(adapter.poll_events().is_empty());
    // (The next request would reopen the path; other tests in this
    // process may own a new terminal with the same number by now, so
    // that part is left to tests/hardware_zwave.rs.)
    assert_eq!(adapter.stop(t), Ok(()));
}

#[test]
fn a_missing_port_is_a_clear_adapter_error() {
    let mut adapter = ZWaveAdapter::new(
        "/dev/switchboard-no-such-stick",
        ControllerOptions::default(),
    );
    let err = adapter.start(Duration::from_secs(1)).unwrap_err();
    match &err {
        AdapterError::Io(message) => {
            assert!(
                message.contains("/dev/switchboard-no-such-stick")
                    && message.contains("does not exist"),
                "{message}"
            );
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert_eq!(err.code(), "adapter_error");
    assert_eq!(adapter.info().firmware, None);
    assert!(adapter.poll_events().is_empty());
}
