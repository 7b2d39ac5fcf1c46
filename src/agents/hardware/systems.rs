//! The bridge's Bevy systems: advertising the channels at start-up, then
//! each frame answering requests and taking in what the adapter threads
//! reported. What a frame produces is collected in an [`Out`] and written
//! at the end of the system.

use bevy_ecs::prelude::*;

use super::bridge::HardwareBridge;
use super::channels::{Routes, TABLE};
use super::events::HardwareEvent;
use super::out::{Answer, Out};
use crate::bevy::{FromRemote, IpcHost, ToRemote};

/// Advertises every channel of the table. If the host refuses one, the
/// bridge advertises nothing more and stays silent (logged): a bridge with
/// half its channels would answer some requests and never others.
pub(super) fn advertise(host: Option<Res<IpcHost>>, mut bridge: ResMut<HardwareBridge>) {
    let Some(host) = host else { return };
    let mut routes = Routes::default();
    for channel in TABLE {
        match host.advertise(channel.spec()) {
            Ok(id) => routes.add(id, channel.route),
            Err(e) => {
                tracing::error!("hardware bridge: cannot advertise {}: {e}", channel.name);
                return;
            }
        }
    }
    bridge.routes = Some(routes);
    bridge.base = Some(format!("ws://{}/", host.local_addr()));
    bridge.status_dirty = true;
}

pub(super) fn handle_requests(
    mut bridge: ResMut<HardwareBridge>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
    mut events: MessageWriter<HardwareEvent>,
) {
    let mut out = Out::default();
    for message in from.read() {
        if message.request_id().is_none() {
            continue;
        }
        let Some(handler) = bridge
            .routes
            .as_ref()
            .and_then(|r| r.handler(message.channel()))
        else {
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
