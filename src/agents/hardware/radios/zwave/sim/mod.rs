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

mod pty;
mod serve;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::frame::{DataFrame, FunctionId};
use super::serial::SerialPort;
use pty::open_pty;
use serve::{application_command, run, switch_report};

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
    /// Reset the receiver on a `NAK` that answers nothing (the host
    /// resynchronising), dropping whatever arrived in the same read after
    /// it, as firmware that reads the stream frame by frame does. A host
    /// that writes its opening `NAK` and first request back to back then
    /// loses the request to an `ACK` timeout.
    pub resync_on_nak: bool,
    /// Go away (close the terminal, as an unplugged stick) on receiving a
    /// request with this function, without acknowledging it.
    pub hang_up_on: Option<FunctionId>,
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
            resync_on_nak: false,
            hang_up_on: None,
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

/// Misbehaviour the host's error handling is tested against.
#[derive(Debug, Default)]
struct Faults {
    ignore: u32,
    nak: u32,
    can: u32,
    corrupt: u32,
    skip_responses: u32,
    silent: bool,
}

/// What the handle and the simulator's thread share.
#[derive(Debug)]
struct ControllerState {
    config: SimConfig,
    switches: BTreeMap<u8, bool>,
    faults: Faults,
    stats: SimStats,
    received: HashMap<FunctionId, usize>,
    outbound: VecDeque<DataFrame>,
    raw_out: Vec<u8>,
    /// The first [`RECORDED_READS`] chunks read from the port.
    reads: Vec<Vec<u8>>,
    hung_up: bool,
}

/// How many reads [`SimulatedController::reads`] keeps.
const RECORDED_READS: usize = 64;

/// A Serial API controller simulated on a pseudo-terminal. Dropping it stops
/// the thread and closes the terminal, which the host sees as the device
/// going away.
#[derive(Debug)]
pub struct SimulatedController {
    path: PathBuf,
    state: Arc<Mutex<ControllerState>>,
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
        let state = Arc::new(Mutex::new(ControllerState {
            switches: config.switch_nodes.iter().copied().collect(),
            config,
            faults: Faults::default(),
            stats: SimStats::default(),
            received: HashMap::new(),
            outbound: VecDeque::new(),
            raw_out: Vec::new(),
            reads: Vec::new(),
            hung_up: false,
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

    fn state(&self) -> MutexGuard<'_, ControllerState> {
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

    /// The chunks the simulator read from the port, in order (the first
    /// 64): how the host's writes arrived.
    pub fn reads(&self) -> Vec<Vec<u8>> {
        self.state().reads.clone()
    }

    /// Whether the simulator went away ([`SimConfig::hang_up_on`]).
    pub fn hung_up(&self) -> bool {
        self.state().hung_up
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
