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
//!     IpcHostPlugin::new(switchboard::HostConfig::default().port(0)),
//!     HardwareBridgePlugin::default()
//!         .radios([Radio::Zigbee, Radio::Wifi])
//!         .discover_on_start(true),
//! ));
//! app.update();
//! assert_eq!(app.world().resource::<HardwareBridge>().adapters().len(), 2);
//! ```
//!
//! ## Layout
//!
//! From the top down; each file uses only files listed below it, so data
//! flows one way through the folder.
//!
//! - `plugin`: [`HardwareBridgePlugin`], its builder and what building it
//!   sets up.
//! - `systems`: the Bevy systems: advertising the channels at start-up,
//!   then each frame answering requests and taking in results.
//! - [`channels`]: every channel declared once (name, description,
//!   delivery, handler or event), and the routes from request channel ids
//!   to their handlers.
//! - `requests`: one handler per request channel.
//! - `results`: what the adapter threads report, and the adapters' status.
//! - `jobs`: starting discoveries, registrations, commands and restores,
//!   for requests, results, game code and start-up alike.
//! - `bridge`: the [`HardwareBridge`] resource, its [`Timeouts`], and what
//!   every file above shares (submitting a job, publishing an event).
//! - `out`: what a frame's work produces (replies, game events, a
//!   handler's answer, the event channels); `events`: [`HardwareEvent`]
//!   for game systems.
//! - [`radios`]: the implementations of the [`Adapter`] contract;
//!   `worker`: the thread each adapter runs on; `registry`: the SQLite
//!   registry; `td`: Thing Descriptions.
//! - `schema`: device types; `api`: the JSON shapes; `adapter`: the
//!   contract every radio implements. The rules a field can declare and
//!   the checks that apply them are in [`crate::fields`], shared with
//!   plugin packages.

mod adapter;
pub(crate) mod api;
mod bridge;
pub mod channels;
mod events;
mod jobs;
mod out;
mod plugin;
#[cfg(all(unix, feature = "plugins"))]
pub mod plugin_adapters;
#[cfg(all(unix, feature = "plugins"))]
mod plugin_devices;
pub mod radios;
mod registry;
mod requests;
mod results;
mod schema;
mod systems;
mod td;
#[cfg(test)]
mod tests;
mod worker;

pub use crate::fields::{FieldError, Rule, check_value, validate_object};
pub use crate::fields::{FieldSchema, FieldType, Fields, Format};
pub use adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
pub use api::{ApiError, ChangeCause, Device, device_id, parse_device_id};
pub use bridge::{AdapterStatus, AdapterView, HardwareBridge, Timeouts};
pub use events::HardwareEvent;
pub use plugin::{AdapterFactory, HardwareBridgePlugin};
pub use radios::sim::{SimControl, SimulatedDongle, SimulationConfig};
pub use radios::zwave;
pub use registry::{Registry, RegistryError, StoredDevice};
pub use schema::{BUILTIN_TYPES, CommandSpec, DeviceType, DeviceTypes, TypeError};
pub use td::{SB_CONTEXT, TD_CONTEXT, data_schema, object_schema, thing_description};
