//! The bridge's Z-Wave adapter: [`Adapter`] over a [`ZWaveController`] on a
//! serial port, so the `hardware/*` channels reach a USB stick (or the
//! [`SimulatedController`](super::sim::SimulatedController)) end to end.
//!
//! - **start** opens the port and reads the controller's version
//!   (`GetVersion`), home id and own node id (`MemoryGetId`) and the node
//!   list (`SerialApiGetInitData`). A missing device is an
//!   [`AdapterError::Io`] that names the path.
//! - **discover** reads the node list again and probes every node whose
//!   kind is not known yet with `Switch Binary Get`; the controller's own
//!   node is never listed. Nodes are addressed by their node id
//!   (`zwave:2`).
//! - **pair** checks the node is in the network and is a binary switch,
//!   reads its state and from then on turns its reports into state changes.
//!   A restore (after a restart) succeeds even if the node does not answer
//!   (it may be out of range for a while); its reports update it later.
//! - **command** maps the `switch` type's commands to `Switch Binary Set`
//!   through `SendData`, with the transmit status checked: `turn_on` sends
//!   `25 01 FF`, `turn_off` `25 01 00`, `toggle` reads the switch first
//!   (`25 02`) and sends the opposite.
//! - **read_state** sends `Switch Binary Get` and waits for the report.
//! - **configure** has nothing to send: the `switch` type's settings
//!   (`label`, `inverted`, `auto_off_s`) are kept by the bridge. Device
//!   parameters would go through Configuration (0x70), whose numbers differ
//!   per product.
//! - **poll_events** drains what the controller sent on its own, without
//!   blocking: `ApplicationCommandHandler` frames carrying Switch Binary
//!   Report, Basic Set / Report (on or off) and Meter Report (watts, into
//!   `power_w`) from paired nodes become state changes; a node that reveals
//!   itself as a switch (by a report, or a node information frame in
//!   `ApplicationUpdate`) is announced as discovered.
//!
//! Every exchange is bounded by the bridge's timeout for the job: a request
//! still queued or waiting to be sent again when its time is up is dropped
//! by the transport ([`ZWaveController::submit_request_by`]), so a command
//! reported as timed out does not reach the node later. A silent controller
//! gives [`AdapterError::Timeout`]; a node that does not acknowledge, a
//! refused frame or a malformed answer gives [`AdapterError::Device`]; a
//! port that went away gives [`AdapterError::Io`], and the next job tries to
//! open it again (a stick plugged back in is picked up).
//!
//! ## Device types
//!
//! A node's device type follows from the command classes it is known to
//! support ([`device_type_for`]). This stage drives binary switches only;
//! nodes of other kinds stay unlisted until the adapter can command them.
//!
//! | command classes | device type | state and commands |
//! | --- | --- | --- |
//! | Switch Binary (0x25) | `switch` | `on` from Switch Binary Report and Basic Set/Report; `power_w` from Meter Report (0x32, electric, W); `turn_on`/`turn_off`/`toggle` as Switch Binary Set |
//! | Switch Multilevel (0x26), later | `bulb` | `brightness` 0..100 as level 0..99 (0xFF: last level); `set_brightness` as Multilevel Set, `on` as level > 0 |
//! | Switch Color (0x33) with 0x26, later | `rgb_bulb` | `color` as the red, green and blue components of Color Switch Set/Report |
//! | Sensor Multilevel (0x31), later | `temperature_sensor` | `temperature` (sensor type 0x01, °C or °F by scale), `humidity` (0x05); `battery` from Battery (0x80); `refresh` as Sensor Multilevel Get; wakes up on Wake Up (0x84) |
//!
//! Probing with `Switch Binary Get` finds switches on any stick; a fuller
//! interview would ask each node for its node information frame
//! (`RequestNodeInfo`, 0x60, answered by `ApplicationUpdate`, 0x49, which
//! [`node_info`] already decodes) and its maker (Manufacturer Specific,
//! 0x72).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::{debug, info, warn};

use super::command_class::{NodeCommand, switch_binary};
use super::frame::FunctionId;
use super::payloads::{
    ApplicationCommand, ControllerVersion, LibraryType, NetworkIds, parse_init_data,
    parse_memory_get_id, parse_version,
};
use super::transmit::{TransmitStatus, TxOptions};
use super::{Callback, ControllerOptions, ZWaveController, ZWaveError};
use crate::agents::hardware::adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};

/// The device type binary switches are listed as.
pub const SWITCH_TYPE: &str = "switch";

/// Meter command class (0x32).
const METER: u8 = 0x32;
/// `METER_REPORT`.
const METER_REPORT: u8 = 0x02;
/// `ApplicationUpdate` status: a node information frame arrived.
const NODE_INFO_RECEIVED: u8 = 0x84;
/// In a node information frame, the command classes after this mark are
/// ones the node controls, not ones it supports.
const CONTROLLED_MARK: u8 = 0xEF;

