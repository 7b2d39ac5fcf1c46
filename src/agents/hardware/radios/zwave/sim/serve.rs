//! The simulator's thread: reads what the host sends, answers the way a
//! controller would (or misbehaves as told), and sends its own frames one
//! at a time, each until acknowledged.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::super::command_class::{basic, switch_binary};
use super::super::frame::{ACK, CAN, DataFrame, Frame, FrameParser, FunctionId, NAK, ParseEvent};
use super::super::payloads::node_bitmask;
use super::super::serial::SerialPort;
use super::{ControllerState, RECORDED_READS};

pub(super) fn application_command(node_id: u8, command: &[u8]) -> DataFrame {
    let mut payload = vec![0x00, node_id, command.len() as u8];
    payload.extend_from_slice(command);
    DataFrame::request(FunctionId::APPLICATION_COMMAND_HANDLER, payload)
        .expect("command fits a frame")
}

pub(super) fn switch_report(on: bool) -> [u8; 3] {
    [
        switch_binary::ID,
        switch_binary::REPORT,
        if on {
            switch_binary::ON
        } else {
            switch_binary::OFF
        },
    ]
}

/// The frame the simulator is waiting to see acknowledged.
struct AwaitingAck {
    frame: DataFrame,
    attempts: u32,
    deadline: Instant,
}

const MAX_ATTEMPTS: u32 = 4;
const TICK: Duration = Duration::from_millis(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) fn run(mut port: SerialPort, state: &Mutex<ControllerState>, stop: &AtomicBool) {
    let mut parser = FrameParser::new();
    let mut inflight: Option<AwaitingAck> = None;
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let n = match port.read_timeout(&mut buf, TICK) {
            Ok(n) => n,
            Err(_) => break,
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if n > 0 && state.reads.len() < RECORDED_READS {
            state.reads.push(buf[..n].to_vec());
        }
        let mut out = Vec::new();
        // Byte by byte, so a resynchronising NAK drops exactly what came
        // after it.
        for (i, &byte) in buf[..n].iter().enumerate() {
            let mut resync = false;
            for event in parser.feed(&[byte]) {
                resync |= event == ParseEvent::Frame(Frame::Nak)
                    && inflight.is_none()
                    && state.config.resync_on_nak;
                handle_event(&mut state, event, &mut inflight, &mut out);
            }
            if resync && i + 1 < n {
                parser.reset();
                break;
            }
        }
        if state.hung_up {
            // Dropping the port closes the master side: the host sees the
            // device go away.
            break;
        }
        if state.faults.silent {
            out.clear();
            state.outbound.clear();
            state.raw_out.clear();
            inflight = None;
        }
        out.append(&mut state.raw_out);

        let now = Instant::now();
        if let Some(f) = inflight.as_mut()
            && now >= f.deadline
        {
            if f.attempts >= MAX_ATTEMPTS {
                inflight = None;
            } else {
                f.attempts += 1;
                f.deadline = now + state.config.ack_timeout;
                state.stats.retransmissions += 1;
                encode_outgoing(&mut state, &f.frame, &mut out);
            }
        }
        if inflight.is_none()
            && let Some(frame) = state.outbound.pop_front()
        {
            encode_outgoing(&mut state, &frame, &mut out);
            inflight = Some(AwaitingAck {
                frame,
                attempts: 1,
                deadline: now + state.config.ack_timeout,
            });
        }
        drop(state);
        if !out.is_empty() && port.write_all_timeout(&out, WRITE_TIMEOUT).is_err() {
            break;
        }
    }
}

fn encode_outgoing(state: &mut ControllerState, frame: &DataFrame, out: &mut Vec<u8>) {
    frame.encode_into(out);
    if state.faults.corrupt > 0 {
        state.faults.corrupt -= 1;
        *out.last_mut().expect("frame is not empty") ^= 0xA5;
    }
}

