//! A simulated Z-Wave controller on a pseudo-terminal, for tests and for
//! running without a stick.
//!
//! [`SimulatedController::start`] opens a pseudo-terminal pair and serves
//! the master side from a thread, speaking the Serial API: it acknowledges
//! frames, answers `GetVersion`, `MemoryGetId`, `SerialApiGetInitData` and
//! `SendData`, and simulates nodes with a binary switch. The slave side's
//! path ([`SimulatedController::path`]) is what a host opens, exactly like
//! `/dev/ttyACM0`. It can be told to misbehave to exercise the host's error
//! handling.
//!
//! ```
//! use switchboard::agents::hardware::zwave::{ControllerOptions, ZWaveController};
//! use switchboard::agents::hardware::zwave::sim::SimulatedController;
//!
//! let sim = SimulatedController::start()?;
//! let controller = ZWaveController::open(sim.path(), ControllerOptions::default())?;
//! controller.switch_binary_set(2, true)?;
//! assert_eq!(sim.switch_state(2), Some(true));
//! assert_eq!(controller.switch_binary_get(2)?, Some(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::CStr;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::command_class::{basic, switch_binary};
use super::frame::{ACK, CAN, DataFrame, Frame, FrameParser, FunctionId, NAK, ParseEvent};
use super::payloads::node_bitmask;
use super::serial::{self, SerialPort};

/// What the simulated controller reports about itself.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Home id returned by `MemoryGetId`.
    pub home_id: u32,
    /// The controller's node id.
    pub node_id: u8,
    /// Nodes with a binary switch, and their initial state.
    pub switch_nodes: Vec<(u8, bool)>,
    /// Version string returned by `GetVersion` (without the NUL).
    pub version: String,
    /// Library type byte returned by `GetVersion`.
    pub library_type: u8,
    /// How long the simulator waits for the host to acknowledge one of its
    /// frames before sending it again (up to 3 times).
    pub ack_timeout: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            home_id: 0xC0FF_EE42,
            node_id: 1,
            switch_nodes: vec![(2, false)],
            version: "Z-Wave 7.18".to_owned(),
            library_type: 0x01,
            ack_timeout: Duration::from_millis(1600),
        }
    }
}

/// Counters kept by the simulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Data frames received from the host, retransmissions included.
    pub frames_received: usize,
    /// Data frames from the host with a bad checksum.
    pub bad_frames_received: usize,
    /// `ACK`s from the host for frames the simulator sent.
    pub acks_received: usize,
    /// `NAK`s from the host for frames the simulator sent.
    pub naks_received: usize,
    /// Frames the simulator sent again after a `NAK` or missing `ACK`.
    pub retransmissions: usize,
}

#[derive(Debug, Default)]
struct Faults {
    ignore: u32,
    nak: u32,
    can: u32,
    corrupt: u32,
    skip_responses: u32,
    silent: bool,
}

#[derive(Debug)]
struct State {
    config: SimConfig,
    switches: BTreeMap<u8, bool>,
    faults: Faults,
    stats: SimStats,
    received: HashMap<FunctionId, usize>,
    outbound: VecDeque<DataFrame>,
    raw_out: Vec<u8>,
}

/// A Serial API controller simulated on a pseudo-terminal. Dropping it stops
/// the thread and closes the terminal, which the host sees as the device
/// going away.
#[derive(Debug)]
pub struct SimulatedController {
    path: PathBuf,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Kept open so the terminal survives the host closing and reopening it.
    _slave: OwnedFd,
}

impl SimulatedController {
    /// Starts a simulator with the default [`SimConfig`]: home id
    /// `0xC0FFEE42`, controller node 1, a binary switch at node 2 (off).
    pub fn start() -> io::Result<SimulatedController> {
        Self::start_with(SimConfig::default())
    }

