//! The hardware bridge: radios (Zigbee, Z-Wave, Wi-Fi, Bluetooth) behind
//! one [`Adapter`] trait, device types declared in YAML, validation of
//! every command and configuration against them, devices described as W3C
//! WoT Thing Descriptions, a SQLite registry that survives restarts, and
//! `hardware/*` channels for editors (JSON; see `docs/hardware.md`).
//!
//! Each adapter runs on its own thread; the game thread only queues jobs
//! and drains results once per frame, and every job has a deadline. By
//! default every radio is a [`SimulatedDongle`].
//!
//! ```
//! use bevy_app::prelude::*;
//! use switchboard::agents::hardware::{HardwareBridge, HardwareBridgePlugin, Radio};
//! use switchboard::bevy::IpcHostPlugin;
//!
//! let mut app = App::new();
//! app.add_plugins((
//!     IpcHostPlugin::default().port(0),
//!     HardwareBridgePlugin::default()
//!         .radios([Radio::Zigbee, Radio::Wifi])
//!         .discover_on_start(true),
//! ));
//! app.update();
//! assert_eq!(app.world().resource::<HardwareBridge>().adapters().len(), 2);
//! ```

mod adapter;
mod api;
pub mod radios;
mod registry;
mod schema;
mod td;
mod validate;
mod worker;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bevy_app::{App, Plugin, Startup, Update};
use bevy_ecs::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

pub use adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
pub use api::{ApiError, ChangeCause, Device, device_id, parse_device_id};
pub use radios::sim::{SimControl, SimulatedDongle, SimulationConfig};
pub use radios::zwave;
pub use registry::{Registry, RegistryError, StoredDevice};
pub use schema::{
    BUILTIN_TYPES, CommandSpec, DeviceType, DeviceTypes, FieldSchema, FieldType, Fields, Format,
    TypeError,
};
pub use td::{SB_CONTEXT, TD_CONTEXT, data_schema, object_schema, thing_description};
pub use validate::{FieldError, Rule, check_value, validate_object};

use crate::bevy::{FromRemote, IpcHost, ToRemote};
use crate::{ChannelId, ChannelSpec};
use api::{
    CommandRequest, ConfigureRequest, DescribeRequest, DevicesRequest, DiscoverRequest,
    RegisterRequest, StateRequest, TypesRequest, check_name, parse,
};
use worker::{Job, OpId, Outcome, Output, SubmitError, Worker};

/// The channel names.
pub mod channels {
    /// Request: list the adapters.
    pub const ADAPTERS: &str = "hardware/adapters";
    /// Request: list the devices.
    pub const DEVICES: &str = "hardware/devices";
    /// Request: list the device types.
    pub const TYPES: &str = "hardware/types";
    /// Request: look for devices.
    pub const DISCOVER: &str = "hardware/discover";
    /// Request: register (pair) a device.
    pub const REGISTER: &str = "hardware/register";
    /// Request: send a command to a device.
    pub const COMMAND: &str = "hardware/command";
    /// Request: read a device's state.
    pub const STATE: &str = "hardware/state";
    /// Request: rename or configure a device.
    pub const CONFIGURE: &str = "hardware/configure";
    /// Request: a device's Thing Description.
    pub const DESCRIBE: &str = "hardware/describe";
    /// Event (reliable): a device was found for the first time.
    pub const DISCOVERED: &str = "hardware/events/discovered";
    /// Event (reliable): a device's state, name or configuration changed.
    pub const CHANGED: &str = "hardware/events/changed";
    /// Event (reliable): an adapter or device failed.
    pub const ERROR: &str = "hardware/events/error";
    /// Event (latest): the adapters and their status, on every change.
    pub const ADAPTER_STATUS: &str = "hardware/events/adapters";
}

/// Builds an adapter for a radio; called once when the plugin is built.
pub type AdapterFactory =
    Arc<dyn Fn(&DeviceTypes) -> Result<Box<dyn Adapter>, AdapterError> + Send + Sync>;

/// How long each kind of job may take before the client gets a timeout.
/// Keep them below the host's request timeout (10 s by default), or the
/// host answers the client's request with its own `Timeout` error first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a radio.
    pub start: Duration,
    /// A discovery scan (a request may ask for less).
    pub discover: Duration,
    /// Pairing or restoring a device.
    pub pair: Duration,
    /// A command.
    pub command: Duration,
    /// Reading a device's state.
    pub state: Duration,
    /// Configuring a device.
    pub configure: Duration,
    /// Extra time the game waits beyond a job's timeout for its adapter
    /// thread to report, before answering with a timeout itself.
    pub grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            start: Duration::from_secs(5),
            discover: Duration::from_secs(3),
            pair: Duration::from_secs(5),
            command: Duration::from_secs(2),
            state: Duration::from_secs(2),
            configure: Duration::from_secs(2),
            grace: Duration::from_millis(250),
        }
    }
}

/// Adds the hardware bridge to an app with [`IpcHostPlugin`](crate::bevy::IpcHostPlugin).
///
/// By default every radio gets a simulated dongle, the registry lives in
/// memory, and only the built-in device types are loaded.
#[derive(Clone)]
pub struct HardwareBridgePlugin {
    radios: Vec<Radio>,
    custom: Vec<(Radio, AdapterFactory)>,
    registry_path: Option<PathBuf>,
    types_dir: Option<PathBuf>,
    simulation: SimulationConfig,
    timeouts: Timeouts,
    discover_on_start: bool,
    register_discovered: bool,
    queue: usize,
}

impl Default for HardwareBridgePlugin {
    fn default() -> Self {
        Self {
            radios: Radio::ALL.to_vec(),
            custom: Vec::new(),
            registry_path: None,
            types_dir: None,
            simulation: SimulationConfig::default(),
            timeouts: Timeouts::default(),
            discover_on_start: false,
            register_discovered: false,
            queue: 64,
        }
    }
}

impl std::fmt::Debug for HardwareBridgePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let custom: Vec<Radio> = self.custom.iter().map(|(r, _)| *r).collect();
        f.debug_struct("HardwareBridgePlugin")
            .field("radios", &self.radios)
            .field("custom_adapters", &custom)
            .field("registry_path", &self.registry_path)
            .field("types_dir", &self.types_dir)
            .field("simulation", &self.simulation)
            .field("timeouts", &self.timeouts)
            .field("discover_on_start", &self.discover_on_start)
            .finish_non_exhaustive()
    }
}