fn handle_event(
    state: &mut ControllerState,
    event: ParseEvent,
    inflight: &mut Option<AwaitingAck>,
    out: &mut Vec<u8>,
) {
    match event {
        ParseEvent::Frame(Frame::Ack) => {
            if inflight.take().is_some() {
                state.stats.acks_received += 1;
            }
        }
        ParseEvent::Frame(refusal @ (Frame::Nak | Frame::Can)) => {
            if let Some(f) = inflight.as_mut() {
                if refusal == Frame::Nak {
                    state.stats.naks_received += 1;
                }
                if f.attempts >= MAX_ATTEMPTS {
                    *inflight = None;
                } else {
                    f.attempts += 1;
                    f.deadline = Instant::now() + state.config.ack_timeout;
                    state.stats.retransmissions += 1;
                    let frame = f.frame.clone();
                    encode_outgoing(state, &frame, out);
                }
            }
        }
        ParseEvent::Frame(Frame::Data(frame)) => {
            state.stats.frames_received += 1;
            *state.received.entry(frame.func_id()).or_default() += 1;
            if state.config.hang_up_on == Some(frame.func_id()) {
                state.hung_up = true;
                return;
            }
            let faults = &mut state.faults;
            if faults.silent {
                return;
            }
            if faults.ignore > 0 {
                faults.ignore -= 1;
                return;
            }
            if faults.nak > 0 {
                faults.nak -= 1;
                out.push(NAK);
                return;
            }
            if faults.can > 0 || inflight.is_some() {
                // A frame arriving while ours awaits its ACK is a collision;
                // the controller cancels the host's frame.
                faults.can = faults.can.saturating_sub(1);
                out.push(CAN);
                return;
            }
            out.push(ACK);
            if faults.skip_responses > 0 {
                faults.skip_responses -= 1;
                return;
            }
            process(state, &frame);
        }
        ParseEvent::BadChecksum { .. } => {
            state.stats.bad_frames_received += 1;
            if !state.faults.silent {
                out.push(NAK);
            }
        }
        ParseEvent::UnknownType { .. } => out.push(ACK),
        ParseEvent::Discarded { .. } => {}
    }
}

fn respond(state: &mut ControllerState, func_id: FunctionId, payload: Vec<u8>) {
    let frame = DataFrame::response(func_id, payload).expect("response fits a frame");
    state.outbound.push_back(frame);
}

/// Answers a request the way a controller would.
fn process(state: &mut ControllerState, frame: &DataFrame) {
    let func = frame.func_id();
    match func {
        FunctionId::GET_VERSION => {
            let mut payload = state.config.version.clone().into_bytes();
            payload.push(0);
            payload.push(state.config.library_type);
            respond(state, func, payload);
        }
        FunctionId::MEMORY_GET_ID => {
            let mut payload = state.config.home_id.to_be_bytes().to_vec();
            payload.push(state.config.node_id);
            respond(state, func, payload);
        }
        FunctionId::GET_INIT_DATA => {
            let mut nodes: Vec<u8> = state.switches.keys().copied().collect();
            nodes.push(state.config.node_id);
            let mask = node_bitmask(&nodes);
            // API version 8, capabilities: SIS; chip type 7, version 0.
            let mut payload = vec![0x08, 0x08, mask.len() as u8];
            payload.extend(mask);
            payload.extend([0x07, 0x00]);
            respond(state, func, payload);
        }
        FunctionId::SEND_DATA => send_data(state, frame.payload()),
        // Unknown functions get no response, like real firmware.
        _ => {}
    }
}

fn send_data(state: &mut ControllerState, payload: &[u8]) {
    let func = FunctionId::SEND_DATA;
    let [node, len, rest @ ..] = payload else {
        respond(state, func, vec![0x00]);
        return;
    };
    let len = usize::from(*len);
    // Command, then tx options and the callback id.
    if rest.len() != len + 2 || len == 0 {
        respond(state, func, vec![0x00]);
        return;
    }
    let (node, command, callback_id) = (*node, &rest[..len], rest[len + 1]);
    respond(state, func, vec![0x01]);

    let report = match state.switches.get_mut(&node) {
        None => {
            if callback_id != 0 {
                // The node never acknowledges: it does not exist.
                let cb = DataFrame::request(func, [callback_id, 0x01]).expect("fits");
                state.outbound.push_back(cb);
            }
            return;
        }
        Some(on) => match command {
            [basic::ID, basic::SET, value, ..]
            | [switch_binary::ID, switch_binary::SET, value, ..] => {
                *on = *value != 0;
                None
            }
            [switch_binary::ID, switch_binary::GET, ..] => Some(switch_report(*on).to_vec()),
            [basic::ID, basic::GET, ..] => Some(vec![
                basic::ID,
                basic::REPORT,
                if *on { 0xFF } else { 0x00 },
            ]),
            _ => None,
        },
    };
    if callback_id != 0 {
        // Status OK, then two bytes of transmit time (in 10 ms ticks).
        let cb = DataFrame::request(func, [callback_id, 0x00, 0x00, 0x02]).expect("fits");
        state.outbound.push_back(cb);
    }
    if let Some(report) = report {
        state.outbound.push_back(application_command(node, &report));
    }
}
