//! The contract between the bridge and a radio: the [`Adapter`] trait, and
//! what adapters say back.
//!
//! An adapter owns one radio (a dongle, a serial port, a socket). Its
//! methods block, each bounded by the `timeout` it is given, because the
//! bridge runs every adapter on its own thread ([`worker`](super::worker)):
//! the game thread never calls an adapter.
//!
//! The [`Adapter`] trait's documentation is the contract: what every
//! radio provides, and what each error means for the answer's code and the
//! adapter's status.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::fields::Object;

/// The radios the bridge knows. One adapter per radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Radio {
    /// IEEE 802.15.4 mesh; devices addressed by their 64-bit IEEE address.
    Zigbee,
    /// Sub-GHz mesh; devices addressed by node id.
    Zwave,
    /// IP devices on the local network; addressed by MAC address.
    Wifi,
    /// Bluetooth Low Energy; addressed by device address.
    Bluetooth,
    /// Devices that plugin processes provide (feature `plugins`);
    /// addressed by `<plugin id>.<device id>`. Not one of [`Radio::ALL`]:
    /// it is added by [`HardwareBridgePlugin::plugin_adapters`](super::HardwareBridgePlugin::plugin_adapters).
    Plugin,
}

impl Radio {
    /// Every hardware radio, in a fixed order (the default radios of the
    /// bridge); [`Radio::Plugin`] is not one of them.
    pub const ALL: [Radio; 4] = [Radio::Zigbee, Radio::Zwave, Radio::Wifi, Radio::Bluetooth];

    /// The lowercase name used in JSON and device ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Radio::Zigbee => "zigbee",
            Radio::Zwave => "zwave",
            Radio::Wifi => "wifi",
            Radio::Bluetooth => "bluetooth",
            Radio::Plugin => "plugin",
        }
    }
}

impl fmt::Display for Radio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Radio {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Radio::ALL
            .into_iter()
            .chain([Radio::Plugin])
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown radio {s:?} (expected zigbee, zwave, wifi, bluetooth or plugin)")
            })
    }
}

/// What an adapter says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdapterInfo {
    /// The radio it drives.
    pub radio: Radio,
    /// Shown to people, e.g. "Simulated Zigbee dongle".
    pub name: String,
    /// Where it is attached, e.g. "/dev/ttyACM0" or "simulated".
    pub port: String,
    /// True for the simulated dongles.
    pub simulated: bool,
    /// Firmware or driver version, when known.
    pub firmware: Option<String>,
}

/// A device an adapter found, paired or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundDevice {
    /// The radio-specific address (IEEE address, node id, MAC).
    pub address: String,
    /// The device type id (a file under `types/`), e.g. `bulb`.
    #[serde(rename = "type")]
    pub type_id: String,
    /// Maker, as the device reports it.
    pub manufacturer: String,
    /// Model, as the device reports it.
    pub model: String,
}

/// How the bridge asks an adapter to take a device on.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    /// The device's address.
    pub address: String,
    /// Its device type id.
    pub type_id: String,
    /// Its configuration, already validated against the type's schema.
    pub config: Object,
    /// The last state the registry knows, when the device is being restored
    /// after a restart rather than paired for the first time.
    pub last_state: Option<Object>,
}

/// Something an adapter reports without being asked.
#[derive(Debug, Clone, PartialEq)]
pub enum AdapterEvent {
    /// A device announced itself (joined the network, advertised).
    Discovered(FoundDevice),
    /// A device reported new values; `changes` holds the state fields that
    /// changed (or all of them).
    StateChanged {
        /// The device's address.
        address: String,
        /// The changed fields.
        changes: Object,
    },
    /// A device can be reached again, or no longer (its plugin stopped,
    /// it left the network); `hardware/events/changed` tells clients with
    /// the cause `availability`.
    Availability {
        /// The device's address.
        address: String,
        /// Whether it can be reached now.
        available: bool,
    },
    /// Something went wrong outside of any request; `address: None` with
    /// an adapter failure (such as a lost port) marks the adapter failed
    /// (see [`Adapter`]).
    Error {
        /// The device concerned, if any.
        address: Option<String>,
        /// What happened, sorted as for a job.
        error: AdapterError,
    },
}

/// What can go wrong in an adapter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdapterError {
    /// The radio or device did not answer in time.
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// No device with this address on this radio.
    #[error("no device with address {0:?} on this radio")]
    UnknownAddress(String),
    /// The device has not been paired through this adapter.
    #[error("device {0:?} is not paired")]
    NotPaired(String),
    /// The device or adapter cannot do this.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The device refused or failed (no acknowledgement, busy, rejected).
    #[error("device failed: {0}")]
    Device(String),
    /// The port or socket failed.
    #[error("I/O error: {0}")]
    Io(String),
    /// A job arrived while the adapter could not be started; holds why the
    /// last start failed. Returned by the bridge, never by adapters.
    #[error("the adapter has not started: {0}")]
    NotStarted(String),
    /// The adapter has stopped.
    #[error("adapter stopped")]
    Stopped,
}

impl AdapterError {
    /// The error code used in JSON answers (`docs/hardware.md`).
    pub fn code(&self) -> &'static str {
        match self {
            AdapterError::Timeout(_) => "timeout",
            AdapterError::UnknownAddress(_) => "unknown_device",
            AdapterError::NotPaired(_) => "not_registered",
            AdapterError::Unsupported(_) => "unsupported",
            AdapterError::Device(_) => "device_error",
            AdapterError::Io(_) | AdapterError::NotStarted(_) => "adapter_error",
            AdapterError::Stopped => "adapter_unavailable",
        }
    }

    /// Whether the adapter itself failed (its port, its radio, its thread)
    /// rather than one device or one exchange: the adapter is then listed
    /// as failed, not running.
    pub fn is_adapter_failure(&self) -> bool {
        matches!(
            self,
            AdapterError::Io(_) | AdapterError::NotStarted(_) | AdapterError::Stopped
        )
    }
}