impl HardwareBridgePlugin {
    /// Only these radios (simulated unless given an [`adapter`](Self::adapter)).
    pub fn radios(mut self, radios: impl IntoIterator<Item = Radio>) -> Self {
        self.radios = radios.into_iter().collect();
        self.radios.sort();
        self.radios.dedup();
        self
    }

    /// Drive `radio` with a real adapter instead of a simulated dongle.
    /// If the factory fails, the radio falls back to nothing (logged).
    pub fn adapter<F>(mut self, radio: Radio, factory: F) -> Self
    where
        F: Fn(&DeviceTypes) -> Result<Box<dyn Adapter>, AdapterError> + Send + Sync + 'static,
    {
        self.custom.retain(|(r, _)| *r != radio);
        self.custom.push((radio, Arc::new(factory)));
        if !self.radios.contains(&radio) {
            self.radios.push(radio);
            self.radios.sort();
        }
        self
    }

    /// Drive the Z-Wave radio with the Serial API controller (a USB stick)
    /// at `path`, e.g. `/dev/ttyACM0`, instead of a simulated dongle. The
    /// port is opened when the adapter starts; if it is missing the adapter
    /// is listed as `failed` with the reason and tried again with the next
    /// request. See [`zwave::adapter`] for how nodes map to device types.
    pub fn zwave_port(self, path: impl Into<PathBuf>) -> Self {
        self.zwave_port_with(path, zwave::ControllerOptions::default())
    }

    /// [`zwave_port`](Self::zwave_port) with the Serial API transport's
    /// settings (`ACK` timeout, retransmissions, frame timeouts). Each
    /// exchange is also bounded by the bridge's [`Timeouts`].
    pub fn zwave_port_with(
        self,
        path: impl Into<PathBuf>,
        options: zwave::ControllerOptions,
    ) -> Self {
        let path = path.into();
        self.adapter(Radio::Zwave, move |_types| {
            Ok(Box::new(zwave::ZWaveAdapter::new(
                path.clone(),
                options.clone(),
            )))
        })
    }

    /// Keep the registry in this SQLite file (created if missing); without
    /// it the registry is in memory and forgotten at exit.
    pub fn registry(mut self, path: impl Into<PathBuf>) -> Self {
        self.registry_path = Some(path.into());
        self
    }

    /// Also load the device types in this folder (`*.yml`, `*.yaml`); a
    /// type with a built-in id replaces the built-in one.
    pub fn types_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.types_dir = Some(dir.into());
        self
    }

    /// How the simulated dongles behave.
    pub fn simulation(mut self, simulation: SimulationConfig) -> Self {
        self.simulation = simulation;
        self
    }

    /// Seed of the simulated devices.
    pub fn seed(mut self, seed: u64) -> Self {
        self.simulation.seed = seed;
        self
    }

    /// Latency of the simulated dongles (and up to `jitter` more).
    pub fn latency(mut self, latency: Duration, jitter: Duration) -> Self {
        self.simulation.latency = latency;
        self.simulation.jitter = jitter;
        self
    }

    /// Share of simulated exchanges that fail (default 0.01).
    pub fn failure_rate(mut self, rate: f64) -> Self {
        self.simulation.failure_rate = rate;
        self
    }

    /// Every timeout.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Timeout of commands, state reads and configuration.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.command = timeout;
        self.timeouts.state = timeout;
        self.timeouts.configure = timeout;
        self
    }

    /// Run a discovery on every radio at start, so devices are listed
    /// before anyone asks.
    pub fn discover_on_start(mut self, discover: bool) -> Self {
        self.discover_on_start = discover;
        self
    }

    /// Register what the start-up discovery finds, when the device type's
    /// configuration can be filled from defaults alone (demos).
    pub fn register_discovered(mut self, register: bool) -> Self {
        self.register_discovered = register;
        if register {
            self.discover_on_start = true;
        }
        self
    }

    /// Most jobs queued per adapter (default 64); beyond it requests are
    /// refused with `busy`.
    pub fn queue(mut self, jobs: usize) -> Self {
        self.queue = jobs.max(1);
        self
    }
}

impl Plugin for HardwareBridgePlugin {
    fn build(&self, app: &mut App) {
        let mut types = DeviceTypes::builtin();
        let mut type_errors = Vec::new();
        if let Some(dir) = &self.types_dir {
            type_errors = types.load_dir(dir);
            for e in &type_errors {
                tracing::error!("hardware bridge: {e}");
            }
        }
        let (registry, registry_error) = open_registry(self.registry_path.as_deref());

        let mut adapters = BTreeMap::new();
        for &radio in &self.radios {
            let mut sim = None;
            let adapter: Result<Box<dyn Adapter>, AdapterError> =
                match self.custom.iter().find(|(r, _)| *r == radio) {
                    Some((_, factory)) => factory(&types),
                    None => {
                        let dongle = SimulatedDongle::new(radio, &types, &self.simulation);
                        sim = Some(dongle.control());
                        Ok(Box::new(dongle))
                    }
                };
            let adapter = match adapter {
                Ok(adapter) => adapter,
                Err(e) => {
                    tracing::error!("hardware bridge: no {radio} adapter: {e}");
                    continue;
                }
            };
            match Worker::spawn(adapter, self.timeouts.start, self.queue) {
                Ok(worker) => {
                    adapters.insert(
                        radio,
                        Slot {
                            worker,
                            status: AdapterStatus::Starting,
                            error: None,
                            sim,
                        },
                    );
                }
                Err(e) => tracing::error!("hardware bridge: cannot start the {radio} thread: {e}"),
            }
        }

        let mut bridge = HardwareBridge {
            types,
            type_errors,
            adapters,
            devices: BTreeMap::new(),
            registry: Mutex::new(registry),
            registry_error,
            pending: HashMap::new(),
            groups: HashMap::new(),
            next_op: 1,
            timeouts: self.timeouts.clone(),
            channels: None,
            base: None,
            status_dirty: true,
        };
        let mut out = Out::default();
        bridge.restore(&mut out);
        if self.discover_on_start {
            let request = DiscoverRequest::default();
            if let Err(e) = bridge.start_discover(request, None, self.register_discovered) {
                tracing::warn!("hardware bridge: start-up discovery: {e}");
            }
        }
        app.add_message::<FromRemote>()
            .add_message::<ToRemote>()
            .add_message::<HardwareEvent>()
            .insert_resource(bridge)
            .add_systems(Startup, advertise)
            .add_systems(Update, (handle_requests, drain_adapters).chain());
        let world = app.world_mut();
        for event in out.events {
            world.write_message(event);
        }
    }
}

