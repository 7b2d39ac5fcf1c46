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
//! - `plugin`: [`HardwareBridgePlugin`], its builder and what building it
//!   sets up.
//! - [`channels`]: every channel declared once (name, description,
//!   delivery, handler or event), and the routes from channel ids to them.
//! - `requests`: one handler per request channel; `results`: what the
//!   adapter threads report, and the adapters' status; `systems`: the Bevy
//!   systems that run both each frame.
//! - `bridge`: the [`HardwareBridge`] resource and what requests and
//!   results share; `events`: [`HardwareEvent`] for game systems.
//! - `adapter`: the [`Adapter`] contract every radio implements; `worker`:
//!   the thread each adapter runs on; [`radios`]: the implementations.
//! - `api`, `fields`, `validate`, `schema`, `td`, `registry`: the JSON
//!   shapes, the rules a field can declare, checking values against them,
//!   device types, Thing Descriptions and the SQLite registry.

mod adapter;
pub(crate) mod api;
mod bridge;
pub mod channels;
mod events;
mod fields;
mod out;
mod plugin;
pub mod radios;
mod registry;
mod requests;
mod results;
mod schema;
mod systems;
mod td;
#[cfg(test)]
mod tests;
mod validate;
mod worker;

pub use adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
pub use api::{ApiError, ChangeCause, Device, device_id, parse_device_id};
pub use bridge::{AdapterStatus, AdapterView, HardwareBridge, Timeouts};
pub use events::HardwareEvent;
pub use fields::{FieldSchema, FieldType, Fields, Format};
pub use plugin::{AdapterFactory, HardwareBridgePlugin};
pub use radios::sim::{SimControl, SimulatedDongle, SimulationConfig};
pub use radios::zwave;
pub use registry::{Registry, RegistryError, StoredDevice};
pub use schema::{BUILTIN_TYPES, CommandSpec, DeviceType, DeviceTypes, TypeError};
pub use td::{SB_CONTEXT, TD_CONTEXT, data_schema, object_schema, thing_description};
pub use validate::{FieldError, Rule, check_value, validate_object};
