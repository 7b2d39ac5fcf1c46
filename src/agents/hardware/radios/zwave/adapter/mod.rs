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

mod link;
mod mapping;
mod nodes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::ControllerOptions;
use super::ZWaveController;
use super::command_class::switch_binary;
use super::frame::FunctionId;
use super::payloads::{
    ControllerVersion, InitData, LibraryType, NetworkIds, parse_init_data, parse_memory_get_id,
    parse_version,
};
use crate::agents::hardware::adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
use link::{ControllerLink, Fail, classify, open_error};
pub use mapping::{
    SWITCH_TYPE, device_type_for, found_device, network_nodes, node_info, parse_node, state_changes,
};
use mapping::{SwitchAction, on_state, switch_action};
use nodes::KnownNode;

/// Shortest share of a discovery a node probe gets, when there is that
/// much time left.
const MIN_PROBE: Duration = Duration::from_millis(250);

/// What the controller said about itself at start.
#[derive(Debug, Clone)]
struct ControllerIdentity {
    version: ControllerVersion,
    ids: NetworkIds,
    api_version: u8,
}

/// Asks the controller who it is and which nodes its network has.
fn identify(
    link: &ControllerLink,
    deadline: Instant,
) -> Result<(ControllerVersion, NetworkIds, InitData), Fail> {
    let version =
        parse_version(&link.request(FunctionId::GET_VERSION, &[], deadline)?).map_err(classify)?;
    let ids = parse_memory_get_id(&link.request(FunctionId::MEMORY_GET_ID, &[], deadline)?)
        .map_err(classify)?;
    let init = parse_init_data(&link.request(FunctionId::GET_INIT_DATA, &[], deadline)?)
        .map_err(classify)?;
    Ok((version, ids, init))
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
    link: Option<ControllerLink>,
    identity: Option<ControllerIdentity>,
    nodes: BTreeMap<u8, KnownNode>,
    /// The loss of the port was reported by `poll_events` already.
    down_reported: bool,
}

impl std::fmt::Debug for ZWaveAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZWaveAdapter")
            .field("path", &self.path)
            .field("open", &self.link.is_some())
            .field("network", &self.identity)
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
            identity: None,
            nodes: BTreeMap::new(),
            down_reported: false,
        }
    }

    /// The serial port's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn controller_node(&self) -> u16 {
        self.identity.as_ref().map_or(1, |n| n.ids.node_id)
    }

    /// Opens the port and reads who the controller is and its node list.
    fn open(&mut self, deadline: Instant) -> Result<(), Fail> {
        self.link = None;
        let controller = ZWaveController::open(&self.path, self.options.clone())
            .map_err(|e| open_error(&self.path, e))?;
        let events = controller.events();
        let link = ControllerLink { controller, events };
        let (version, ids, init) = identify(&link, deadline).map_err(|e| match e {
            // The log and the adapter list then say which stick it was.
            Fail::Port(m) => Fail::Port(format!(
                "the Z-Wave controller at {} failed during start-up: {m}",
                self.path.display()
            )),
            other => other,
        })?;
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
        self.identity = Some(ControllerIdentity {
            version,
            ids,
            api_version: init.api_version,
        });
        self.set_nodes(&init.node_ids);
        self.link = Some(link);
        self.down_reported = false;
        Ok(())
    }

    /// The open link, reopening the port if it went away.
    fn connect(&mut self, deadline: Instant) -> Result<&ControllerLink, Fail> {
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
}

impl Adapter for ZWaveAdapter {
    fn info(&self) -> AdapterInfo {
        let (name, firmware) = match &self.identity {
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
                // The adapter failed, not a device: the bridge lists it as
                // failed until a job reaches the controller again.
                events.push(AdapterEvent::Error {
                    address: None,
                    error: AdapterError::Io(format!(
                        "the Z-Wave controller at {} disconnected; the next request tries to open it again",
                        self.path.display()
                    )),
                });
            }
        }
        events
    }
}