/// Shortest share of a discovery a node probe gets, when there is that
/// much time left.
const MIN_PROBE: Duration = Duration::from_millis(250);

/// The device type of a node that supports these command classes, if the
/// adapter can drive it (see the table in the module documentation).
pub fn device_type_for(command_classes: &[u8]) -> Option<&'static str> {
    command_classes
        .contains(&switch_binary::ID)
        .then_some(SWITCH_TYPE)
}

/// The device discovery reports for a node, if its type is known.
pub fn found_device(node_id: u8, command_classes: &[u8]) -> Option<FoundDevice> {
    let type_id = device_type_for(command_classes)?;
    let model = match type_id {
        SWITCH_TYPE => "Z-Wave binary switch",
        other => other,
    };
    Some(FoundDevice {
        address: node_id.to_string(),
        type_id: type_id.to_owned(),
        // The Manufacturer Specific command class is not asked (yet).
        manufacturer: "unknown".to_owned(),
        model: model.to_owned(),
    })
}

/// The nodes of a `SerialApiGetInitData` node list that can be devices:
/// every valid node id except the controller's own.
pub fn network_nodes(node_ids: &[u8], controller_node: u16) -> Vec<u8> {
    node_ids
        .iter()
        .copied()
        .filter(|&id| (1..=232).contains(&id) && u16::from(id) != controller_node)
        .collect()
}

/// Parses a device address (a node id in decimal) of a node that can be a
/// device.
pub fn parse_node(address: &str, controller_node: u16) -> Option<u8> {
    if address.is_empty() || !address.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: u8 = address.parse().ok()?;
    ((1..=232).contains(&id) && u16::from(id) != controller_node).then_some(id)
}

/// The state fields a node's command changes, for a device of `type_id`;
/// empty when the command says nothing the type holds.
pub fn state_changes(type_id: &str, command: &NodeCommand) -> Object {
    let mut changes = Object::new();
    if type_id != SWITCH_TYPE {
        return changes;
    }
    match command {
        NodeCommand::SwitchBinaryReport {
            current: Some(on), ..
        } => {
            changes.insert("on".to_owned(), Value::Bool(*on));
        }
        NodeCommand::BasicSet { value } | NodeCommand::BasicReport { value } => {
            if let Some(on) = basic_on(*value) {
                changes.insert("on".to_owned(), Value::Bool(on));
            }
        }
        NodeCommand::Other {
            command_class: METER,
            command: Some(METER_REPORT),
            params,
        } => {
            if let Some(watts) = meter_watts(params) {
                changes.insert("power_w".to_owned(), Value::from(watts));
            }
        }
        _ => {}
    }
    changes
}

/// A Basic value as on/off: 0x00 off, 0x01..=0x63 and 0xFF on, anything
/// else (0xFE: unknown) says nothing.
fn basic_on(value: u8) -> Option<bool> {
    match value {
        0x00 => Some(false),
        0x01..=0x63 | 0xFF => Some(true),
        _ => None,
    }
}

/// The power in watts from a Meter Report's parameters, if it is an
/// electric meter reading in W.
///
/// `[scale bit 2 | rate type | meter type, precision | scale bits 1-0 |
/// size, value (size bytes, signed, most significant first), ...]`.
fn meter_watts(params: &[u8]) -> Option<f64> {
    let [kind, format, rest @ ..] = params else {
        return None;
    };
    let meter_type = kind & 0x1F;
    let scale = ((kind & 0x80) >> 5) | ((format >> 3) & 0x03);
    let precision = i32::from(format >> 5);
    let size = usize::from(format & 0x07);
    if meter_type != 0x01 || scale != 2 || !matches!(size, 1 | 2 | 4) {
        return None;
    }
    let bytes = rest.get(..size)?;
    let raw = bytes.iter().fold(0i64, |acc, &b| (acc << 8) | i64::from(b));
    // Sign-extend from `size` bytes.
    let shift = 64 - 8 * size as u32;
    let value = (raw << shift) >> shift;
    Some(value as f64 / 10f64.powi(precision))
}

/// The node and the command classes it supports, from an
/// `ApplicationUpdate` (0x49) carrying a node information frame:
/// `status 0x84, node, length, basic, generic, specific, command classes...`.
pub fn node_info(callback: &Callback) -> Option<(u8, Vec<u8>)> {
    if callback.func_id != FunctionId::APPLICATION_UPDATE {
        return None;
    }
    let [status, node, len, rest @ ..] = callback.payload.as_slice() else {
        return None;
    };
    if *status != NODE_INFO_RECEIVED {
        return None;
    }
    let info = rest.get(..usize::from(*len))?;
    let classes = info
        .get(3..)?
        .iter()
        .copied()
        .take_while(|&cc| cc != CONTROLLED_MARK)
        .collect();
    Some((*node, classes))
}

