//! The Z-Wave Serial API transport end to end: a `ZWaveController` drives a
//! simulated controller over a real pseudo-terminal, through the same
//! termios and poll code a USB stick at /dev/ttyACM0 would use.

#![cfg(feature = "hardware")]

use switchboard::agents::hardware::zwave;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use zwave::sim::{SimConfig, SimulatedController};
use zwave::{
    AckFailure, ControllerOptions, DataFrame, FunctionId, LibraryType, NodeCommand, TransmitStatus,
    TxOptions, ZWaveController, ZWaveError, command_class,
};

/// Upper bound for anything that should happen promptly.
const PATIENCE: Duration = Duration::from_secs(5);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Short timeouts so failure paths finish quickly, but an ACK timeout long
/// enough that a loaded machine does not cause spurious retransmissions in
/// the tests that count attempts.
fn options() -> ControllerOptions {
    ControllerOptions::default()
        .ack_timeout(ms(400))
        .retransmit_delay(ms(10), ms(20))
        .response_timeout(ms(1500))
        .callback_timeout(ms(3000))
        .report_timeout(ms(3000))
        .frame_receive_timeout(ms(150))
}

fn start() -> (SimulatedController, ZWaveController) {
    start_with(options())
}

/// A function the simulator acknowledges but does not answer, used only to
/// synchronise with it.
const SYNC: FunctionId = FunctionId(0x7F);

fn start_with(options: ControllerOptions) -> (SimulatedController, ZWaveController) {
    let sim = SimulatedController::start().expect("pseudo-terminal");
    let controller = ZWaveController::open(sim.path(), options).expect("open the pty slave");
    // The controller sends a NAK when it opens the port, which makes a real
    // stick (and the simulator) retransmit whatever frame it was sending.
    // Once this ACK-only request went through, that NAK has been consumed,
    // so frames the tests make the simulator send are never duplicated.
    controller
        .send_command(SYNC, &[])
        .expect("simulator answers");
    (sim, controller)
}

#[test]
fn typed_functions_against_the_simulator() {
    let (_sim, controller) = start();

    let version = controller.get_version().unwrap();
    assert_eq!(version.version, "Z-Wave 7.18");
    assert_eq!(version.library_type, LibraryType::StaticController);

    let ids = controller.memory_get_id().unwrap();
    assert_eq!(ids.home_id, 0xC0FF_EE42);
    assert_eq!(ids.node_id, 1);

    let init = controller.get_init_data().unwrap();
    assert_eq!(init.node_ids, [1, 2]);
    assert!(init.is_sis());
    assert_eq!(init.chip_type, Some(7));

    let stats = controller.stats();
    assert_eq!(stats.frames_sent, 1 + 3, "SYNC and three requests");
    assert_eq!(stats.retransmissions, 0);
    assert!(stats.frames_received >= 3);
}

#[test]
fn custom_simulator_configuration() {
    let sim = SimulatedController::start_with(SimConfig {
        home_id: 0x0102_0304,
        node_id: 7,
        switch_nodes: vec![(3, true), (12, false)],
        version: "Z-Wave 4.05".into(),
        library_type: 0x07,
        ..SimConfig::default()
    })
    .unwrap();
    let controller = ZWaveController::open(sim.path(), options()).unwrap();
    assert_eq!(controller.memory_get_id().unwrap().home_id, 0x0102_0304);
    assert_eq!(controller.memory_get_id().unwrap().node_id, 7);
    assert_eq!(controller.get_init_data().unwrap().node_ids, [3, 7, 12]);
    let version = controller.get_version().unwrap();
    assert_eq!(version.library_type, LibraryType::BridgeController);
    assert_eq!(controller.switch_binary_get(3).unwrap(), Some(true));
}

#[test]
fn retransmits_after_nak() {
    let (sim, controller) = start();
    sim.nak_next_frames(1);
    assert_eq!(controller.get_version().unwrap().version, "Z-Wave 7.18");
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 2);
    assert_eq!(controller.stats().retransmissions, 1);
}

