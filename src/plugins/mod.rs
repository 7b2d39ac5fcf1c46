//! Plugin processes beside the game (feature `plugins`, Unix): each one
//! started from its [`PluginManifest`], talking to the host over a pair of
//! pipes, registered by its id, supervised, restarted, stopped.
//!
//! A plugin is a session like a WebSocket client's, over another transport
//! (the pipe framing in `docs/plugins.md`): `Hello` first, the same limits,
//! queues, delivery policies and verification. What it has more: its
//! `Hello` must name its manifest id, its `Welcome` carries its own profile
//! directories, it may advertise channels under `plugins/<id>/...` (through
//! `plugins/control`) and answer what clients send there, and it may call
//! the game's channels its manifest asks for and the game allows.
//!
//! The pieces: [`PluginsConfig`] (which plugins, supervision rules),
//! [`PluginManager`] (the game's handle: starts the supervisor thread,
//! filters the host's events, publishes `plugins/status` and
//! `plugins/logs`), [`PluginStatus`].

mod checksum;
mod config;
mod control;
mod devices;
mod error;
mod lifecycle;
mod manager;
mod manifest;
mod orders;
mod profile;
mod routing;
pub(crate) mod spawn;
mod status;
mod supervisor;
mod taps;

pub use config::PluginsConfig;
pub use control::PluginControl;
pub use devices::{DeviceOp, DeviceRequest, MAX_WAITING_DEVICE_REQUESTS};
pub use error::PluginError;
pub use manager::PluginManager;
pub use manifest::{
    MAX_PLUGIN_ID_LEN, Permissions, PipeMode, PluginManifest, load_manifests, validate_plugin_id,
};
pub use profile::PROFILE_DIRECTORIES;
pub use routing::MAX_CHANNELS_PER_PLUGIN;
pub use spawn::PLUGIN_ID_ENV;
pub use status::{PluginState, PluginStatus};
pub use taps::{CallError, PluginEvent};