/// What a switch command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SwitchAction {
    Set(bool),
    Toggle,
}

fn switch_action(command: &str) -> Option<SwitchAction> {
    match command {
        "turn_on" => Some(SwitchAction::Set(true)),
        "turn_off" => Some(SwitchAction::Set(false)),
        "toggle" => Some(SwitchAction::Toggle),
        _ => None,
    }
}

fn on_state(on: Option<bool>) -> Object {
    let mut state = Object::new();
    if let Some(on) = on {
        state.insert("on".to_owned(), Value::Bool(on));
    }
    state
}

/// Why an exchange failed, sorted by what the bridge should say.
#[derive(Debug)]
enum Fail {
    /// The controller did not take or answer a request in time.
    Silent(String),
    /// The node (or the transmit status) did not come in time.
    NoReply(String),
    /// The node or controller refused, or answered nonsense.
    Device(String),
    /// The port is gone or broken.
    Port(String),
}

impl Fail {
    fn into_adapter(self, timeout: Duration) -> AdapterError {
        match self {
            Fail::Silent(m) | Fail::NoReply(m) => {
                debug!("zwave: timeout: {m}");
                AdapterError::Timeout(timeout)
            }
            Fail::Device(m) => AdapterError::Device(m),
            Fail::Port(m) => AdapterError::Io(m),
        }
    }

    /// A node-level failure (the controller itself answered).
    fn is_node(&self) -> bool {
        matches!(self, Fail::NoReply(_) | Fail::Device(_))
    }
}

fn classify(error: ZWaveError) -> Fail {
    let text = error.to_string();
    match error {
        ZWaveError::NoAck { last, .. } => match last {
            super::AckFailure::Timeout => Fail::Silent(text),
            _ => Fail::Port(text),
        },
        ZWaveError::Abandoned { .. } | ZWaveError::ResponseTimeout { .. } => Fail::Silent(text),
        ZWaveError::CallbackTimeout { .. } => Fail::NoReply(text),
        ZWaveError::Rejected { .. }
        | ZWaveError::TransmitFailed { .. }
        | ZWaveError::Malformed { .. } => Fail::Device(text),
        ZWaveError::Open { .. }
        | ZWaveError::Io(_)
        | ZWaveError::Frame(_)
        | ZWaveError::Disconnected { .. } => Fail::Port(text),
    }
}

fn open_error(path: &Path, error: ZWaveError) -> Fail {
    match error {
        ZWaveError::Open { source, .. } => Fail::Port(match source.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no Z-Wave controller at {}: the device does not exist (is the stick plugged in?)",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot open the Z-Wave controller at {}: permission denied (is the user in the dialout group?)",
                path.display()
            ),
            _ => format!(
                "cannot open the Z-Wave controller at {}: {source}",
                path.display()
            ),
        }),
        other => classify(other),
    }
}