#[test]
fn retransmits_after_can() {
    let (sim, controller) = start();
    sim.can_next_frames(2);
    assert_eq!(controller.memory_get_id().unwrap().home_id, 0xC0FF_EE42);
    assert_eq!(sim.received_count(FunctionId::MEMORY_GET_ID), 3);
    assert_eq!(controller.stats().retransmissions, 2);
}

#[test]
fn retransmits_after_missing_ack_with_backoff() {
    let (sim, controller) = start();
    sim.ignore_next_frames(2);
    let started = Instant::now();
    controller.get_init_data().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(sim.received_count(FunctionId::GET_INIT_DATA), 3);
    // Two ACK timeouts plus the two backoffs (10 ms, then 30 ms).
    assert!(elapsed >= ms(2 * 400 + 10 + 30), "took only {elapsed:?}");
    assert!(elapsed < PATIENCE, "took {elapsed:?}");
}

#[test]
fn fails_after_three_retransmissions_then_recovers() {
    let (sim, controller) = start_with(options().ack_timeout(ms(150)));
    sim.set_silent(true);
    let started = Instant::now();
    let err = controller.get_version().unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        ZWaveError::NoAck {
            func_id,
            attempts,
            last,
        } => {
            assert_eq!(*func_id, FunctionId::GET_VERSION);
            assert_eq!(*attempts, 4);
            assert_eq!(*last, AckFailure::Timeout);
        }
        other => panic!("expected NoAck, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "controller did not acknowledge GetVersion (0x15) after 4 attempt(s); \
         last attempt: no ACK before the timeout"
    );
    // 4 ACK timeouts and backoffs of 10, 30 and 50 ms.
    assert!(elapsed >= ms(4 * 150 + 90), "took only {elapsed:?}");
    assert!(
        sim.wait_until(PATIENCE, |s| s.frames_received == 1 + 4),
        "the simulator saw {:?}",
        sim.stats()
    );
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 4);
    assert_eq!(controller.stats().undelivered, 1);

    // The controller answers again: the transport was never broken.
    sim.set_silent(false);
    assert!(controller.is_connected());
    assert_eq!(controller.get_version().unwrap().version, "Z-Wave 7.18");
}

#[test]
fn fails_after_repeated_naks() {
    let (sim, controller) = start();
    sim.nak_next_frames(4);
    match controller.memory_get_id() {
        Err(ZWaveError::NoAck {
            attempts: 4,
            last: AckFailure::Nak,
            ..
        }) => {}
        other => panic!("expected NoAck after NAKs, got {other:?}"),
    }
    assert_eq!(sim.received_count(FunctionId::MEMORY_GET_ID), 4);
    assert!(controller.memory_get_id().is_ok());
}

#[test]
fn retransmission_limit_is_configurable() {
    let (sim, controller) = start_with(options().max_retransmissions(0));
    sim.nak_next_frames(1);
    match controller.get_version() {
        Err(ZWaveError::NoAck {
            attempts: 1,
            last: AckFailure::Nak,
            ..
        }) => {}
        other => panic!("expected NoAck after one attempt, got {other:?}"),
    }
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 1);
}

#[test]
fn response_timeout_then_recovers() {
    let (sim, controller) = start();
    sim.skip_next_responses(1);
    let err = controller
        .send_request(FunctionId::GET_VERSION, &[], ms(200))
        .unwrap_err();
    assert!(
        matches!(err, ZWaveError::ResponseTimeout { func_id, timeout }
            if func_id == FunctionId::GET_VERSION && timeout == ms(200)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "no response to GetVersion (0x15) within 200ms"
    );
    // Acknowledged, so not retransmitted.
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 1);
    assert!(controller.get_version().is_ok());
}

#[test]
fn unknown_function_times_out_and_command_without_response_is_acked() {
    let (sim, controller) = start();
    let err = controller
        .send_request(FunctionId(0x99), &[1, 2, 3], ms(150))
        .unwrap_err();
    assert!(matches!(err, ZWaveError::ResponseTimeout { .. }), "{err:?}");
    controller
        .send_command(FunctionId::SOFT_RESET, &[])
        .expect("ACK only");
    assert_eq!(sim.received_count(FunctionId::SOFT_RESET), 1);
}

