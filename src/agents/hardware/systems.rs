//! The bridge's Bevy systems: advertising the channels at start-up, then
//! each frame answering requests and taking in what the adapter threads
//! reported. What a frame produces is collected in an [`Out`] and written
//! at the end of the system.

use bevy_ecs::prelude::*;

use super::bridge::HardwareBridge;
use super::channels::{Route, Routes, TABLE};
use super::events::HardwareEvent;
use super::out::{Answer, EventChannels, Out};
use crate::bevy::{FromRemote, IpcHost, ToRemote};

/// Advertises every channel of the table. If the host refuses one, the
/// bridge advertises nothing more and stays silent (logged): a bridge with
/// half its channels would answer some requests and never others.
pub(super) fn advertise(
    host: Option<Res<IpcHost>>,
    mut bridge: ResMut<HardwareBridge>,
    mut routes: ResMut<Routes>,
) {
    let Some(host) = host else { return };
    let mut requests = Routes::default();
    let mut events = EventChannels::default();
    for channel in TABLE {
        match host.advertise(channel.spec()) {
            Ok(id) => match channel.route {
                Route::Request(handler) => requests.add(id, handler),
                Route::Event(event) => events.add(event, id),
            },
            Err(e) => {
                tracing::error!("hardware bridge: cannot advertise {}: {e}", channel.name);
                return;
            }
        }
    }
    *routes = requests;
    bridge.event_channels = Some(events);
    bridge.base = Some(format!("ws://{}/", host.local_addr()));
    bridge.status_dirty = true;
}

pub(super) fn handle_requests(
    mut bridge: ResMut<HardwareBridge>,
    routes: Res<Routes>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let mut out = Out::default();
    for message in from.read() {
        if message.request_id().is_none() {
            continue;
        }
        let Some(handler) = routes.handler(message.channel()) else {
            continue;
        };
        match handler(&mut bridge, message, &mut out) {
            Ok(Answer::Now(value)) => out.reply(message, &value),
            Ok(Answer::Later) => {}
            Err(e) => out.reply_error(message, &e),
        }
    }
    out.flush(&mut to, &mut events);
}

pub(super) fn drain_adapters(
    mut bridge: ResMut<HardwareBridge>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let mut out = Out::default();
    bridge.drain(&mut out);
    out.flush(&mut to, &mut events);
}