/// One radio's driver. Implement this to put a real dongle behind the
/// bridge; the simulated dongles ([`SimulatedDongle`](super::SimulatedDongle))
/// and the Z-Wave adapter ([`ZWaveAdapter`](super::zwave::ZWaveAdapter))
/// implement it too.
///
/// Every method runs on the adapter's own thread, never on the game thread,
/// one call at a time. Each blocking method gets a `timeout` and must return
/// within it (with [`AdapterError::Timeout`] when the radio stays silent).
///
/// # What a radio provides
///
/// Each radio in [`radios`](super::radios), and any adapter handed to
/// [`HardwareBridgePlugin::adapter`](super::HardwareBridgePlugin::adapter),
/// provides:
///
/// - A type implementing [`Adapter`] (`Send + 'static`), built once by its
///   [`AdapterFactory`](super::AdapterFactory) when the plugin is built.
///   Its methods are called one at a time, from its own thread.
/// - [`info`](Adapter::info): who it is, without I/O. Read when its thread
///   starts and after every `start` that succeeds, so `firmware` may stay
///   `None` until the radio is open.
/// - [`start`](Adapter::start): opens the radio within the timeout. After a
///   failure the thread calls `start` again before each later job (a stick
///   plugged back in is picked up), so `start` must work again after it
///   failed and release whatever a failed attempt opened.
/// - The jobs ([`discover`](Adapter::discover), [`pair`](Adapter::pair),
///   [`command`](Adapter::command), [`read_state`](Adapter::read_state),
///   [`configure`](Adapter::configure)): each returns within the timeout
///   it gets (what is left of the job's deadline), with
///   [`AdapterError::Timeout`] when the radio stays silent; a serial-backed
///   adapter bounds its port reads by it. Payloads and configurations
///   arrive validated against the device type.
/// - [`poll_events`](Adapter::poll_events): what the radio sent on its own,
///   without blocking; called every [`poll_interval`](Adapter::poll_interval)
///   between jobs while the adapter runs.
/// - [`stop`](Adapter::stop): closes the radio, once, at shutdown.
///
/// # What errors mean
///
/// An error decides the code a client is answered with and the adapter's
/// status on `hardware/adapters`, so it names who failed
/// ([`AdapterError::is_adapter_failure`]):
///
/// | error | when | code | adapter status |
/// | --- | --- | --- | --- |
/// | `Timeout` | the radio or device stayed silent | `timeout` | `not_answering` |
/// | `UnknownAddress`, `NotPaired` | no such device, or not paired here | `unknown_device`, `not_registered` | `running` |
/// | `Unsupported` | the device or radio cannot do this | `unsupported` | `running` |
/// | `Device` | the device refused, or the exchange with it was lost | `device_error` | `running` |
/// | `Io` | the port, the socket or the adapter itself failed | `adapter_error` | `failed` |
/// | `NotStarted` | a job came while `start` keeps failing (the bridge's, not an adapter's) | `adapter_error` | `failed` |
/// | `Stopped` | the adapter has shut down | `adapter_unavailable` | `failed` |
///
/// An [`AdapterEvent::Error`] carries the same errors for what fails
/// outside any job: a port that went away is an `Io` error without a
/// device, and leaves the adapter `failed` until a job succeeds again.
pub trait Adapter: Send + 'static {
    /// Who this adapter is. Read when its thread is spawned and again each
    /// time `start` succeeds, so it may tell what it learned from the radio
    /// (firmware, network).
    fn info(&self) -> AdapterInfo;

    /// Opens the radio (port, network key, controller handshake).
    fn start(&mut self, timeout: Duration) -> Result<(), AdapterError>;

    /// Closes the radio. Called once, when the bridge shuts down.
    fn stop(&mut self, timeout: Duration) -> Result<(), AdapterError>;

    /// Looks for devices (inclusion mode, permit-join, scan) for at most
    /// `timeout`, and returns those in range, already paired ones included.
    fn discover(&mut self, timeout: Duration) -> Result<Vec<FoundDevice>, AdapterError>;

    /// Takes a device on: pairs it, or re-attaches it after a restart when
    /// `pairing.last_state` is set, and subscribes to its reports. Returns
    /// its current state.
    fn pair(&mut self, pairing: &Pairing, timeout: Duration) -> Result<Object, AdapterError>;

    /// Sends a command whose payload the bridge has already validated.
    /// Returns the device's state afterwards (all fields, or the changed
    /// ones).
    fn command(
        &mut self,
        address: &str,
        command: &str,
        payload: &Object,
        timeout: Duration,
    ) -> Result<Object, AdapterError>;

    /// Reads the device's current state from the device.
    fn read_state(&mut self, address: &str, timeout: Duration) -> Result<Object, AdapterError>;

    /// Applies a validated configuration to the device.
    fn configure(
        &mut self,
        address: &str,
        config: &Object,
        timeout: Duration,
    ) -> Result<(), AdapterError>;

    /// Returns what the radio reported since the last call, without
    /// blocking (a serial adapter reads what its port has buffered). The
    /// bridge calls this between requests, every
    /// [`poll_interval`](Self::poll_interval).
    fn poll_events(&mut self) -> Vec<AdapterEvent>;

    /// How long the adapter's thread waits for a request before polling
    /// for events again.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(20)
    }
}
