//! The plugin that adds the bridge to an app: its builder (radios,
//! adapters, registry, device types, timeouts), and what happens when it
//! is built: types loaded, registry opened, one adapter thread per radio,
//! registered devices re-attached.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bevy_app::{App, Plugin, Startup, Update};
use bevy_ecs::prelude::*;

use super::adapter::{Adapter, AdapterError, Radio};
use super::api::DiscoverRequest;
use super::bridge::{HardwareBridge, Slot, Timeouts};
use super::channels::Routes;
use super::events::HardwareEvent;
use super::out::Out;
use super::radios::sim::{SimulatedDongle, SimulationConfig};
use super::radios::zwave;
use super::registry::Registry;
use super::schema::DeviceTypes;
use super::systems::{advertise, drain_adapters, handle_requests};
use super::worker::Worker;
use crate::bevy::{FromRemote, ToRemote};

/// Builds an adapter for a radio; called once when the plugin is built.
pub type AdapterFactory =
    Arc<dyn Fn(&DeviceTypes) -> Result<Box<dyn Adapter>, AdapterError> + Send + Sync>;

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
    #[cfg(all(unix, feature = "plugins"))]
    plugin_adapters: bool,
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
            #[cfg(all(unix, feature = "plugins"))]
            plugin_adapters: false,
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

    /// Let plugin processes provide devices (features `plugins`, Unix):
    /// an adapter for the radio [`Radio::Plugin`] proxies every plugin that
    /// lists devices on its `adapter/devices` channel
    /// ([`plugin_adapters`](super::plugin_adapters)). Needs
    /// [`IpcPluginsPlugin`](crate::bevy::IpcPluginsPlugin) in the app.
    #[cfg(all(unix, feature = "plugins"))]
    pub fn plugin_adapters(mut self) -> Self {
        self.plugin_adapters = true;
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
                    adapters.insert(radio, Slot::new(worker, sim));
                }
                Err(e) => tracing::error!("hardware bridge: cannot start the {radio} thread: {e}"),
            }
        }

        #[cfg(all(unix, feature = "plugins"))]
        if self.plugin_adapters {
            let (proxy, relay) = super::plugin_adapters::pair();
            match Worker::spawn(Box::new(proxy), self.timeouts.start, self.queue) {
                Ok(worker) => {
                    adapters.insert(Radio::Plugin, Slot::new(worker, None));
                    app.insert_resource(relay)
                        .add_systems(Startup, super::plugin_adapters::watch_adapter_channels)
                        .add_systems(Update, super::plugin_adapters::relay.after(drain_adapters));
                }
                Err(e) => {
                    tracing::error!("hardware bridge: cannot start the plugin adapter thread: {e}")
                }
            }
        }

        // Plugins' device requests and event subscriptions (each checked
        // against its manifest by the plugin manager).
        #[cfg(all(unix, feature = "plugins"))]
        app.add_systems(Startup, super::plugin_devices::serve_device_requests)
            .add_systems(
                Update,
                (
                    super::plugin_devices::answer_device_requests.before(handle_requests),
                    super::plugin_devices::send_device_events.after(drain_adapters),
                ),
            );

        let mut bridge = HardwareBridge::new(
            types,
            type_errors,
            adapters,
            registry,
            registry_error,
            self.timeouts.clone(),
        );
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
            .init_resource::<Routes>()
            .add_systems(Startup, advertise)
            .add_systems(Update, (handle_requests, drain_adapters).chain());
        let world = app.world_mut();
        for event in out.events {
            world.write_message(event);
        }
    }
}

fn open_registry(path: Option<&Path>) -> (Registry, Option<String>) {
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