#[test]
fn host_naks_a_corrupted_frame_and_gets_it_again() {
    let (sim, controller) = start();
    sim.corrupt_next_checksums(1);
    assert_eq!(controller.get_version().unwrap().version, "Z-Wave 7.18");
    assert_eq!(sim.stats().naks_received, 1);
    assert_eq!(sim.stats().retransmissions, 1);
    assert_eq!(controller.stats().checksum_errors, 1);
    // Only one request went out: the response was repeated, not the request.
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 1);
}

#[test]
fn responses_are_matched_to_their_requests() {
    let (sim, controller) = start();
    // A stray response nobody asked for is acknowledged and ignored.
    let stray = DataFrame::response(FunctionId::MEMORY_GET_ID, [9, 9, 9, 9, 9]).unwrap();
    sim.send_frame(stray);
    assert!(sim.wait_until(PATIENCE, |s| s.acks_received == 1));

    // Requests from many threads at once, each gets its own answer.
    let controller = Arc::new(controller);
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let controller = Arc::clone(&controller);
            thread::spawn(move || match i % 3 {
                0 => assert_eq!(controller.memory_get_id().unwrap().home_id, 0xC0FF_EE42),
                1 => assert_eq!(controller.get_version().unwrap().version, "Z-Wave 7.18"),
                _ => assert_eq!(controller.get_init_data().unwrap().node_ids, [1, 2]),
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    // The channel API: queue several, collect later.
    let pending: Vec<_> = [FunctionId::GET_VERSION, FunctionId::MEMORY_GET_ID]
        .into_iter()
        .map(|f| (f, controller.submit_request(f, &[], ms(1500)).unwrap()))
        .collect();
    for (func, rx) in pending {
        let response = rx.recv_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(response.func_id, func);
    }
}

#[test]
fn unsolicited_callbacks_reach_event_receivers() {
    let (sim, controller) = start();
    let first = controller.events();
    let second = controller.events();

    sim.press_switch(2, true);
    for events in [&first, &second] {
        let callback = events.recv_timeout(PATIENCE).expect("report arrives");
        assert_eq!(callback.func_id, FunctionId::APPLICATION_COMMAND_HANDLER);
        let command = callback.application_command().unwrap();
        assert_eq!(command.source_node, 2);
        assert_eq!(
            command.decode(),
            NodeCommand::SwitchBinaryReport {
                current: Some(true),
                target: None
            }
        );
    }

    sim.send_callback(FunctionId::APPLICATION_UPDATE, &[0x84, 0x02, 0x00]);
    let callback = first.recv_timeout(PATIENCE).unwrap();
    assert_eq!(callback.func_id, FunctionId::APPLICATION_UPDATE);
    assert_eq!(callback.payload, [0x84, 0x02, 0x00]);
    assert!(sim.wait_until(PATIENCE, |s| s.acks_received == 2));
}

#[test]
fn callbacks_sent_before_events_is_called_are_kept() {
    let (sim, controller) = start();
    sim.send_node_command(2, &[0x20, 0x01, 0xFF]);
    assert!(sim.wait_until(PATIENCE, |s| s.acks_received == 1));
    let callback = controller.events().recv_timeout(PATIENCE).unwrap();
    assert_eq!(
        callback.application_command().unwrap().decode(),
        NodeCommand::BasicSet { value: 0xFF }
    );
}

#[test]
fn expect_callback_catches_a_matching_frame() {
    let (sim, controller) = start();
    let pending = controller
        .expect_callback(|cb| cb.func_id == FunctionId::APPLICATION_UPDATE)
        .unwrap();
    assert!(pending.try_get().unwrap().is_none());
    sim.send_node_command(2, &[0x25, 0x03, 0x00]);
    sim.send_callback(FunctionId::APPLICATION_UPDATE, &[0x84, 0x05]);
    let callback = pending.wait(PATIENCE).unwrap();
    assert_eq!(callback.payload, [0x84, 0x05]);

    let never = controller.expect_callback(|_| false).unwrap();
    assert!(matches!(
        never.wait(ms(50)),
        Err(ZWaveError::CallbackTimeout { .. })
    ));
}

#[test]
fn send_data_switches_the_node_and_reads_it_back() {
    let (sim, controller) = start();
    let events = controller.events();
    assert_eq!(sim.switch_state(2), Some(false));

    controller.switch_binary_set(2, true).unwrap();
    assert_eq!(sim.switch_state(2), Some(true));
    assert_eq!(controller.switch_binary_get(2).unwrap(), Some(true));

    controller.basic_set(2, 0x00).unwrap();
    assert_eq!(sim.switch_state(2), Some(false));
    assert_eq!(controller.switch_binary_get(2).unwrap(), Some(false));

    // The raw form, with its callback id and transmit report.
    let report = controller
        .send_data(2, &command_class::basic::set(0xFF), TxOptions::default())
        .unwrap();
    assert_ne!(report.callback_id, 0);
    assert_eq!(report.status, TransmitStatus::Ok);
    assert_eq!(sim.switch_state(2), Some(true));

    // The reports were also published as events; the SendData status
    // callbacks were consumed by the requests that waited for them.
    let mut reports = Vec::new();
    while let Ok(callback) = events.recv_timeout(ms(100)) {
        assert_eq!(callback.func_id, FunctionId::APPLICATION_COMMAND_HANDLER);
        reports.push(callback.application_command().unwrap().decode());
    }
    assert_eq!(reports.len(), 2, "{reports:?}");
}

#[test]
fn send_data_to_a_missing_node_fails_with_its_status() {
    let (_sim, controller) = start();
    let err = controller.switch_binary_set(9, true).unwrap_err();
    assert!(
        matches!(
            err,
            ZWaveError::TransmitFailed {
                node_id: 9,
                status: TransmitStatus::NoAck
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "transmission to node 9 failed: node did not acknowledge"
    );
}

#[test]
fn request_collides_with_a_controller_frame() {
    let (sim, controller) = start();
    // Ten callbacks from the controller while the host keeps sending; the
    // simulator cancels host frames that arrive while its own await an ACK.
    for i in 0..10 {
        sim.send_callback(FunctionId::APPLICATION_UPDATE, &[i]);
    }
    for _ in 0..5 {
        assert!(controller.get_version().is_ok());
    }
    let events = controller.events();
    for i in 0..10 {
        assert_eq!(events.recv_timeout(PATIENCE).unwrap().payload, [i]);
    }
}

#[test]
fn noise_and_split_frames_are_handled() {
    let (sim, controller) = start();
    let events = controller.events();
    let frame = DataFrame::request(FunctionId::APPLICATION_UPDATE, [0x84, 0x02, 0x00])
        .unwrap()
        .encode();
    sim.send_raw(&[0xFF, 0x00, 0x42]);
    sim.send_raw(&frame[..3]);
    thread::sleep(ms(30));
    sim.send_raw(&frame[3..]);
    let callback = events.recv_timeout(PATIENCE).unwrap();
    assert_eq!(callback.payload, [0x84, 0x02, 0x00]);
    assert_eq!(controller.stats().bytes_discarded, 3);
    assert!(controller.get_version().is_ok());
}

#[test]
fn incomplete_frame_is_dropped_after_the_receive_timeout() {
    let (sim, controller) = start();
    let events = controller.events();
    // SOF, LEN 9, then silence longer than the frame receive timeout.
    sim.send_raw(&[0x01, 0x09, 0x00, 0x04]);
    thread::sleep(ms(400));
    let frame = DataFrame::request(FunctionId::APPLICATION_UPDATE, [0x01])
        .unwrap()
        .encode();
    sim.send_raw(&frame);
    assert_eq!(events.recv_timeout(PATIENCE).unwrap().payload, [0x01]);
    assert_eq!(controller.stats().bytes_discarded, 4);
    assert_eq!(controller.stats().checksum_errors, 0);
}

#[test]
fn device_going_away_is_reported_clearly() {
    let (sim, controller) = start();
    assert!(controller.get_version().is_ok());
    drop(sim);
    let deadline = Instant::now() + PATIENCE;
    while controller.is_connected() {
        assert!(Instant::now() < deadline, "hang-up not noticed");
        thread::sleep(ms(5));
    }
    let err = controller.get_version().unwrap_err();
    match &err {
        ZWaveError::Disconnected { reason } => {
            assert!(
                reason.contains("hung up") || reason.contains("failed"),
                "{reason}"
            )
        }
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(err.to_string().starts_with("Z-Wave transport is down: "));
    // Event receivers see the end too.
    assert!(controller.events().recv_timeout(PATIENCE).is_err());
}

#[test]
fn port_can_be_reopened_after_close() {
    let sim = SimulatedController::start().unwrap();
    let first = ZWaveController::open(sim.path(), options()).unwrap();
    assert!(first.get_version().is_ok());
    first.close();
    let second = ZWaveController::open(sim.path(), options()).unwrap();
    assert!(second.get_version().is_ok());
}

#[test]
fn open_errors_and_oversized_payloads() {
    let err = ZWaveController::open("/dev/does-not-exist-zwave", options()).unwrap_err();
    assert!(matches!(err, ZWaveError::Open { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot open serial port /dev/does-not-exist-zwave: "),
        "{err}"
    );

    let (_sim, controller) = start();
    let err = controller
        .send_request(FunctionId(0x42), &[0; 300], ms(100))
        .unwrap_err();
    assert!(matches!(err, ZWaveError::Frame(_)), "{err:?}");
}

/// A controller that resets its receiver on a `NAK` answering nothing, as
/// firmware that reads the stream frame by frame does.
fn resyncing_controller() -> SimulatedController {
    SimulatedController::start_with(SimConfig {
        resync_on_nak: true,
        ..SimConfig::default()
    })
    .expect("pseudo-terminal")
}

#[test]
fn a_request_in_the_same_read_as_a_nak_is_lost_at_such_a_controller() {
    // Why the host pauses after its opening NAK: written in one go, the
    // NAK and the request reach the simulator in one read, and the request
    // is dropped with the rest of the read.
    let sim = resyncing_controller();
    let mut port = zwave::SerialPort::open(sim.path()).unwrap();
    let mut bytes = vec![zwave::frame::NAK];
    bytes.extend(
        DataFrame::request(FunctionId::GET_VERSION, [])
            .unwrap()
            .encode(),
    );
    port.write_all_timeout(&bytes, PATIENCE).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while sim.reads().is_empty() {
        assert!(Instant::now() < deadline, "the simulator read nothing");
        thread::sleep(ms(2));
    }
    let mut buf = [0u8; 64];
    let answered = port.read_timeout(&mut buf, ms(300)).unwrap();
    assert_eq!(
        answered,
        0,
        "the simulator answered {:02X?}",
        &buf[..answered]
    );
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 0);
    assert_eq!(sim.reads(), [bytes]);
}

#[test]
fn the_opening_nak_and_the_first_request_arrive_apart() {
    let sim = resyncing_controller();
    let options = ControllerOptions::default();
    assert_eq!(options.get_pause_after_nak(), ms(100));
    let started = Instant::now();
    let controller = ZWaveController::open(sim.path(), options.clone()).unwrap();
    assert_eq!(controller.get_version().unwrap().version, "Z-Wave 7.18");
    let elapsed = started.elapsed();

    // The NAK had a read to itself; the request came in a later one.
    let reads = sim.reads();
    let request = DataFrame::request(FunctionId::GET_VERSION, [])
        .unwrap()
        .encode();
    assert_eq!(reads[0], [zwave::frame::NAK], "{reads:02X?}");
    assert!(
        reads[1..].iter().any(|r| r.starts_with(&request)),
        "{reads:02X?}"
    );
    // Sent once, acknowledged at once: no ACK timeout, no retransmission.
    assert_eq!(sim.received_count(FunctionId::GET_VERSION), 1);
    assert_eq!(controller.stats().retransmissions, 0);
    assert!(elapsed >= options.get_pause_after_nak(), "{elapsed:?}");
    assert!(elapsed < options.get_ack_timeout(), "{elapsed:?}");
}