fn open_registry(path: Option<&std::path::Path>) -> (Registry, Option<String>) {
    let opened = match path {
        Some(path) => Registry::open(path),
        None => Registry::in_memory(),
    };
    match opened {
        Ok(registry) => (registry, None),
        Err(e) => {
            tracing::error!("hardware bridge: {e}; keeping devices in memory only");
            match Registry::in_memory() {
                Ok(registry) => (registry, Some(e.to_string())),
                Err(e2) => panic!("hardware bridge: no SQLite at all: {e2}"),
            }
        }
    }
}

/// Something the bridge saw, for game systems.
#[derive(Message, Debug, Clone)]
pub enum HardwareEvent {
    /// A device was found for the first time since the game started.
    Discovered(Device),
    /// A device's state (or name, or configuration) changed.
    Changed {
        /// The device.
        device: String,
        /// Why.
        cause: ChangeCause,
        /// The state fields that changed.
        changes: Object,
    },
    /// An adapter or device failed.
    Error {
        /// The radio.
        radio: Radio,
        /// The device, if one is concerned.
        device: Option<String>,
        /// The error code (`timeout`, `device_error`, ...).
        code: String,
        /// What happened.
        message: String,
    },
}

/// An adapter's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterStatus {
    /// Its thread is opening the radio.
    Starting,
    /// Answering.
    Running,
    /// The radio did not open (retried with the next request).
    Failed,
    /// Its last exchange timed out.
    NotAnswering,
}

/// An adapter as listed on `hardware/adapters`.
#[derive(Debug, Clone, Serialize)]
pub struct AdapterView {
    /// What the adapter says about itself.
    #[serde(flatten)]
    pub info: AdapterInfo,
    /// Its health.
    pub status: AdapterStatus,
    /// The last start or exchange error, while it lasts.
    pub error: Option<String>,
    /// Jobs waiting for it.
    pub queued: usize,
    /// Devices known on this radio.
    pub devices: usize,
}

struct Slot {
    worker: Worker,
    status: AdapterStatus,
    error: Option<String>,
    sim: Option<SimControl>,
}

#[derive(Debug, Clone)]
enum Action {
    Discover {
        group: u64,
    },
    Register {
        device: String,
        name: String,
        config: Object,
    },
    Restore {
        device: String,
    },
    Command {
        device: String,
        command: String,
    },
    State {
        device: String,
    },
    Configure {
        device: String,
        name: String,
        config: Object,
    },
}

struct Pending {
    radio: Radio,
    timeout: Duration,
    deadline: Instant,
    reply: Option<FromRemote>,
    action: Action,
    /// Already answered with a timeout; a late result still updates state.
    expired: bool,
}

struct DiscoverGroup {
    reply: Option<FromRemote>,
    waiting: usize,
    found: BTreeSet<String>,
    errors: Vec<Value>,
    register: bool,
}

/// How long a timed-out job is remembered, so a late result can still
/// update the device's state.
const LATE_RESULTS: Duration = Duration::from_secs(30);

/// Results drained per adapter per frame, so a flood cannot stall a frame.
const OUTPUTS_PER_FRAME: usize = 256;

#[derive(Debug, Clone, Copy)]
struct Channels {
    adapters: ChannelId,
    devices: ChannelId,
    types: ChannelId,
    discover: ChannelId,
    register: ChannelId,
    command: ChannelId,
    state: ChannelId,
    configure: ChannelId,
    describe: ChannelId,
    discovered: ChannelId,
    changed: ChannelId,
    error: ChannelId,
    status: ChannelId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Adapters,
    Devices,
    Types,
    Discover,
    Register,
    Command,
    State,
    Configure,
    Describe,
}

impl Channels {
    fn kind(&self, channel: ChannelId) -> Option<Kind> {
        [
            (self.adapters, Kind::Adapters),
            (self.devices, Kind::Devices),
            (self.types, Kind::Types),
            (self.discover, Kind::Discover),
            (self.register, Kind::Register),
            (self.command, Kind::Command),
            (self.state, Kind::State),
            (self.configure, Kind::Configure),
            (self.describe, Kind::Describe),
        ]
        .into_iter()
        .find(|(id, _)| *id == channel)
        .map(|(_, kind)| kind)
    }
}

/// What a frame's work produced, written out at the end of the system.
#[derive(Default)]
struct Out {
    to: Vec<ToRemote>,
    events: Vec<HardwareEvent>,
}

impl Out {
    fn reply(&mut self, message: &FromRemote, value: &Value) {
        self.to.push(message.reply(value.to_string().as_bytes()));
    }

    fn reply_error(&mut self, message: &FromRemote, error: &ApiError) {
        self.to.push(message.reply_error(&error.to_json()));
    }

    fn flush(self, to: &mut MessageWriter<ToRemote>, events: &mut MessageWriter<HardwareEvent>) {
        to.write_batch(self.to);
        events.write_batch(self.events);
    }
}

/// The bridge's state: adapters, devices, the registry and the requests in
/// flight. Game systems may read it, and use [`command`](Self::command) and
/// [`discover`](Self::discover); the outcome arrives as [`HardwareEvent`]s.
#[derive(Resource)]
pub struct HardwareBridge {
    types: DeviceTypes,
    type_errors: Vec<TypeError>,
    adapters: BTreeMap<Radio, Slot>,
    devices: BTreeMap<String, Device>,
    registry: Mutex<Registry>,
    registry_error: Option<String>,
    pending: HashMap<OpId, Pending>,
    groups: HashMap<u64, DiscoverGroup>,
    next_op: u64,
    timeouts: Timeouts,
    channels: Option<Channels>,
    base: Option<String>,
    status_dirty: bool,
}

