//! The inspector's systems: advertising its channels at start-up, keeping
//! track of clients, and each frame answering the requests that came in.
//! Requests are answered in an exclusive system because every one of them
//! may read or change any part of the world.

use bevy_ecs::message::MessageCursor;
use bevy_ecs::prelude::*;

use super::access::Access;
use super::channels::{Call, Routes, TABLE};
use super::error::InspectorError;
use super::watch::drop_watch;
use crate::bevy::{ClientConnected, ClientDisconnected, FromRemote, IpcHost, ToRemote};

/// Advertises every channel of the table. If the host refuses one, the
/// inspector advertises nothing more and answers nothing (logged): half an
/// inspector would answer some requests and time out others.
pub(super) fn advertise(host: Option<Res<IpcHost>>, mut routes: ResMut<Routes>) {
    let Some(host) = host else { return };
    let mut added = Routes::default();
    for channel in TABLE {
        match host.advertise(channel.spec()) {
            Ok(id) => added.add(id, channel),
            Err(e) => {
                tracing::error!("inspector: cannot advertise {}: {e}", channel.name);
                return;
            }
        }
    }
    *routes = added;
}

/// Remembers who is connected (their address decides local writes) and
/// ends the watches of clients that left.
pub(super) fn track_clients(world: &mut World, mut cursors: Local<ClientCursors>) {
    let joined: Vec<ClientConnected> = cursors
        .connected
        .read(world.resource::<Messages<ClientConnected>>())
        .cloned()
        .collect();
    let left: Vec<ClientDisconnected> = cursors
        .disconnected
        .read(world.resource::<Messages<ClientDisconnected>>())
        .cloned()
        .collect();
    let mut access = world.resource_mut::<Access>();
    for ClientConnected(info) in joined {
        access.clients.insert(info.id, info);
    }
    for gone in &left {
        access.clients.remove(&gone.client);
    }
    for gone in left {
        drop_watch(world, gone.client);
    }
}

#[derive(Default)]
pub(super) struct ClientCursors {
    connected: MessageCursor<ClientConnected>,
    disconnected: MessageCursor<ClientDisconnected>,
}

/// Answers this frame's requests on the inspector's channels, in order.
pub(super) fn handle_requests(world: &mut World, mut cursor: Local<MessageCursor<FromRemote>>) {
    let routes = world.resource::<Routes>();
    let requests: Vec<(FromRemote, &'static super::channels::Channel)> = cursor
        .read(world.resource::<Messages<FromRemote>>())
        .filter(|m| m.request_id().is_some())
        .filter_map(|m| Some((m.clone(), routes.get(m.channel())?)))
        .collect();
    for (message, channel) in requests {
        let call = Call {
            client: message.client(),
            content: message.content(),
        };
        let allowed = if channel.writes {
            world.resource::<Access>().check(call.client, channel.name)
        } else {
            Ok(())
        };
        let answer = allowed.and_then(|()| (channel.handler)(world, &call));
        let max_answer = world.resource::<Access>().max_answer_bytes;
        let reply: ToRemote = match answer {
            Ok(value) => match serde_json::to_vec(&value) {
                Ok(bytes) if bytes.len() > max_answer => {
                    let e = InspectorError::new(
                        "too_large",
                        format!(
                            "the answer has {} bytes, more than the inspector sends at once ({max_answer}); \
                             narrow the request (world/query takes a limit)",
                            bytes.len()
                        ),
                    );
                    message.reply_error(&e.to_json())
                }
                Ok(bytes) => message.reply(&bytes),
                Err(e) => message.reply_error(&format!("answer not serializable: {e}")),
            },
            Err(e) => {
                tracing::debug!("inspector: {} refused: {e}", channel.name);
                message.reply_error(&e.to_json())
            }
        };
        world.write_message(reply);
    }
}