    /// Starts a simulator with the given configuration.
    pub fn start_with(config: SimConfig) -> io::Result<SimulatedController> {
        let (master, slave, path) = open_pty()?;
        let state = Arc::new(Mutex::new(State {
            switches: config.switch_nodes.iter().copied().collect(),
            config,
            faults: Faults::default(),
            stats: SimStats::default(),
            received: HashMap::new(),
            outbound: VecDeque::new(),
            raw_out: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let port = SerialPort::from_fd(master)?;
        let thread = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("zwave-sim".to_owned())
                .spawn(move || run(port, &state, &stop))?
        };
        Ok(SimulatedController {
            path,
            state,
            stop,
            thread: Some(thread),
            _slave: slave,
        })
    }

    /// The path of the terminal a host opens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Silently drops the next `n` data frames from the host: no `ACK`, no
    /// processing, as if they were lost on the wire. The host must time out
    /// and retransmit.
    pub fn ignore_next_frames(&self, n: u32) {
        self.state().faults.ignore = n;
    }

    /// Answers the next `n` data frames with `NAK` instead of processing
    /// them.
    pub fn nak_next_frames(&self, n: u32) {
        self.state().faults.nak = n;
    }

    /// Answers the next `n` data frames with `CAN` instead of processing
    /// them.
    pub fn can_next_frames(&self, n: u32) {
        self.state().faults.can = n;
    }

    /// Sends the next `n` data frames with a wrong checksum (a frame sent
    /// again after the host's `NAK` counts as another one).
    pub fn corrupt_next_checksums(&self, n: u32) {
        self.state().faults.corrupt = n;
    }

    /// Acknowledges the next `n` requests but never answers them.
    pub fn skip_next_responses(&self, n: u32) {
        self.state().faults.skip_responses = n;
    }

    /// While silent the simulator reads and counts frames but sends nothing
    /// at all, and forgets whatever it was about to send.
    pub fn set_silent(&self, silent: bool) {
        self.state().faults.silent = silent;
    }

    /// Writes raw bytes to the host (noise, partial frames).
    pub fn send_raw(&self, bytes: &[u8]) {
        self.state().raw_out.extend_from_slice(bytes);
    }

    /// Sends any data frame to the host, waiting for its `ACK` and
    /// retransmitting like the controller's own frames.
    pub fn send_frame(&self, frame: DataFrame) {
        self.state().outbound.push_back(frame);
    }

    /// Sends an unsolicited request frame (a callback) to the host.
    pub fn send_callback(&self, func_id: FunctionId, payload: &[u8]) {
        self.send_frame(
            DataFrame::request(func_id, payload).expect("callback payload fits a frame"),
        );
    }

    /// Sends `ApplicationCommandHandler` carrying `command` from `node_id`.
    pub fn send_node_command(&self, node_id: u8, command: &[u8]) {
        self.state()
            .outbound
            .push_back(application_command(node_id, command));
    }

    /// Flips a simulated switch as if someone pressed its button: the state
    /// changes and the node sends an unsolicited `Switch Binary Report`.
    pub fn press_switch(&self, node_id: u8, on: bool) {
        let mut state = self.state();
        state.switches.insert(node_id, on);
        state
            .outbound
            .push_back(application_command(node_id, &switch_report(on)));
    }

    /// The state of a simulated switch, `None` if there is no such node.
    pub fn switch_state(&self, node_id: u8) -> Option<bool> {
        self.state().switches.get(&node_id).copied()
    }

    /// How many data frames with this function id the host sent,
    /// retransmissions included.
    pub fn received_count(&self, func_id: FunctionId) -> usize {
        self.state().received.get(&func_id).copied().unwrap_or(0)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SimStats {
        self.state().stats
    }

    /// Polls `condition` on the counters until it holds or `timeout`
    /// passes; returns whether it held.
    pub fn wait_until(&self, timeout: Duration, condition: impl Fn(&SimStats) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(&self.stats()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for SimulatedController {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn application_command(node_id: u8, command: &[u8]) -> DataFrame {
    let mut payload = vec![0x00, node_id, command.len() as u8];
    payload.extend_from_slice(command);
    DataFrame::request(FunctionId::APPLICATION_COMMAND_HANDLER, payload)
        .expect("command fits a frame")
}

fn switch_report(on: bool) -> [u8; 3] {
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

/// Opens a pseudo-terminal pair in raw mode: (master, slave, slave path).
fn open_pty() -> io::Result<(OwnedFd, OwnedFd, PathBuf)> {
    // SAFETY: posix_openpt returns a new descriptor or -1.
    let raw = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let master = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: grantpt/unlockpt on the master descriptor we own.
    if unsafe { libc::grantpt(raw) } != 0 || unsafe { libc::unlockpt(raw) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let path = slave_path(&master)?;
    let slave: OwnedFd = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(&path)?
        .into();
    // Raw at once, so nothing is echoed back before the host configures it.
    serial::configure_raw(slave.as_fd())?;
    Ok((master, slave, path))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn slave_path(master: &OwnedFd) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: the buffer is valid for its length; ptsname_r NUL-terminates.
    let rc = unsafe { libc::ptsname_r(master.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    // SAFETY: ptsname_r succeeded, so `buf` holds a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn slave_path(master: &OwnedFd) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    // ptsname uses a static buffer; serialise the calls.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    // SAFETY: valid master descriptor; the result is copied before the lock
    // is released.
    let name = unsafe { libc::ptsname(master.as_raw_fd()) };
    if name.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: non-null result of ptsname is a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(name) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}

/// The frame the simulator is waiting to see acknowledged.
struct InFlight {
    frame: DataFrame,
    attempts: u32,
    deadline: Instant,
}

const MAX_ATTEMPTS: u32 = 4;
const TICK: Duration = Duration::from_millis(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

fn run(mut port: SerialPort, state: &Mutex<State>, stop: &AtomicBool) {
    let mut parser = FrameParser::new();
    let mut inflight: Option<InFlight> = None;
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::Relaxed) {
        let n = match port.read_timeout(&mut buf, TICK) {
            Ok(n) => n,
            Err(_) => break,
        };
        let events = parser.feed(&buf[..n]);
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::new();
        for event in events {
            handle_event(&mut state, event, &mut inflight, &mut out);
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
            inflight = Some(InFlight {
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

fn encode_outgoing(state: &mut State, frame: &DataFrame, out: &mut Vec<u8>) {
    frame.encode_into(out);
    if state.faults.corrupt > 0 {
        state.faults.corrupt -= 1;
        *out.last_mut().expect("frame is not empty") ^= 0xA5;
    }
}

fn handle_event(
    state: &mut State,
    event: ParseEvent,
    inflight: &mut Option<InFlight>,
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

fn respond(state: &mut State, func_id: FunctionId, payload: Vec<u8>) {
    let frame = DataFrame::response(func_id, payload).expect("response fits a frame");
    state.outbound.push_back(frame);
}

/// Answers a request the way a controller would.
fn process(state: &mut State, frame: &DataFrame) {
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

fn send_data(state: &mut State, payload: &[u8]) {
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