impl std::fmt::Debug for HardwareBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HardwareBridge")
            .field("radios", &self.adapters.keys().collect::<Vec<_>>())
            .field("devices", &self.devices.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl HardwareBridge {
    /// Every device known (discovered, registered or restored), by id.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.devices.values()
    }

    /// One device.
    pub fn device(&self, id: &str) -> Option<&Device> {
        self.devices.get(id)
    }

    /// The device types loaded.
    pub fn types(&self) -> &DeviceTypes {
        &self.types
    }

    /// Device type files that were refused.
    pub fn type_errors(&self) -> &[TypeError] {
        &self.type_errors
    }

    /// Why the registry file could not be used (devices are then kept in
    /// memory only).
    pub fn registry_error(&self) -> Option<&str> {
        self.registry_error.as_deref()
    }

    /// The adapters and their health.
    pub fn adapters(&self) -> Vec<AdapterView> {
        self.adapters
            .iter()
            .map(|(radio, slot)| AdapterView {
                info: slot.worker.info().clone(),
                status: slot.status,
                error: slot.error.clone(),
                queued: slot.worker.queued(),
                devices: self.devices.values().filter(|d| d.radio == *radio).count(),
            })
            .collect()
    }

    /// The control handle of `radio`'s simulated dongle (none for real
    /// adapters).
    pub fn sim(&self, radio: Radio) -> Option<&SimControl> {
        self.adapters.get(&radio).and_then(|s| s.sim.as_ref())
    }

    /// Jobs in flight.
    pub fn pending(&self) -> usize {
        self.pending.iter().filter(|(_, p)| !p.expired).count()
    }

    /// The Thing Description of a known device.
    pub fn describe(&self, id: &str) -> Result<Value, ApiError> {
        let device = self.known(id)?;
        let ty = self.device_type(device)?;
        Ok(thing_description(device, ty, self.base.as_deref()))
    }

    /// Sends a validated command from game code; the outcome arrives as a
    /// [`HardwareEvent::Changed`] or [`HardwareEvent::Error`].
    pub fn command(&mut self, device: &str, command: &str, payload: Value) -> Result<(), ApiError> {
        let request = CommandRequest {
            device: device.to_owned(),
            command: command.to_owned(),
            payload: Some(payload),
        };
        self.start_command(request, None)
    }

    /// Starts a discovery on every radio from game code; new devices arrive
    /// as [`HardwareEvent::Discovered`].
    pub fn discover(&mut self) -> Result<(), ApiError> {
        self.start_discover(DiscoverRequest::default(), None, false)
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn known(&self, id: &str) -> Result<&Device, ApiError> {
        self.devices.get(id).ok_or_else(|| {
            ApiError::new(
                "unknown_device",
                format!("no device {id:?} is known; run hardware/discover to find devices"),
            )
            .device(id)
        })
    }

    fn registered(&self, id: &str) -> Result<&Device, ApiError> {
        let device = self.known(id)?;
        if !device.registered {
            return Err(ApiError::new(
                "not_registered",
                format!("device {id:?} is not registered; send hardware/register first"),
            )
            .device(id));
        }
        Ok(device)
    }

    fn device_type(&self, device: &Device) -> Result<&Arc<DeviceType>, ApiError> {
        self.types.get(&device.type_id).ok_or_else(|| {
            ApiError::new(
                "unknown_type",
                format!("no device type {:?} is loaded", device.type_id),
            )
            .device(&device.id)
        })
    }

    fn submit(
        &mut self,
        radio: Radio,
        timeout: Duration,
        job: Job,
        reply: Option<FromRemote>,
        action: Action,
    ) -> Result<(), ApiError> {
        let Some(slot) = self.adapters.get(&radio) else {
            return Err(ApiError::new(
                "adapter_unavailable",
                format!("no {radio} adapter is enabled"),
            ));
        };
        let op = self.next_op;
        self.next_op += 1;
        match slot.worker.submit(op, timeout, job) {
            Ok(()) => {}
            Err(SubmitError::Full) => {
                return Err(ApiError::new(
                    "busy",
                    format!(
                        "the {radio} adapter has {} jobs queued; try again later",
                        slot.worker.queued()
                    ),
                ));
            }
            Err(SubmitError::Stopped) => {
                return Err(ApiError::new(
                    "adapter_unavailable",
                    format!("the {radio} adapter has stopped"),
                ));
            }
        }
        self.pending.insert(
            op,
            Pending {
                radio,
                timeout,
                deadline: Instant::now() + timeout + self.timeouts.grace,
                reply,
                action,
                expired: false,
            },
        );
        Ok(())
    }

    /// Loads the registry and re-attaches every registered device.
    fn restore(&mut self, out: &mut Out) {
        let loaded = self.registry().load_all();
        let stored = match loaded {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!("hardware bridge: cannot read the registry: {e}");
                self.registry_error = Some(e.to_string());
                return;
            }
        };
        for d in stored {
            let type_name = self
                .types
                .get(&d.type_id)
                .map_or_else(|| "unknown type".to_owned(), |t| t.name.clone());
            let device = Device {
                id: d.id.clone(),
                radio: d.radio,
                address: d.address.clone(),
                type_id: d.type_id.clone(),
                type_name,
                manufacturer: d.manufacturer,
                model: d.model,
                name: Some(d.name),
                registered: true,
                available: false,
                config: d.config.clone(),
                state: d.state.clone(),
            };
            self.devices.insert(d.id.clone(), device);
            let pairing = Pairing {
                address: d.address,
                type_id: d.type_id,
                config: d.config,
                last_state: Some(d.state),
            };
            let action = Action::Restore {
                device: d.id.clone(),
            };
            if let Err(e) = self.submit(
                d.radio,
                self.timeouts.pair,
                Job::Pair(pairing),
                None,
                action,
            ) {
                self.error_event(d.radio, Some(&d.id), &e, out);
            }
        }
    }

    fn handle(&mut self, kind: Kind, message: &FromRemote, out: &mut Out) {
        let content = message.content();
        let reply = Some(message.clone());
        let result: Result<Option<Value>, ApiError> = match kind {
            Kind::Adapters => Ok(Some(json!({ "adapters": self.adapters() }))),
            Kind::Devices => parse::<DevicesRequest>(content).map(|r| {
                let devices: Vec<&Device> = self
                    .devices
                    .values()
                    .filter(|d| r.registered.is_none_or(|reg| d.registered == reg))
                    .filter(|d| r.radio.is_none_or(|radio| d.radio == radio))
                    .collect();
                Some(json!({ "devices": devices }))
            }),
            Kind::Types => parse::<TypesRequest>(content).and_then(|r| match r.id {
                None => {
                    let types: Vec<&DeviceType> = self.types.iter().map(|t| t.as_ref()).collect();
                    Ok(Some(json!({ "types": types })))
                }
                Some(id) => match self.types.get(&id) {
                    Some(ty) => Ok(Some(json!({ "type": ty.as_ref() }))),
                    None => Err(ApiError::new(
                        "unknown_type",
                        format!("no device type {id:?} is loaded"),
                    )),
                },
            }),
            Kind::Discover => parse::<DiscoverRequest>(content)
                .and_then(|r| self.start_discover(r, reply, false))
                .map(|()| None),
            Kind::Register => parse::<RegisterRequest>(content)
                .and_then(|r| self.start_register(r, reply))
                .map(|()| None),
            Kind::Command => parse::<CommandRequest>(content)
                .and_then(|r| self.start_command(r, reply))
                .map(|()| None),
            Kind::State => parse::<StateRequest>(content).and_then(|r| self.start_state(r, reply)),
            Kind::Configure => {
                parse::<ConfigureRequest>(content).and_then(|r| self.start_configure(r, reply, out))
            }
            Kind::Describe => {
                parse::<DescribeRequest>(content).and_then(|r| self.describe(&r.device).map(Some))
            }
        };
        match result {
            Ok(Some(value)) => out.reply(message, &value),
            Ok(None) => {}
            Err(e) => out.reply_error(message, &e),
        }
    }

    fn start_discover(
        &mut self,
        request: DiscoverRequest,
        reply: Option<FromRemote>,
        register: bool,
    ) -> Result<(), ApiError> {
        let radios: Vec<Radio> = match request.radio {
            Some(radio) if self.adapters.contains_key(&radio) => vec![radio],
            Some(radio) => {
                return Err(ApiError::new(
                    "adapter_unavailable",
                    format!("no {radio} adapter is enabled"),
                ));
            }
            None => self.adapters.keys().copied().collect(),
        };
        let timeout = request
            .timeout_ms
            .map_or(self.timeouts.discover, Duration::from_millis)
            .clamp(Duration::from_millis(1), Duration::from_secs(60));
        let group = self.next_op;
        self.next_op += 1;
        let mut submitted = 0;
        let mut errors = Vec::new();
        for radio in radios {
            match self.submit(
                radio,
                timeout,
                Job::Discover,
                None,
                Action::Discover { group },
            ) {
                Ok(()) => submitted += 1,
                Err(e) => {
                    errors.push(json!({"radio": radio, "code": e.code, "message": e.message}))
                }
            }
        }
        let group_state = DiscoverGroup {
            reply,
            waiting: submitted,
            found: BTreeSet::new(),
            errors,
            register,
        };
        if submitted == 0 {
            let error = ApiError::new("adapter_unavailable", "no adapter took the discovery");
            return Err(match group_state.errors.first() {
                Some(first) => ApiError::new(
                    "adapter_unavailable",
                    first["message"].as_str().unwrap_or_default().to_owned(),
                ),
                None => error,
            });
        }
        self.groups.insert(group, group_state);
        Ok(())
    }

    fn start_register(
        &mut self,
        request: RegisterRequest,
        reply: Option<FromRemote>,
    ) -> Result<(), ApiError> {
        let device = self.known(&request.device)?;
        let ty = self.device_type(device)?;
        let config = validate_object("config", &ty.config, request.config.as_ref())
            .map_err(|e| ApiError::validation("invalid_config", e).device(&device.id))?;
        let name = match request.name {
            Some(name) => {
                check_name(&name).map_err(|e| e.device(&device.id))?;
                name
            }
            None => device
                .name
                .clone()
                .unwrap_or_else(|| default_name(&ty.name, &device.address)),
        };
        let pairing = Pairing {
            address: device.address.clone(),
            type_id: device.type_id.clone(),
            config: config.clone(),
            last_state: None,
        };
        let (radio, id) = (device.radio, device.id.clone());
        let action = Action::Register {
            device: id.clone(),
            name,
            config,
        };
        self.submit(radio, self.timeouts.pair, Job::Pair(pairing), reply, action)
            .map_err(|e| e.device(id))
    }

    fn start_command(
        &mut self,
        request: CommandRequest,
        reply: Option<FromRemote>,
    ) -> Result<(), ApiError> {
        let device = self.registered(&request.device)?;
        let ty = self.device_type(device)?;
        let Some(spec) = ty.command(&request.command) else {
            let names: Vec<&str> = ty.commands.keys().map(String::as_str).collect();
            return Err(ApiError::new(
                "unknown_command",
                format!(
                    "a {} has no command {:?} (commands: {})",
                    ty.id,
                    request.command,
                    names.join(", ")
                ),
            )
            .device(&device.id));
        };
        let payload = validate_object("payload", &spec.payload, request.payload.as_ref())
            .map_err(|e| ApiError::validation("invalid_payload", e).device(&device.id))?;
        let job = Job::Command {
            address: device.address.clone(),
            command: request.command.clone(),
            payload,
        };
        let (radio, id) = (device.radio, device.id.clone());
        let action = Action::Command {
            device: id.clone(),
            command: request.command,
        };
        self.submit(radio, self.timeouts.command, job, reply, action)
            .map_err(|e| e.device(id))
    }

    fn start_state(
        &mut self,
        request: StateRequest,
        reply: Option<FromRemote>,
    ) -> Result<Option<Value>, ApiError> {
        let device = self.registered(&request.device)?;
        if request.cached {
            return Ok(Some(json!({
                "device": device.id,
                "state": device.state,
                "cached": true,
            })));
        }
        let job = Job::ReadState {
            address: device.address.clone(),
        };
        let (radio, id) = (device.radio, device.id.clone());
        let action = Action::State { device: id.clone() };
        self.submit(radio, self.timeouts.state, job, reply, action)
            .map(|()| None)
            .map_err(|e| e.device(id))
    }

    fn start_configure(
        &mut self,
        request: ConfigureRequest,
        reply: Option<FromRemote>,
        out: &mut Out,
    ) -> Result<Option<Value>, ApiError> {
        let device = self.registered(&request.device)?;
        let ty = self.device_type(device)?;
        let name = match request.name {
            Some(name) => {
                check_name(&name).map_err(|e| e.device(&device.id))?;
                name
            }
            None => device.name.clone().unwrap_or_default(),
        };
        let Some(patch) = request.config else {
            // A rename only: nothing to tell the device.
            let (id, config) = (device.id.clone(), device.config.clone());
            self.settled_settings(&id, name, config, out);
            return Ok(Some(json!({ "device": self.devices.get(&id) })));
        };
        let Value::Object(patch) = patch else {
            return Err(
                ApiError::new("invalid_config", "config: must be a JSON object").device(&device.id),
            );
        };
        let mut merged = Value::Object(device.config.clone());
        for (key, value) in patch {
            if value.is_null() {
                merged.as_object_mut().map(|m| m.remove(&key));
            } else {
                merged[key] = value;
            }
        }
        let config = validate_object("config", &ty.config, Some(&merged))
            .map_err(|e| ApiError::validation("invalid_config", e).device(&device.id))?;
        let job = Job::Configure {
            address: device.address.clone(),
            config: config.clone(),
        };
        let (radio, id) = (device.radio, device.id.clone());
        let action = Action::Configure {
            device: id.clone(),
            name,
            config,
        };
        self.submit(radio, self.timeouts.configure, job, reply, action)
            .map(|()| None)
            .map_err(|e| e.device(id))
    }

    /// Takes in what the adapter threads reported, then times out what is
    /// overdue.
    fn drain(&mut self, out: &mut Out) {
        let mut outputs = Vec::new();
        for (radio, slot) in &self.adapters {
            for _ in 0..OUTPUTS_PER_FRAME {
                match slot.worker.try_output() {
                    Some(output) => outputs.push((*radio, output)),
                    None => break,
                }
            }
        }
        for (radio, output) in outputs {
            match output {
                Output::Started(Ok(info)) => {
                    if let Some(slot) = self.adapters.get_mut(&radio)
                        && slot.worker.set_info(info)
                    {
                        self.status_dirty = true;
                    }
                    self.set_status(radio, AdapterStatus::Running, None);
                }
                Output::Started(Err(e)) => {
                    self.set_status(radio, AdapterStatus::Failed, Some(e.to_string()));
                    let error =
                        ApiError::new(e.code(), format!("{radio} adapter did not start: {e}"));
                    self.error_event(radio, None, &error, out);
                }
                Output::Event(event) => self.adapter_event(radio, event, out),
                Output::Finished { op, result } => self.finish(radio, op, result, out),
            }
        }
        self.expire(Instant::now(), out);
        if self.status_dirty {
            self.status_dirty = false;
            if let Some(channels) = self.channels {
                let body = json!({ "adapters": self.adapters() }).to_string();
                out.to
                    .push(ToRemote::publish(channels.status, body.as_bytes()));
            }
        }
    }

    fn set_status(&mut self, radio: Radio, status: AdapterStatus, error: Option<String>) {
        if let Some(slot) = self.adapters.get_mut(&radio)
            && (slot.status != status || slot.error != error)
        {
            slot.status = status;
            slot.error = error;
            self.status_dirty = true;
        }
    }

    fn expire(&mut self, now: Instant, out: &mut Out) {
        let overdue: Vec<OpId> = self
            .pending
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(op, _)| *op)
            .collect();
        for op in overdue {
            let Some(pending) = self.pending.get_mut(&op) else {
                continue;
            };
            if pending.expired {
                self.pending.remove(&op);
                continue;
            }
            pending.expired = true;
            pending.deadline = now + LATE_RESULTS;
            let (radio, timeout) = (pending.radio, pending.timeout);
            let reply = pending.reply.take();
            let action = pending.action.clone();
            let error = AdapterError::Timeout(timeout);
            self.set_status(radio, AdapterStatus::NotAnswering, Some(error.to_string()));
            self.fail(radio, reply, &action, &error, out);
        }
    }

    fn adapter_event(&mut self, radio: Radio, event: AdapterEvent, out: &mut Out) {
        match event {
            AdapterEvent::Discovered(found) => {
                self.found(radio, vec![found], out);
            }
            AdapterEvent::StateChanged { address, changes } => {
                let id = device_id(radio, &address);
                if self.devices.contains_key(&id) {
                    self.apply_state(&id, changes, ChangeCause::Report, out);
                } else {
                    tracing::debug!("hardware bridge: report from unknown device {id}");
                }
            }
            AdapterEvent::Error { address, message } => {
                let id = address.map(|a| device_id(radio, &a));
                let error = ApiError::new("device_error", message);
                self.error_event(radio, id.as_deref(), &error, out);
            }
        }
    }

    fn finish(
        &mut self,
        radio: Radio,
        op: OpId,
        result: Result<Outcome, AdapterError>,
        out: &mut Out,
    ) {
        let Some(mut pending) = self.pending.remove(&op) else {
            return;
        };
        match &result {
            Ok(_) => self.set_status(radio, AdapterStatus::Running, None),
            Err(e @ AdapterError::Timeout(_)) => {
                self.set_status(radio, AdapterStatus::NotAnswering, Some(e.to_string()));
            }
            Err(_) => self.set_status(radio, AdapterStatus::Running, None),
        }
        let reply = pending.reply.take();
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                if !pending.expired {
                    self.fail(radio, reply, &pending.action, &e, out);
                }
                return;
            }
        };
        match (pending.action, outcome) {
            (Action::Discover { group }, Outcome::Found(found)) => {
                let ids = self.found(radio, found, out);
                if let Some(g) = self.groups.get_mut(&group) {
                    g.found.extend(ids);
                    g.waiting = g.waiting.saturating_sub(1);
                }
                self.finish_group(group, out);
            }
            (
                Action::Register {
                    device,
                    name,
                    config,
                },
                Outcome::State(state),
            ) => {
                let Some(d) = self.devices.get_mut(&device) else {
                    return;
                };
                d.registered = true;
                d.available = true;
                d.name = Some(name);
                d.config = config;
                d.state = Object::new();
                let stored = stored(d);
                if let Err(e) = self.registry().upsert(&stored) {
                    tracing::error!("hardware bridge: {e}");
                }
                self.apply_state(&device, state, ChangeCause::Register, out);
                if let Some(message) = reply {
                    out.reply(&message, &json!({ "device": self.devices.get(&device) }));
                }
            }
            (Action::Restore { device }, Outcome::State(state)) => {
                if let Some(d) = self.devices.get_mut(&device) {
                    d.available = true;
                }
                self.apply_state(&device, state, ChangeCause::Restore, out);
            }
            (Action::Command { device, command }, Outcome::State(state)) => {
                self.apply_state(&device, state, ChangeCause::Command, out);
                if let (Some(message), Some(d)) = (reply, self.devices.get(&device)) {
                    let body = json!({ "device": device, "command": command, "state": d.state });
                    out.reply(&message, &body);
                }
            }
            (Action::State { device }, Outcome::State(state)) => {
                self.apply_state(&device, state, ChangeCause::Read, out);
                if let (Some(message), Some(d)) = (reply, self.devices.get(&device)) {
                    let body = json!({ "device": device, "state": d.state, "cached": false });
                    out.reply(&message, &body);
                }
            }
            (
                Action::Configure {
                    device,
                    name,
                    config,
                },
                Outcome::Done,
            ) => {
                self.settled_settings(&device, name, config, out);
                if let Some(message) = reply {
                    out.reply(&message, &json!({ "device": self.devices.get(&device) }));
                }
            }
            (action, outcome) => {
                tracing::error!(
                    "hardware bridge: {radio} adapter answered {action:?} with {outcome:?}"
                );
                if let Some(message) = reply {
                    let error = ApiError::new("adapter_error", "the adapter gave a wrong answer");
                    out.reply_error(&message, &error);
                }
            }
        }
    }

    /// Answers a failed job and reports adapter-side failures.
    fn fail(
        &mut self,
        radio: Radio,
        reply: Option<FromRemote>,
        action: &Action,
        error: &AdapterError,
        out: &mut Out,
    ) {
        let device = match action {
            Action::Discover { .. } => None,
            Action::Register { device, .. }
            | Action::Restore { device }
            | Action::Command { device, .. }
            | Action::State { device }
            | Action::Configure { device, .. } => Some(device.clone()),
        };
        let what = match action {
            Action::Discover { .. } => "discovery".to_owned(),
            Action::Register { .. } => "registration".to_owned(),
            Action::Restore { .. } => "restore".to_owned(),
            Action::Command { command, .. } => format!("command {command:?}"),
            Action::State { .. } => "state read".to_owned(),
            Action::Configure { .. } => "configuration".to_owned(),
        };
        let subject = device
            .as_deref()
            .map_or_else(String::new, |d| format!(" to {d}"));
        let mut api = ApiError::new(
            error.code(),
            format!("{radio} adapter: {what}{subject} failed: {error}"),
        );
        api.device = device.clone();
        self.error_event(radio, device.as_deref(), &api, out);
        if let Action::Restore { device } = action
            && let Some(d) = self.devices.get_mut(device)
        {
            d.available = false;
        }
        if let Action::Discover { group } = action {
            if let Some(g) = self.groups.get_mut(group) {
                g.errors
                    .push(json!({"radio": radio, "code": api.code, "message": api.message}));
                g.waiting = g.waiting.saturating_sub(1);
            }
            self.finish_group(*group, out);
            return;
        }
        if let Some(message) = reply {
            out.reply_error(&message, &api);
        }
    }

    fn finish_group(&mut self, group: u64, out: &mut Out) {
        if self.groups.get(&group).is_none_or(|g| g.waiting > 0) {
            return;
        }
        let Some(g) = self.groups.remove(&group) else {
            return;
        };
        if let Some(message) = g.reply {
            let devices: Vec<&Device> = g
                .found
                .iter()
                .filter_map(|id| self.devices.get(id))
                .collect();
            out.reply(&message, &json!({ "devices": devices, "errors": g.errors }));
        }
        if g.register {
            for id in g.found {
                let Some(device) = self.devices.get(&id) else {
                    continue;
                };
                let defaults_suffice = self
                    .types
                    .get(&device.type_id)
                    .is_some_and(|t| validate_object("config", &t.config, None).is_ok());
                if device.registered || !defaults_suffice {
                    continue;
                }
                let request = RegisterRequest {
                    device: id.clone(),
                    name: None,
                    config: None,
                };
                if let Err(e) = self.start_register(request, None) {
                    tracing::warn!("hardware bridge: cannot register {id}: {e}");
                }
            }
        }
    }

    /// Takes in devices an adapter found; returns their ids.
    fn found(&mut self, radio: Radio, found: Vec<FoundDevice>, out: &mut Out) -> Vec<String> {
        let mut ids = Vec::with_capacity(found.len());
        for f in found {
            let id = device_id(radio, &f.address);
            ids.push(id.clone());
            if let Some(device) = self.devices.get_mut(&id) {
                device.available = true;
                if !device.registered {
                    device.manufacturer = f.manufacturer;
                    device.model = f.model;
                }
                continue;
            }
            let type_name = self
                .types
                .get(&f.type_id)
                .map_or_else(|| "unknown type".to_owned(), |t| t.name.clone());
            let device = Device {
                id: id.clone(),
                radio,
                address: f.address,
                type_id: f.type_id,
                type_name,
                manufacturer: f.manufacturer,
                model: f.model,
                name: None,
                registered: false,
                available: true,
                config: Object::new(),
                state: Object::new(),
            };
            if let Some(channels) = self.channels {
                let body = serde_json::to_string(&device).unwrap_or_default();
                out.to
                    .push(ToRemote::publish(channels.discovered, body.as_bytes()));
            }
            out.events.push(HardwareEvent::Discovered(device.clone()));
            self.devices.insert(id, device);
        }
        ids
    }

    /// Merges reported state into a device, keeping only fields its type
    /// declares with values that fit; publishes what changed.
    fn apply_state(&mut self, id: &str, reported: Object, cause: ChangeCause, out: &mut Out) {
        let Some(device) = self.devices.get_mut(id) else {
            return;
        };
        let ty = self.types.get(&device.type_id);
        let mut changes = Object::new();
        for (name, value) in reported {
            let fits = match ty.and_then(|t| t.state.get(&name)) {
                Some(field) => check_value(&name, field, &value).map_err(|e| e.to_string()),
                None => Err(format!("{name}: not a state field")),
            };
            if let Err(e) = fits {
                tracing::debug!("hardware bridge: {id} reported a value that does not fit: {e}");
                continue;
            }
            if device.state.get(&name) != Some(&value) {
                device.state.insert(name.clone(), value.clone());
                changes.insert(name, value);
            }
        }
        let registered = device.registered;
        let state = device.state.clone();
        let settings = matches!(cause, ChangeCause::Register | ChangeCause::Configure)
            .then(|| (device.name.clone(), device.config.clone()));
        if changes.is_empty() && settings.is_none() {
            return;
        }
        if registered
            && !changes.is_empty()
            && let Err(e) = self.registry().set_state(id, &state)
        {
            tracing::error!("hardware bridge: {e}");
        }
        if let Some(channels) = self.channels {
            let mut body = json!({
                "device": id,
                "cause": cause,
                "changes": changes,
                "state": state,
            });
            if let Some((name, config)) = settings {
                body["name"] = json!(name);
                body["config"] = Value::Object(config);
            }
            out.to.push(ToRemote::publish(
                channels.changed,
                body.to_string().as_bytes(),
            ));
        }
        out.events.push(HardwareEvent::Changed {
            device: id.to_owned(),
            cause,
            changes,
        });
    }

    /// Stores a new name and configuration and tells subscribers.
    fn settled_settings(&mut self, id: &str, name: String, config: Object, out: &mut Out) {
        let Some(device) = self.devices.get_mut(id) else {
            return;
        };
        device.name = Some(name.clone());
        device.config = config.clone();
        if let Err(e) = self.registry().set_settings(id, &name, &config) {
            tracing::error!("hardware bridge: {e}");
        }
        self.apply_state(id, Object::new(), ChangeCause::Configure, out);
    }

    fn error_event(&mut self, radio: Radio, device: Option<&str>, error: &ApiError, out: &mut Out) {
        tracing::debug!("hardware bridge: {radio}: {error}");
        if let Some(channels) = self.channels {
            let body = json!({
                "radio": radio,
                "device": device,
                "code": error.code,
                "message": error.message,
            });
            out.to.push(ToRemote::publish(
                channels.error,
                body.to_string().as_bytes(),
            ));
        }
        out.events.push(HardwareEvent::Error {
            radio,
            device: device.map(str::to_owned),
            code: error.code.to_owned(),
            message: error.message.clone(),
        });
    }
}