/// The time left until `deadline`, if any.
fn left(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// An open controller and the receiver of what it sends on its own.
struct Link {
    controller: ZWaveController,
    events: Receiver<Callback>,
}

impl Link {
    /// A request and its response, given up at `deadline`.
    fn request(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, Fail> {
        let wait = left(deadline)
            .ok_or_else(|| Fail::Silent(format!("no time left to send {func_id}")))?;
        let rx = self
            .controller
            .submit_request_by(func_id, payload, wait, deadline)
            .map_err(classify)?;
        match rx.recv_timeout(wait) {
            Ok(Ok(response)) => Ok(response.payload),
            Ok(Err(e)) => Err(classify(e)),
            Err(RecvTimeoutError::Timeout) => Err(Fail::Silent(format!(
                "no response to {func_id} within {} ms",
                wait.as_millis()
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(Fail::Port(
                "the Z-Wave transport stopped during the request".to_owned(),
            )),
        }
    }

    /// `SendData` to a node, with its transmit status checked.
    fn send_data(&self, node: u8, command: &[u8], deadline: Instant) -> Result<(), Fail> {
        let func = FunctionId::SEND_DATA;
        let callback_id = self.controller.next_callback_id();
        let mut payload = Vec::with_capacity(command.len() + 4);
        payload.push(node);
        payload.push(command.len() as u8);
        payload.extend_from_slice(command);
        payload.push(TxOptions::default().0);
        payload.push(callback_id);
        // Registered before sending, so a quick callback cannot slip past.
        let pending = self
            .controller
            .expect(
                Box::new(move |cb: &Callback| {
                    cb.func_id == func && cb.payload.first() == Some(&callback_id)
                }),
                true,
            )
            .map_err(classify)?;
        let response = self.request(func, &payload, deadline)?;
        match response.first() {
            Some(0) => {
                return Err(Fail::Device(format!(
                    "the controller refused SendData to node {node} (its queue is full or the node id is invalid)"
                )));
            }
            Some(_) => {}
            None => return Err(Fail::Device("empty SendData response".to_owned())),
        }
        let wait = left(deadline).ok_or_else(|| {
            Fail::NoReply(format!(
                "no time left for the transmit status of node {node}"
            ))
        })?;
        let callback = pending.wait(wait).map_err(|e| match e {
            ZWaveError::CallbackTimeout { .. } => Fail::NoReply(format!(
                "no transmit status for node {node} within {} ms",
                wait.as_millis()
            )),
            other => classify(other),
        })?;
        let status = callback
            .payload
            .get(1)
            .map(|&b| TransmitStatus::from_byte(b))
            .ok_or_else(|| {
                Fail::Device("SendData callback without a transmit status".to_owned())
            })?;
        if status != TransmitStatus::Ok {
            return Err(Fail::Device(format!(
                "transmission to node {node} failed: {status}"
            )));
        }
        Ok(())
    }

    /// `Switch Binary Get` and the node's report (`None`: the node does not
    /// know its state).
    fn switch_get(&self, node: u8, deadline: Instant) -> Result<Option<bool>, Fail> {
        // Consumed, so a read is not also reported as a change on its own.
        let pending = self
            .controller
            .expect(
                Box::new(move |cb: &Callback| {
                    cb.application_command().is_some_and(|c| {
                        c.source_node == node
                            && matches!(c.decode(), NodeCommand::SwitchBinaryReport { .. })
                    })
                }),
                true,
            )
            .map_err(classify)?;
        self.send_data(node, &switch_binary::get(), deadline)?;
        let wait = left(deadline)
            .ok_or_else(|| Fail::NoReply(format!("no time left for the report of node {node}")))?;
        let callback = pending.wait(wait).map_err(|e| match e {
            ZWaveError::CallbackTimeout { .. } => Fail::NoReply(format!(
                "node {node} sent no Switch Binary Report within {} ms",
                wait.as_millis()
            )),
            other => classify(other),
        })?;
        match callback.application_command().map(|c| c.decode()) {
            Some(NodeCommand::SwitchBinaryReport { current, .. }) => Ok(current),
            _ => Err(Fail::Device(format!(
                "node {node} sent a malformed Switch Binary Report"
            ))),
        }
    }
}

/// What the controller said about itself at start.
#[derive(Debug, Clone)]
struct Network {
    version: ControllerVersion,
    ids: NetworkIds,
    api_version: u8,
}

/// What the adapter knows about one node.
#[derive(Debug, Clone, Default)]
struct Node {
    /// Command classes the node is known to support.
    command_classes: BTreeSet<u8>,
    /// Registered through the bridge: its reports become state changes.
    paired: bool,
    /// Its last known switch state.
    on: Option<bool>,
}

impl Node {
    fn type_id(&self) -> Option<&'static str> {
        let classes: Vec<u8> = self.command_classes.iter().copied().collect();
        device_type_for(&classes)
    }
}

fn library_name(library: LibraryType) -> String {
    match library {
        LibraryType::StaticController => "static controller".to_owned(),
        LibraryType::Controller => "portable controller".to_owned(),
        LibraryType::EnhancedEndNode => "enhanced end node".to_owned(),
        LibraryType::EndNode => "end node".to_owned(),
        LibraryType::Installer => "installer controller".to_owned(),
        LibraryType::RoutingEndNode => "routing end node".to_owned(),
        LibraryType::BridgeController => "bridge controller".to_owned(),
        LibraryType::DeviceUnderTest => "device under test".to_owned(),
        LibraryType::Other(b) => format!("library type 0x{b:02X}"),
    }
}

/// The Z-Wave radio of the hardware bridge: a Serial API controller (a USB
/// stick) on a serial port. See the [module documentation](self).
///
/// ```no_run
/// use switchboard::agents::hardware::HardwareBridgePlugin;
///
/// // Installs a `ZWaveAdapter` for the Z-Wave radio.
/// let plugin = HardwareBridgePlugin::default().zwave_port("/dev/ttyACM0");
/// ```
pub struct ZWaveAdapter {
    path: PathBuf,
    options: ControllerOptions,
    link: Option<Link>,
    network: Option<Network>,
    nodes: BTreeMap<u8, Node>,
    /// The loss of the port was reported by `poll_events` already.
    down_reported: bool,
}

impl std::fmt::Debug for ZWaveAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZWaveAdapter")
            .field("path", &self.path)
            .field("open", &self.link.is_some())
            .field("network", &self.network)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl ZWaveAdapter {
    /// An adapter for the controller at `path` (such as `/dev/ttyACM0` or
    /// `/dev/serial/by-id/usb-...`); nothing is opened until
    /// [`start`](Adapter::start). `options` sets the Serial API's `ACK`
    /// timeout, retransmissions and frame timeouts; each exchange is also
    /// bounded by the time the bridge gives the job.
    pub fn new(path: impl Into<PathBuf>, options: ControllerOptions) -> Self {
        Self {
            path: path.into(),
            options,
            link: None,
            network: None,
            nodes: BTreeMap::new(),
            down_reported: false,
        }
    }

    /// The serial port's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn controller_node(&self) -> u16 {
        self.network.as_ref().map_or(1, |n| n.ids.node_id)
    }

    /// Opens the port and reads who the controller is and its node list.
    fn open(&mut self, deadline: Instant) -> Result<(), Fail> {
        self.link = None;
        let controller = ZWaveController::open(&self.path, self.options.clone())
            .map_err(|e| open_error(&self.path, e))?;
        let events = controller.events();
        let link = Link { controller, events };
        let version = parse_version(&link.request(FunctionId::GET_VERSION, &[], deadline)?)
            .map_err(classify)?;
        let ids = parse_memory_get_id(&link.request(FunctionId::MEMORY_GET_ID, &[], deadline)?)
            .map_err(classify)?;
        let init = parse_init_data(&link.request(FunctionId::GET_INIT_DATA, &[], deadline)?)
            .map_err(classify)?;
        if init.is_end_node() {
            warn!(
                "zwave: {} runs end-node firmware, not a controller",
                self.path.display()
            );
        }
        info!(
            "zwave: {} on {}: home id {:08X}, controller node {}, nodes {:?}",
            version.version,
            self.path.display(),
            ids.home_id,
            ids.node_id,
            init.node_ids
        );
        self.network = Some(Network {
            version,
            ids,
            api_version: init.api_version,
        });
        self.set_nodes(&init.node_ids);
        self.link = Some(link);
        self.down_reported = false;
        Ok(())
    }

    /// Makes the node list match the controller's, keeping what is known
    /// about nodes still there.
    fn set_nodes(&mut self, node_ids: &[u8]) {
        let present = network_nodes(node_ids, self.controller_node());
        self.nodes.retain(|id, _| present.contains(id));
        for id in present {
            self.nodes.entry(id).or_default();
        }
    }

    /// The open link, reopening the port if it went away.
    fn connect(&mut self, deadline: Instant) -> Result<&Link, Fail> {
        let lost = match &self.link {
            Some(link) if link.controller.is_connected() => None,
            Some(_) => Some("the port went away"),
            None => Some("the port is closed"),
        };
        if let Some(lost) = lost {
            debug!("zwave: {lost}; reopening {}", self.path.display());
            self.open(deadline).map_err(|e| match e {
                Fail::Port(m) => Fail::Port(format!(
                    "the Z-Wave controller at {} is disconnected ({lost}) and does not open again: {m}",
                    self.path.display()
                )),
                other => other,
            })?;
        }
        self.link
            .as_ref()
            .ok_or_else(|| Fail::Port("the Z-Wave port is closed".to_owned()))
    }

    /// Drops the link if its transport has stopped, so the next job
    /// reopens the port; passes `result` on.
    fn settle<T>(&mut self, result: Result<T, Fail>) -> Result<T, Fail> {
        if self
            .link
            .as_ref()
            .is_some_and(|l| !l.controller.is_connected())
        {
            warn!(
                "zwave: the controller at {} disconnected",
                self.path.display()
            );
            self.link = None;
        }
        result
    }

    fn refresh_nodes(&mut self, deadline: Instant) -> Result<(), Fail> {
        let link = self.connect(deadline)?;
        let result = link
            .request(FunctionId::GET_INIT_DATA, &[], deadline)
            .and_then(|payload| parse_init_data(&payload).map_err(classify));
        let init = self.settle(result)?;
        self.set_nodes(&init.node_ids);
        Ok(())
    }

    /// The node behind a paired device's address.
    fn paired_node(&self, address: &str) -> Result<u8, AdapterError> {
        let node = parse_node(address, self.controller_node())
            .filter(|id| self.nodes.contains_key(id))
            .ok_or_else(|| AdapterError::UnknownAddress(address.to_owned()))?;
        if !self.nodes[&node].paired {
            return Err(AdapterError::NotPaired(address.to_owned()));
        }
        Ok(node)
    }

    fn switch_get(&mut self, node: u8, deadline: Instant) -> Result<Option<bool>, Fail> {
        let result = self.connect(deadline)?.switch_get(node, deadline);
        let on = self.settle(result)?;
        let entry = self.nodes.entry(node).or_default();
        entry.command_classes.insert(switch_binary::ID);
        if on.is_some() {
            entry.on = on;
        }
        Ok(on)
    }

    /// Turns a command a node sent into events.
    fn on_node_command(&mut self, command: &ApplicationCommand, events: &mut Vec<AdapterEvent>) {
        let node_id = command.source_node;
        if parse_node(&node_id.to_string(), self.controller_node()).is_none() {
            return;
        }
        let decoded = command.decode();
        let node = self.nodes.entry(node_id).or_default();
        let known = node.type_id();
        match &decoded {
            NodeCommand::SwitchBinaryReport { .. } => {
                node.command_classes.insert(switch_binary::ID);
            }
            NodeCommand::Other {
                command_class: METER,
                ..
            } => {
                node.command_classes.insert(METER);
            }
            _ => {}
        }
        let Some(type_id) = node.type_id() else {
            debug!("zwave: node {node_id} of unknown kind sent {decoded:?}");
            return;
        };
        if known.is_none() {
            let classes: Vec<u8> = node.command_classes.iter().copied().collect();
            if let Some(found) = found_device(node_id, &classes) {
                events.push(AdapterEvent::Discovered(found));
            }
        }
        let changes = state_changes(type_id, &decoded);
        if let Some(on) = changes.get("on").and_then(Value::as_bool) {
            node.on = Some(on);
        }
        if node.paired && !changes.is_empty() {
            events.push(AdapterEvent::StateChanged {
                address: node_id.to_string(),
                changes,
            });
        }
    }

    /// Takes in a node information frame.
    fn on_node_info(&mut self, node_id: u8, classes: Vec<u8>, events: &mut Vec<AdapterEvent>) {
        if parse_node(&node_id.to_string(), self.controller_node()).is_none() {
            return;
        }
        let node = self.nodes.entry(node_id).or_default();
        let known = node.type_id();
        node.command_classes.extend(classes);
        if known.is_none() {
            let classes: Vec<u8> = node.command_classes.iter().copied().collect();
            if let Some(found) = found_device(node_id, &classes) {
                events.push(AdapterEvent::Discovered(found));
            }
        }
    }
}

impl Adapter for ZWaveAdapter {
    fn info(&self) -> AdapterInfo {
        let (name, firmware) = match &self.network {
            Some(n) => (
                format!(
                    "Z-Wave controller (home id {:08X}, node {})",
                    n.ids.home_id, n.ids.node_id
                ),
                Some(format!(
                    "{} ({}, Serial API {})",
                    n.version.version,
                    library_name(n.version.library_type),
                    n.api_version
                )),
            ),
            None => ("Z-Wave controller".to_owned(), None),
        };
        AdapterInfo {
            radio: Radio::Zwave,
            name,
            port: self.path.display().to_string(),
            simulated: false,
            firmware,
        }
    }

    fn start(&mut self, timeout: Duration) -> Result<(), AdapterError> {
        let deadline = Instant::now() + timeout;
        let result = self.open(deadline);
        self.settle(result).map_err(|e| e.into_adapter(timeout))
    }

    fn stop(&mut self, _timeout: Duration) -> Result<(), AdapterError> {
        // Closing the port needs no answer from the controller.
        if let Some(link) = self.link.take() {
            link.controller.close();
        }
        Ok(())
    }

    fn discover(&mut self, timeout: Duration) -> Result<Vec<FoundDevice>, AdapterError> {
        let deadline = Instant::now() + timeout;
        self.refresh_nodes(deadline)
            .map_err(|e| e.into_adapter(timeout))?;
        let unknown: Vec<u8> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.type_id().is_none())
            .map(|(id, _)| *id)
            .collect();
        for (i, &node) in unknown.iter().enumerate() {
            let now = Instant::now();
            if now >= deadline {
                debug!(
                    "zwave: {} node(s) not probed before the discovery's end",
                    unknown.len() - i
                );
                break;
            }
            let remaining = deadline - now;
            let share = (remaining / (unknown.len() - i) as u32).max(MIN_PROBE.min(remaining));
            match self.switch_get(node, now + share) {
                Ok(_) => debug!("zwave: node {node} is a binary switch"),
                Err(Fail::Port(m)) => return Err(AdapterError::Io(m)),
                Err(e) => debug!("zwave: node {node} did not answer Switch Binary Get: {e:?}"),
            }
        }
        Ok(self
            .nodes
            .iter()
            .filter_map(|(&id, node)| {
                let classes: Vec<u8> = node.command_classes.iter().copied().collect();
                found_device(id, &classes)
            })
            .collect())
    }

    fn pair(&mut self, pairing: &Pairing, timeout: Duration) -> Result<Object, AdapterError> {
        let deadline = Instant::now() + timeout;
        let fail = |e: Fail| e.into_adapter(timeout);
        self.connect(deadline).map_err(fail)?;
        let unknown = || AdapterError::UnknownAddress(pairing.address.clone());
        let node = parse_node(&pairing.address, self.controller_node()).ok_or_else(unknown)?;
        if !self.nodes.contains_key(&node) {
            // Perhaps included since the node list was read.
            self.refresh_nodes(deadline).map_err(fail)?;
        }
        let Some(known) = self.nodes.get(&node) else {
            return Err(unknown());
        };
        if let Some(type_id) = known.type_id()
            && type_id != pairing.type_id
        {
            return Err(AdapterError::Unsupported(format!(
                "Z-Wave node {node} is a {type_id}, not a {}",
                pairing.type_id
            )));
        }
        if pairing.type_id != SWITCH_TYPE {
            return Err(AdapterError::Unsupported(format!(
                "the Z-Wave adapter drives binary switches (type {SWITCH_TYPE}) only, not {}",
                pairing.type_id
            )));
        }
        match self.switch_get(node, deadline) {
            Ok(on) => {
                self.nodes.entry(node).or_default().paired = true;
                Ok(on_state(on))
            }
            Err(e) if e.is_node() && pairing.last_state.is_some() => {
                // Restoring after a restart: the node is in the network but
                // not answering now; keep the last state, its reports will
                // update it.
                warn!("zwave: restored node {node} without reading it: {e:?}");
                self.nodes.entry(node).or_default().paired = true;
                Ok(Object::new())
            }
            Err(e) => Err(fail(e)),
        }
    }

    fn command(
        &mut self,
        address: &str,
        command: &str,
        _payload: &Object,
        timeout: Duration,
    ) -> Result<Object, AdapterError> {
        let node = self.paired_node(address)?;
        let Some(action) = switch_action(command) else {
            return Err(AdapterError::Unsupported(format!(
                "a Z-Wave binary switch has no command {command:?} (turn_on, turn_off, toggle)"
            )));
        };
        let deadline = Instant::now() + timeout;
        let fail = |e: Fail| e.into_adapter(timeout);
        let on = match action {
            SwitchAction::Set(on) => on,
            // Read first: a switch pressed by hand may not have reported.
            SwitchAction::Toggle => !self
                .switch_get(node, deadline)
                .map_err(fail)?
                .unwrap_or(false),
        };
        let result = self
            .connect(deadline)
            .and_then(|link| link.send_data(node, &switch_binary::set(on), deadline));
        self.settle(result).map_err(fail)?;
        self.nodes.entry(node).or_default().on = Some(on);
        Ok(on_state(Some(on)))
    }

    fn read_state(&mut self, address: &str, timeout: Duration) -> Result<Object, AdapterError> {
        let node = self.paired_node(address)?;
        let deadline = Instant::now() + timeout;
        let on = self
            .switch_get(node, deadline)
            .map_err(|e| e.into_adapter(timeout))?;
        Ok(on_state(on))
    }

    fn configure(
        &mut self,
        address: &str,
        _config: &Object,
        _timeout: Duration,
    ) -> Result<(), AdapterError> {
        // The switch type's settings live in the bridge; nothing to send.
        self.paired_node(address).map(drop)
    }

    fn poll_events(&mut self) -> Vec<AdapterEvent> {
        let mut events = Vec::new();
        let Some(link) = &self.link else {
            return events;
        };
        let mut callbacks = Vec::new();
        let mut down = !link.controller.is_connected();
        loop {
            match link.events.try_recv() {
                Ok(callback) => callbacks.push(callback),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    down = true;
                    break;
                }
            }
        }
        for callback in callbacks {
            if let Some(command) = callback.application_command() {
                self.on_node_command(&command, &mut events);
            } else if let Some((node, classes)) = node_info(&callback) {
                self.on_node_info(node, classes, &mut events);
            }
        }
        if down {
            self.link = None;
            if !self.down_reported {
                self.down_reported = true;
                events.push(AdapterEvent::Error {
                    address: None,
                    message: format!(
                        "the Z-Wave controller at {} disconnected; the next request tries to open it again",
                        self.path.display()
                    ),
                });
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::super::command_class::basic;
    use super::*;

    #[test]
    fn nodes_map_to_device_types() {
        // The node list comes from SerialApiGetInitData; the controller
        // (node 1 here) is never a device.
        assert_eq!(network_nodes(&[1, 2, 5, 7], 1), [2, 5, 7]);
        assert_eq!(network_nodes(&[1, 2, 233], 2), [1]);

        // A node answering Switch Binary is a switch.
        let switch = found_device(2, &[switch_binary::ID]).unwrap();
        assert_eq!(switch.address, "2");
        assert_eq!(switch.type_id, SWITCH_TYPE);
        assert_eq!(switch.model, "Z-Wave binary switch");
        assert_eq!(
            device_type_for(&[basic::ID, switch_binary::ID, METER]),
            Some(SWITCH_TYPE)
        );
        // Kinds the adapter cannot drive yet are not listed: nothing
        // known, Basic only, multilevel switch, multilevel sensor.
        assert_eq!(device_type_for(&[]), None);
        assert_eq!(device_type_for(&[basic::ID]), None);
        assert_eq!(device_type_for(&[0x26]), None);
        assert_eq!(device_type_for(&[0x31, 0x80, 0x84]), None);
        assert_eq!(found_device(5, &[0x31]), None);

        // Addresses are node ids, never the controller's.
        assert_eq!(parse_node("2", 1), Some(2));
        assert_eq!(parse_node("232", 1), Some(232));
        assert_eq!(parse_node("1", 1), None);
        assert_eq!(parse_node("0", 1), None);
        assert_eq!(parse_node("233", 1), None);
        assert_eq!(parse_node("+2", 1), None);
        assert_eq!(parse_node("02x", 1), None);
        assert_eq!(parse_node("", 1), None);
    }

    #[test]
    fn switch_commands_map_to_switch_binary_set() {
        assert_eq!(switch_action("turn_on"), Some(SwitchAction::Set(true)));
        assert_eq!(switch_action("turn_off"), Some(SwitchAction::Set(false)));
        assert_eq!(switch_action("toggle"), Some(SwitchAction::Toggle));
        assert_eq!(switch_action("set_brightness"), None);
        // The names match the built-in switch type's commands.
        let types = crate::agents::hardware::DeviceTypes::builtin();
        let switch = types.get(SWITCH_TYPE).unwrap();
        for name in switch.commands.keys() {
            assert!(switch_action(name).is_some(), "{name} is not mapped");
        }
    }

    fn changes(command: &[u8]) -> Object {
        state_changes(SWITCH_TYPE, &NodeCommand::parse(command).unwrap())
    }

    #[test]
    fn node_reports_map_to_state_changes() {
        let on = |v: bool| on_state(Some(v));
        assert_eq!(changes(&[0x25, 0x03, 0xFF]), on(true));
        assert_eq!(changes(&[0x25, 0x03, 0x00, 0xFF, 0x00]), on(false));
        assert_eq!(changes(&[0x25, 0x03, 0xFE]), Object::new());
        assert_eq!(changes(&[0x20, 0x01, 0xFF]), on(true));
        assert_eq!(changes(&[0x20, 0x01, 0x00]), on(false));
        assert_eq!(changes(&[0x20, 0x03, 0x32]), on(true));
        assert_eq!(changes(&[0x20, 0x03, 0xFE]), Object::new());
        // Meter Report, electric (type 1), W (scale 2), precision 1, two
        // bytes: 0x04D2 = 1234 -> 123.4 W.
        let watts = changes(&[0x32, 0x02, 0x01, 0b0011_0010, 0x04, 0xD2]);
        assert_eq!(watts["power_w"], Value::from(123.4));
        // Four bytes, precision 0, negative.
        let watts = changes(&[0x32, 0x02, 0x21, 0b0001_0100, 0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(watts["power_w"], Value::from(-2.0));
        // kWh (scale 0) is not power.
        assert_eq!(
            changes(&[0x32, 0x02, 0x01, 0b0000_0001, 0x05]),
            Object::new()
        );
        // Other classes, and other types, say nothing.
        assert_eq!(
            changes(&[0x31, 0x05, 0x01, 0x22, 0x00, 0xD7]),
            Object::new()
        );
        assert_eq!(
            state_changes("bulb", &NodeCommand::parse(&[0x25, 0x03, 0xFF]).unwrap()),
            Object::new()
        );
    }

    #[test]
    fn node_information_frames_name_command_classes() {
        let nif = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            // Node 9: basic 4, generic 0x10, specific 1; supports 0x5E 0x25
            // 0x32, controls 0x20.
            payload: vec![0x84, 9, 8, 0x04, 0x10, 0x01, 0x5E, 0x25, 0x32, 0xEF, 0x20],
        };
        let (node, classes) = node_info(&nif).unwrap();
        assert_eq!(node, 9);
        assert_eq!(classes, [0x5E, 0x25, 0x32]);
        assert_eq!(device_type_for(&classes), Some(SWITCH_TYPE));
        let other_status = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            payload: vec![0x81, 9, 0],
        };
        assert_eq!(node_info(&other_status), None);
        let truncated = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            payload: vec![0x84, 9, 8, 0x04],
        };
        assert_eq!(node_info(&truncated), None);
    }

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
        use super::super::sim::{SimConfig, SimulatedController};

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
            matches!(&events[..], [AdapterEvent::Error { address: None, message }]
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
}
