//! The bridge's state: its adapters and their health, the devices, the
//! registry, the jobs in flight and the [`Timeouts`] that bound them; the
//! public view game code gets of it, and the steps every request and result
//! share (submitting a job, publishing an event).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::adapter::{AdapterInfo, Object, Radio};
use super::api::{ApiError, Device};
use super::events::HardwareEvent;
use super::out::{Event, EventChannels, Out};
use super::radios::sim::SimControl;
use super::registry::Registry;
use super::schema::{DeviceType, DeviceTypes, TypeError};
use super::td::thing_description;
use super::worker::{AdapterJob, OpId, SubmitError, Worker};
use crate::bevy::{FromRemote, ToRemote};

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

/// An adapter's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterStatus {
    /// Its thread is opening the radio.
    Starting,
    /// Its radio answered the last exchange.
    Running,
    /// The radio did not open, or its port went away (opened again with
    /// the next job). Only an answer from the radio ends it.
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

/// One radio's adapter thread and what the bridge knows of its health.
pub(super) struct Slot {
    pub(super) worker: Worker,
    pub(super) status: AdapterStatus,
    pub(super) error: Option<String>,
    pub(super) sim: Option<SimControl>,
}

impl Slot {
    pub(super) fn new(worker: Worker, sim: Option<SimControl>) -> Self {
        Self {
            worker,
            status: AdapterStatus::Starting,
            error: None,
            sim,
        }
    }
}

/// What a job was submitted for, so its result lands in the right place.
#[derive(Debug, Clone)]
pub(super) enum Purpose {
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

/// A job an adapter thread is working on.
pub(super) struct InFlightJob {
    pub(super) radio: Radio,
    pub(super) timeout: Duration,
    pub(super) deadline: Instant,
    pub(super) reply: Option<FromRemote>,
    pub(super) purpose: Purpose,
    /// Already answered with a timeout; a late result still updates state.
    pub(super) expired: bool,
}

/// A discovery over several radios, answered once every radio has.
pub(super) struct DiscoverGroup {
    pub(super) reply: Option<FromRemote>,
    pub(super) waiting: usize,
    pub(super) found: BTreeSet<String>,
    pub(super) errors: Vec<Value>,
    pub(super) register: bool,
}

/// The bridge's state: adapters, devices, the registry and the requests in
/// flight. Game systems may read it, and use [`command`](Self::command) and
/// [`discover`](Self::discover); the outcome arrives as [`HardwareEvent`]s.
#[derive(Resource)]
pub struct HardwareBridge {
    pub(super) types: DeviceTypes,
    pub(super) type_errors: Vec<TypeError>,
    pub(super) adapters: BTreeMap<Radio, Slot>,
    pub(super) devices: BTreeMap<String, Device>,
    pub(super) registry: Mutex<Registry>,
    pub(super) registry_error: Option<String>,
    pub(super) jobs: HashMap<OpId, InFlightJob>,
    pub(super) groups: HashMap<u64, DiscoverGroup>,
    pub(super) next_op: u64,
    pub(super) timeouts: Timeouts,
    /// Set once the channels are advertised; until then nothing is
    /// published (and no request is routed to a handler).
    pub(super) event_channels: Option<EventChannels>,
    pub(super) base: Option<String>,
    pub(super) status_dirty: bool,
}

impl std::fmt::Debug for HardwareBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HardwareBridge")
            .field("radios", &self.adapters.keys().collect::<Vec<_>>())
            .field("devices", &self.devices.len())
            .field("jobs", &self.jobs.len())
            .finish_non_exhaustive()
    }
}

impl HardwareBridge {
    pub(super) fn new(
        types: DeviceTypes,
        type_errors: Vec<TypeError>,
        adapters: BTreeMap<Radio, Slot>,
        registry: Registry,
        registry_error: Option<String>,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            types,
            type_errors,
            adapters,
            devices: BTreeMap::new(),
            registry: Mutex::new(registry),
            registry_error,
            jobs: HashMap::new(),
            groups: HashMap::new(),
            next_op: 1,
            timeouts,
            event_channels: None,
            base: None,
            status_dirty: true,
        }
    }

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
        self.jobs.values().filter(|j| !j.expired).count()
    }

    /// The Thing Description of a known device.
    pub fn describe(&self, id: &str) -> Result<Value, ApiError> {
        let device = self.known(id)?;
        let ty = self.device_type(device)?;
        Ok(thing_description(device, ty, self.base.as_deref()))
    }

    pub(super) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn known(&self, id: &str) -> Result<&Device, ApiError> {
        self.devices.get(id).ok_or_else(|| {
            ApiError::new(
                "unknown_device",
                format!("no device {id:?} is known; run hardware/discover to find devices"),
            )
            .device(id)
        })
    }

    pub(super) fn registered(&self, id: &str) -> Result<&Device, ApiError> {
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

    pub(super) fn device_type(&self, device: &Device) -> Result<&Arc<DeviceType>, ApiError> {
        self.types.get(&device.type_id).ok_or_else(|| {
            ApiError::new(
                "unknown_type",
                format!("no device type {:?} is loaded", device.type_id),
            )
            .device(&device.id)
        })
    }

    /// Queues a job on `radio`'s adapter thread; its result comes back
    /// through [`drain`](Self::drain) and answers `reply`, if any.
    pub(super) fn submit(
        &mut self,
        radio: Radio,
        timeout: Duration,
        job: AdapterJob,
        reply: Option<FromRemote>,
        purpose: Purpose,
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
        self.jobs.insert(
            op,
            InFlightJob {
                radio,
                timeout,
                deadline: Instant::now() + timeout + self.timeouts.grace,
                reply,
                purpose,
                expired: false,
            },
        );
        Ok(())
    }

    /// Publishes `body` on an event channel, once the channels exist.
    pub(super) fn publish(&self, event: Event, body: &Value, out: &mut Out) {
        if let Some(channel) = self.event_channels.as_ref().and_then(|c| c.get(event)) {
            out.to
                .push(ToRemote::publish(channel, body.to_string().as_bytes()));
        }
    }

    /// Tells clients and game systems that a radio or device failed.
    pub(super) fn error_event(
        &mut self,
        radio: Radio,
        device: Option<&str>,
        error: &ApiError,
        out: &mut Out,
    ) {
        tracing::debug!("hardware bridge: {radio}: {error}");
        let body = json!({
            "radio": radio,
            "device": device,
            "code": error.code,
            "message": error.message,
        });
        self.publish(Event::Error, &body, out);
        out.events.push(HardwareEvent::Error {
            radio,
            device: device.map(str::to_owned),
            code: error.code.to_owned(),
            message: error.message.clone(),
        });
    }
}
