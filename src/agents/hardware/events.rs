//! What game systems hear from the bridge, as Bevy messages; clients get
//! the same on the `hardware/events/*` channels.

use bevy_ecs::prelude::*;

use super::adapter::{Object, Radio};
use super::api::{ChangeCause, Device};

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