fn default_name(type_name: &str, address: &str) -> String {
    let tail: String = address
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{type_name} {tail}")
}

fn stored(device: &Device) -> StoredDevice {
    StoredDevice {
        id: device.id.clone(),
        radio: device.radio,
        address: device.address.clone(),
        type_id: device.type_id.clone(),
        manufacturer: device.manufacturer.clone(),
        model: device.model.clone(),
        name: device.name.clone().unwrap_or_default(),
        config: device.config.clone(),
        state: device.state.clone(),
    }
}

fn advertise(host: Option<Res<IpcHost>>, mut bridge: ResMut<HardwareBridge>) {
    let Some(host) = host else { return };
    let request = |name: &str, description: &str| {
        ChannelSpec::new(name)
            .encoding("json")
            .schema("switchboard.hardware")
            .description(description)
    };
    let specs = [
        request(channels::ADAPTERS, "request {} -> {adapters:[..]}"),
        request(
            channels::DEVICES,
            "request {registered?, radio?} -> {devices:[..]}",
        ),
        request(channels::TYPES, "request {id?} -> {types:[..]} or {type}"),
        request(
            channels::DISCOVER,
            "request {radio?, timeout_ms?} -> {devices:[..], errors:[..]}",
        ),
        request(
            channels::REGISTER,
            "request {device, name?, config?} -> {device}",
        ),
        request(
            channels::COMMAND,
            "request {device, command, payload?} -> {device, command, state}",
        ),
        request(
            channels::STATE,
            "request {device, cached?} -> {device, state, cached}",
        ),
        request(
            channels::CONFIGURE,
            "request {device, name?, config?} -> {device}",
        ),
        request(
            channels::DESCRIBE,
            "request {device} -> W3C WoT Thing Description",
        ),
        request(channels::DISCOVERED, "a device found for the first time"),
        request(channels::CHANGED, "{device, cause, changes, state}"),
        request(channels::ERROR, "{radio, device, code, message}"),
        request(
            channels::ADAPTER_STATUS,
            "{adapters:[..]} whenever an adapter's status changes",
        )
        .latest(),
    ];
    let mut ids = Vec::with_capacity(specs.len());
    for spec in specs {
        let name = spec.name.clone();
        match host.advertise(spec) {
            Ok(id) => ids.push(id),
            Err(e) => {
                tracing::error!("hardware bridge: cannot advertise {name}: {e}");
                return;
            }
        }
    }
    bridge.channels = Some(Channels {
        adapters: ids[0],
        devices: ids[1],
        types: ids[2],
        discover: ids[3],
        register: ids[4],
        command: ids[5],
        state: ids[6],
        configure: ids[7],
        describe: ids[8],
        discovered: ids[9],
        changed: ids[10],
        error: ids[11],
        status: ids[12],
    });
    bridge.base = Some(format!("ws://{}/", host.local_addr()));
    bridge.status_dirty = true;
}

fn handle_requests(
    mut bridge: ResMut<HardwareBridge>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let Some(channels) = bridge.channels else {
        from.clear();
        return;
    };
    let mut out = Out::default();
    for message in from.read() {
        if message.request_id().is_none() {
            continue;
        }
        if let Some(kind) = channels.kind(message.channel()) {
            bridge.handle(kind, message, &mut out);
        }
    }
    out.flush(&mut to, &mut events);
}

fn drain_adapters(
    mut bridge: ResMut<HardwareBridge>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let mut out = Out::default();
    bridge.drain(&mut out);
    out.flush(&mut to, &mut events);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_use_the_end_of_the_address() {
        assert_eq!(
            default_name("Dimmable bulb", "00124b00a1b2c3d4"),
            "Dimmable bulb c3d4"
        );
        assert_eq!(default_name("Switch", "a4:cf:12:00:10:01"), "Switch 1001");
        assert_eq!(default_name("Switch", "7"), "Switch 7");
    }
}
