//! The small types every layer of the bridge shares to say what its work
//! produced: replies and game events collected in an [`Out`], a handler's
//! [`Answer`], and the [`Event`](enum@Event) channels results are published
//! on, with the ids the host gave them ([`EventChannels`]). They sit below
//! the bridge's state so that the state, the handlers, the results and the
//! systems can all use them without importing each other.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use serde_json::Value;

use super::api::ApiError;
use super::events::HardwareEvent;
use crate::ChannelId;
use crate::bevy::{FromRemote, ToRemote};

/// What a frame's work produced, written out at the end of the system.
#[derive(Default)]
pub(super) struct Out {
    pub(super) to: Vec<ToRemote>,
    pub(super) events: Vec<HardwareEvent>,
}

impl Out {
    pub(super) fn reply(&mut self, message: &FromRemote, value: &Value) {
        self.to.push(message.reply(value.to_string().as_bytes()));
    }

    pub(super) fn reply_error(&mut self, message: &FromRemote, error: &ApiError) {
        self.to.push(message.reply_error(&error.to_json()));
    }

    pub(super) fn flush(
        self,
        to: &mut MessageWriter<ToRemote>,
        events: &mut MessageWriter<HardwareEvent>,
    ) {
        to.write_batch(self.to);
        events.write_batch(self.events);
    }
}

/// What a request handler did: answered at once, or started a job on an
/// adapter thread whose result answers later.
pub(super) enum Answer {
    Now(Value),
    Later,
}

/// The event channels the bridge publishes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Event {
    Discovered,
    Changed,
    Error,
    AdapterStatus,
}

/// The id the host gave each event channel.
#[derive(Debug, Default)]
pub(super) struct EventChannels {
    ids: HashMap<Event, ChannelId>,
}

impl EventChannels {
    pub(super) fn add(&mut self, event: Event, id: ChannelId) {
        self.ids.insert(event, id);
    }

    /// The channel an event is published on.
    pub(super) fn get(&self, event: Event) -> Option<ChannelId> {
        self.ids.get(&event).copied()
    }
}
