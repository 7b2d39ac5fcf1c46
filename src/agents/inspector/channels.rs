//! The channel names, and the table that declares each channel once: its
//! name, what it takes and answers, whether it changes the world, and its
//! handler. The inspector's `advertise` system walks the table at start-up
//! and routes each request by the id the host gave its channel, the way
//! bevy_remote keeps one method name → handler table.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use serde_json::Value;

use super::error::InspectorError;
use super::{events, resources, schema, watch, world};
use crate::{ChannelId, ChannelSpec, ClientId};

/// One request as a handler sees it.
pub(super) struct Call<'a> {
    pub(super) client: ClientId,
    pub(super) content: &'a [u8],
}

/// Answers one request with the world in hand.
pub(super) type Handler = fn(&mut World, &Call<'_>) -> Result<Value, InspectorError>;

/// One channel's declaration.
#[derive(Clone, Copy)]
pub(super) struct Channel {
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    /// Changes the world: refused unless the game enabled writes.
    pub(super) writes: bool,
    pub(super) handler: Handler,
}

const fn read(name: &'static str, description: &'static str, handler: Handler) -> Channel {
    Channel {
        name,
        description,
        writes: false,
        handler,
    }
}

const fn write(name: &'static str, description: &'static str, handler: Handler) -> Channel {
    Channel {
        name,
        description,
        writes: true,
        handler,
    }
}

impl Channel {
    pub(super) fn spec(&self) -> ChannelSpec {
        ChannelSpec::new(self.name)
            .encoding("json")
            .schema("switchboard.inspector")
            .description(self.description)
    }
}

/// Every request channel of the inspector (`docs/inspector.md` has the
/// shapes and the BRP method each one matches).
pub(super) const TABLE: &[Channel] = &[
    read(
        "world/query",
        "{data:{components,option,has}, filter:{with,without}, name?, limit?} -> [{entity, components, has}]",
        world::query,
    ),
    read(
        "world/get",
        "{entity, components?, strict?} -> {components, errors}",
        world::get,
    ),
    write(
        "world/insert",
        "{entity, components:{type: value}} -> null",
        world::insert,
    ),
    write(
        "world/mutate",
        "{entity, component, path, value} -> null",
        world::mutate,
    ),
    write(
        "world/remove",
        "{entity, components:[type]} -> null",
        world::remove,
    ),
    write(
        "world/spawn",
        "{components:{type: value}} -> {entity}",
        world::spawn,
    ),
    write("world/despawn", "{entity} -> null", world::despawn),
    write(
        "world/reparent",
        "{entities:[entity], parent?} -> null",
        world::reparent,
    ),
    read(
        "world/list_components",
        "{entity?} -> [type]",
        world::list_components,
    ),
    read(
        "world/get_resources",
        "{resource} -> {value}",
        resources::get,
    ),
    write(
        "world/insert_resources",
        "{resource, value} -> null",
        resources::insert,
    ),
    write(
        "world/mutate_resources",
        "{resource, path, value} -> null",
        resources::mutate,
    ),
    write(
        "world/remove_resources",
        "{resource} -> null",
        resources::remove,
    ),
    read("world/list_resources", "{} -> [type]", resources::list),
    write(
        "world/trigger_event",
        "{event, value?} -> null; runs the event's observers",
        events::trigger_event,
    ),
    write(
        "world/write_message",
        "{message, value?} -> null; for the game's message readers",
        events::write_message,
    ),
    read(
        "registry/schema",
        "{with_crates?, without_crates?, type_limit?:{with, without}} -> {type: JSON Schema}",
        schema::schema,
    ),
    read(
        "world/watch",
        "{entities?, components?, resources?, list?} -> {channel}; the channel then carries the watched state",
        watch::watch,
    ),
    read("world/unwatch", "{} -> null", watch::unwatch),
];

/// The request channels' declarations, by the id the host gave each one.
#[derive(Resource, Default)]
pub(super) struct Routes {
    channels: HashMap<ChannelId, &'static Channel>,
}

impl Routes {
    pub(super) fn add(&mut self, id: ChannelId, channel: &'static Channel) {
        self.channels.insert(id, channel);
    }

    pub(super) fn get(&self, id: ChannelId) -> Option<&'static Channel> {
        self.channels.get(&id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_is_declared_once_and_writes_are_marked() {
        let mut names: Vec<&str> = TABLE.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len(), "a name is declared twice");
        for channel in TABLE {
            // Events and messages make the game act: writes too.
            let changes_world = [
                "insert", "mutate", "remove", "spawn", "despawn", "reparent", "trigger", "write_",
            ]
            .iter()
            .any(|verb| channel.name.contains(verb));
            assert_eq!(channel.writes, changes_world, "{}", channel.name);
        }
    }
}
