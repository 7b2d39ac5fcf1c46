//! The channel names, and the table that declares each channel once: its
//! name, what it carries, its delivery policy, and what the bridge does
//! with it (answer requests with a handler, or publish an event).
//!
//! The table is the only list of channels. The bridge's `advertise` system
//! walks it at start-up and keeps the ids the host gave, keyed by what each
//! channel is for, so a channel is never found by its position and adding
//! one means adding one line here.

use std::collections::HashMap;

use bevy_ecs::prelude::*;

use super::api::ApiError;
use super::bridge::HardwareBridge;
use super::out::{Answer, Event, Out};
use super::requests;
use crate::bevy::FromRemote;
use crate::{ChannelId, ChannelSpec};

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

/// Answers one request on its channel. The body is the request's content;
/// the handler keeps the message to answer later when it starts a job.
pub(super) type Handler =
    fn(&mut HardwareBridge, &FromRemote, &mut Out) -> Result<Answer, ApiError>;

/// What the bridge does with a channel.
#[derive(Clone, Copy)]
pub(super) enum Route {
    Request(Handler),
    Event(Event),
}

/// One channel's declaration.
#[derive(Clone, Copy)]
pub(super) struct Channel {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    /// Slow subscribers get only the newest message (a full snapshot each
    /// time), instead of every one.
    pub(super) latest: bool,
    pub(super) route: Route,
}

impl Channel {
    const fn request(name: &'static str, description: &'static str, handler: Handler) -> Self {
        Self {
            name,
            description,
            latest: false,
            route: Route::Request(handler),
        }
    }

    const fn event(name: &'static str, description: &'static str, event: Event) -> Self {
        Self {
            name,
            description,
            latest: false,
            route: Route::Event(event),
        }
    }

    const fn latest(mut self) -> Self {
        self.latest = true;
        self
    }

    pub(super) fn spec(&self) -> ChannelSpec {
        let spec = ChannelSpec::new(self.name)
            .encoding("json")
            .schema("switchboard.hardware")
            .description(self.description);
        if self.latest { spec.latest() } else { spec }
    }
}

/// Every channel of the bridge (`docs/hardware.md` describes the shapes).
pub(super) const TABLE: &[Channel] = &[
    Channel::request(
        ADAPTERS,
        "request {} -> {adapters:[..]}",
        requests::adapters,
    ),
    Channel::request(
        DEVICES,
        "request {registered?, radio?} -> {devices:[..]}",
        requests::devices,
    ),
    Channel::request(
        TYPES,
        "request {id?} -> {types:[..]} or {type}",
        requests::types,
    ),
    Channel::request(
        DISCOVER,
        "request {radio?, timeout_ms?} -> {devices:[..], errors:[..]}",
        requests::discover,
    ),
    Channel::request(
        REGISTER,
        "request {device, name?, config?} -> {device}",
        requests::register,
    ),
    Channel::request(
        COMMAND,
        "request {device, command, payload?} -> {device, command, state}",
        requests::command,
    ),
    Channel::request(
        STATE,
        "request {device, cached?} -> {device, state, cached}",
        requests::state,
    ),
    Channel::request(
        CONFIGURE,
        "request {device, name?, config?} -> {device}",
        requests::configure,
    ),
    Channel::request(
        DESCRIBE,
        "request {device} -> W3C WoT Thing Description",
        requests::describe,
    ),
    Channel::event(
        DISCOVERED,
        "a device found for the first time",
        Event::Discovered,
    ),
    Channel::event(CHANGED, "{device, cause, changes, state}", Event::Changed),
    Channel::event(ERROR, "{radio, device, code, message}", Event::Error),
    Channel::event(
        ADAPTER_STATUS,
        "{adapters:[..]} whenever an adapter's status changes",
        Event::AdapterStatus,
    )
    .latest(),
];

/// The request channels' handlers, by the id the host gave each channel.
/// A resource of its own: the handlers take the bridge, so the bridge
/// holding them would tie its state to every handler. The event channels'
/// ids go to the bridge instead ([`EventChannels`](super::out::EventChannels)), since results publish
/// on them.
#[derive(Resource, Default)]
pub(super) struct Routes {
    requests: HashMap<ChannelId, Handler>,
}

impl Routes {
    pub(super) fn add(&mut self, id: ChannelId, handler: Handler) {
        self.requests.insert(id, handler);
    }

    /// The handler of a request channel.
    pub(super) fn handler(&self, channel: ChannelId) -> Option<Handler> {
        self.requests.get(&channel).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_is_declared_once() {
        let mut names: Vec<&str> = TABLE.iter().map(|c| c.name).collect();
        assert!(names.iter().all(|n| n.starts_with("hardware/")));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len(), "a name is declared twice");

        let events: Vec<Event> = TABLE
            .iter()
            .filter_map(|c| match c.route {
                Route::Event(e) => Some(e),
                Route::Request(_) => None,
            })
            .collect();
        for event in [
            Event::Discovered,
            Event::Changed,
            Event::Error,
            Event::AdapterStatus,
        ] {
            let count = events.iter().filter(|e| **e == event).count();
            assert_eq!(count, 1, "{event:?} has {count} channels");
        }
        // Only the status snapshot may drop older messages: every other
        // event matters on its own.
        for channel in TABLE {
            let snapshot = matches!(channel.route, Route::Event(Event::AdapterStatus));
            assert_eq!(channel.latest, snapshot, "{}", channel.name);
        }
    }
}
