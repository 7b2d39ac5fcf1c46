//! Watching: a client names entities, components, resources, the entity
//! list, or several of them, and its own latest-value channel `inspector/watch/<client id>` carries the watched
//! state on every frame in which some of it was added, changed or removed.
//!
//! Each message is the whole watched state plus what changed this frame,
//! so when the host replaces an unsent message with a newer one (the
//! latest policy, for an editor that reads slowly) nothing is lost but
//! the intermediate states: the newest message is always complete. The
//! state is kept here as JSON, re-serialized only for the components whose
//! change ticks moved. With no watch, the watch system does not run.

use std::any::TypeId;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use bevy_ecs::change_detection::Tick;
use bevy_ecs::component::ComponentId;
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectComponent};
use bevy_ecs::resource::IsResource;
use bevy_reflect::TypeRegistry;
use serde::Serialize;
use serde_json::{Value, json};

use super::channels::Call;
use super::error::InspectorError;
use super::request::{WatchRequest, parse};
use super::values::{component_type, entity, reflectable_components, to_json_text};
use super::watched_list::{ListChanges, WatchedList};
use super::watched_resources::{ResourceChanges, WatchedResources};
use crate::bevy::{IpcHost, ToRemote};
use crate::{ChannelId, ChannelSpec, ClientId};

/// The name of a client's watch channel: known before the watch exists,
/// so a client subscribes first and misses nothing.
pub fn watch_channel_name(client: ClientId) -> String {
    format!("inspector/watch/{}", client.0)
}

/// Every client's watch.
#[derive(Resource, Default)]
pub(super) struct Watches {
    pub(super) by_client: HashMap<ClientId, Watch>,
    /// Most entities one watch may cover; more are left out and the
    /// message says `truncated`.
    pub(super) max_entities: usize,
}

pub(super) struct Watch {
    channel: ChannelId,
    entities: Option<Vec<Entity>>,
    components: Option<Vec<(String, TypeId)>>,
    /// The watched state as last sent, by entity bits then type path, each
    /// value as its JSON text: a message is written from these pieces.
    state: BTreeMap<u64, BTreeMap<String, String>>,
    resources: WatchedResources,
    /// `Some` when the client watches the entity list.
    list: Option<WatchedList>,
    last_tick: Option<Tick>,
    frame: u64,
}

/// `world/watch`: sets (or replaces) the calling client's watch.
pub(super) fn watch(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: WatchRequest = parse(call.content)?;
    if request.entities.is_none()
        && request.components.is_none()
        && request.resources.is_none()
        && !request.list
    {
        return Err(InspectorError::invalid(
            "name entities, components, resources or the entity list (\"list\": true) to watch",
        ));
    }
    let resources = WatchedResources::new(world, request.resources.as_deref().unwrap_or(&[]))?;
    let entities = match &request.entities {
        Some(list) => Some(
            list.iter()
                .map(|bits| entity(world, *bits))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let components = match &request.components {
        Some(paths) => {
            let registry = world.resource::<AppTypeRegistry>().clone();
            let registry = registry.read();
            Some(
                paths
                    .iter()
                    .map(|p| {
                        component_type(world, &registry, p)
                            .map(|t| (t.path.to_owned(), t.registration.type_id()))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
        None => None,
    };
    let name = watch_channel_name(call.client);
    let existing = world
        .resource::<Watches>()
        .by_client
        .get(&call.client)
        .map(|w| w.channel);
    let channel = match existing {
        Some(channel) => channel,
        None => {
            let host = world
                .get_resource::<IpcHost>()
                .ok_or_else(|| InspectorError::new("unavailable", "the IPC host is not running"))?;
            host.advertise(
                ChannelSpec::new(&name)
                    .encoding("json")
                    .schema("switchboard.inspector.watch")
                    .latest()
                    .description("the watched state, on every frame it changes"),
            )
            .map_err(|e| InspectorError::new("unavailable", format!("cannot open {name}: {e}")))?
        }
    };
    world.resource_mut::<Watches>().by_client.insert(
        call.client,
        Watch {
            channel,
            entities,
            components,
            state: BTreeMap::new(),
            resources,
            list: request.list.then(WatchedList::default),
            last_tick: None,
            frame: 0,
        },
    );
    Ok(json!({ "channel": name, "id": channel.0 }))
}

/// `world/unwatch`.
pub(super) fn unwatch(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let _: serde::de::IgnoredAny = parse(call.content)?;
    drop_watch(world, call.client);
    Ok(Value::Null)
}

/// Ends a client's watch and closes its channel.
pub(super) fn drop_watch(world: &mut World, client: ClientId) {
    let Some(watch) = world.resource_mut::<Watches>().by_client.remove(&client) else {
        return;
    };
    if let Some(host) = world.get_resource::<IpcHost>() {
        if let Err(e) = host.unadvertise(watch.channel) {
            tracing::debug!("inspector: closing the watch of {client}: {e}");
        }
    }
}

pub(super) fn anyone_watches(watches: Res<Watches>) -> bool {
    !watches.by_client.is_empty()
}

#[derive(Serialize, Default)]
struct Changes {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    added: BTreeMap<u64, Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    changed: BTreeMap<u64, Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    removed: BTreeMap<u64, Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    despawned: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changed_resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed_resources: Vec<String>,
    #[serde(skip_serializing_if = "ListChanges::is_empty")]
    list: ListChanges,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.despawned.is_empty()
            && self.changed_resources.is_empty()
            && self.removed_resources.is_empty()
            && self.list.is_empty()
    }
}

/// The message: `{"frame", "entities", "resources"?, <changes>,
/// "truncated"?}`, written from the JSON text kept per component and
/// resource, so an unchanged value costs a copy, not a serialization.
fn snapshot(
    frame: u64,
    watch: &Watch,
    changes: &Changes,
    truncated: bool,
) -> Result<Vec<u8>, serde_json::Error> {
    let state = &watch.state;
    let pieces: usize = state
        .values()
        .flat_map(|c| c.iter().map(|(k, v)| k.len() + v.len() + 4))
        .sum();
    let mut out = Vec::with_capacity(pieces + state.len() * 16 + 64);
    out.extend_from_slice(format!("{{\"frame\":{frame},\"entities\":{{").as_bytes());
    for (i, (bits, components)) in state.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(format!("\"{bits}\":{{").as_bytes());
        for (j, (path, value)) in components.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, path)?;
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
        }
        out.push(b'}');
    }
    out.push(b'}');
    if !watch.resources.is_empty() {
        out.extend_from_slice(b",\"resources\":{");
        for (i, (path, value)) in watch.resources.state.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, path)?;
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
        }
        out.push(b'}');
    }
    let changes = serde_json::to_vec(changes)?;
    if changes.len() > 2 {
        out.push(b',');
        out.extend_from_slice(&changes[1..changes.len() - 1]);
    }
    if truncated {
        out.extend_from_slice(b",\"truncated\":true");
    }
    out.push(b'}');
    Ok(out)
}

/// Publishes each watch whose state changed this frame.
pub(super) fn publish_watches(world: &mut World) {
    let registry = world.resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    let this_tick = world.change_tick();
    let mut watches = std::mem::take(&mut world.resource_mut::<Watches>().by_client);
    let max_entities = world.resource::<Watches>().max_entities;
    let max_bytes = world.resource::<super::access::Access>().max_answer_bytes;
    let mut out = Vec::new();
    for watch in watches.values_mut() {
        let (changes, truncated) = update(world, &registry, watch, this_tick, max_entities);
        let first = watch.last_tick.is_none();
        watch.last_tick = Some(this_tick);
        if changes.is_empty() && !first {
            continue;
        }
        watch.frame += 1;
        let frame = watch.frame;
        match snapshot(frame, watch, &changes, truncated) {
            Ok(bytes) if bytes.len() <= max_bytes => {
                out.push(ToRemote::publish(watch.channel, &bytes));
            }
            Ok(bytes) => {
                // Said on the stream, not dropped silently.
                let error = InspectorError::new(
                    "too_large",
                    format!(
                        "the watched state has {} bytes, more than the inspector sends at once \
                         ({max_bytes}); watch fewer entities or components",
                        bytes.len()
                    ),
                );
                let body = json!({ "frame": frame, "error": error }).to_string();
                out.push(ToRemote::publish(watch.channel, body.as_bytes()));
            }
            Err(e) => tracing::warn!("inspector: watch not sent: {e}"),
        }
    }
    world.resource_mut::<Watches>().by_client = watches;
    for message in out {
        world.write_message(message);
    }
}

/// Brings one watch's state up to date; returns what changed.
fn update(
    world: &World,
    registry: &TypeRegistry,
    watch: &mut Watch,
    this_tick: Tick,
    max_entities: usize,
) -> (Changes, bool) {
    let ResourceChanges { changed, removed } =
        watch
            .resources
            .update(world, registry, watch.last_tick, this_tick);
    let mut changes = Changes {
        changed_resources: changed,
        removed_resources: removed,
        ..Default::default()
    };
    if let Some(list) = &mut watch.list {
        changes.list = list.update(world, watch.last_tick, this_tick);
    }
    let ids: Option<Vec<(&str, Option<ComponentId>, &ReflectComponent)>> =
        watch.components.as_ref().map(|list| {
            list.iter()
                .filter_map(|(path, type_id)| {
                    let reflect = registry.get(*type_id)?.data::<ReflectComponent>()?;
                    Some((path.as_str(), world.components().get_id(*type_id), reflect))
                })
                .collect()
        });
    let mut truncated = false;
    let candidates: Vec<Entity> = match (&watch.entities, &ids) {
        (Some(list), _) => list.clone(),
        (None, Some(ids)) => {
            let mut found = BTreeSet::new();
            let is_resource = world.components().get_id(TypeId::of::<IsResource>());
            for archetype in world.archetypes().iter() {
                let watched = ids
                    .iter()
                    .any(|(_, id, _)| id.is_some_and(|id| archetype.contains(id)));
                if !watched || is_resource.is_some_and(|id| archetype.contains(id)) {
                    continue;
                }
                found.extend(archetype.entities().iter().map(|e| e.id()));
            }
            if found.len() > max_entities {
                truncated = true;
            }
            found.into_iter().take(max_entities).collect()
        }
        (None, None) => Vec::new(),
    };
    let mut seen = BTreeSet::new();
    for target in candidates {
        let bits = target.to_bits();
        let Ok(entity_ref) = world.get_entity(target) else {
            if watch.state.remove(&bits).is_some() {
                changes.despawned.push(bits);
            }
            continue;
        };
        seen.insert(bits);
        let present: Vec<(&str, &ReflectComponent, ComponentId)> = match &ids {
            Some(ids) => ids
                .iter()
                .filter_map(|(path, id, reflect)| {
                    let id = (*id)?;
                    entity_ref.contains_id(id).then_some((*path, *reflect, id))
                })
                .collect(),
            None => reflectable_components(world, registry, target),
        };
        let entry = watch.state.entry(bits).or_default();
        for (path, reflect, id) in &present {
            let known = entry.contains_key(*path);
            let moved = match (known, watch.last_tick) {
                (false, _) | (_, None) => true,
                (true, Some(last)) => entity_ref
                    .get_change_ticks_by_id(*id)
                    .is_some_and(|ticks| ticks.is_changed(last, this_tick)),
            };
            if !moved {
                continue;
            }
            let Some(value) = reflect.reflect(entity_ref) else {
                continue;
            };
            let text = to_json_text(value.as_partial_reflect(), registry)
                .unwrap_or_else(|e| json!({ "error": e }).to_string());
            match entry.get_mut(*path) {
                Some(slot) => *slot = text,
                None => {
                    entry.insert((*path).to_owned(), text);
                }
            }
            let list = if known {
                &mut changes.changed
            } else {
                &mut changes.added
            };
            list.entry(bits).or_default().push((*path).to_owned());
        }
        let gone: Vec<String> = entry
            .keys()
            .filter(|k| !present.iter().any(|(p, _, _)| p == k))
            .cloned()
            .collect();
        for path in gone {
            entry.remove(&path);
            changes.removed.entry(bits).or_default().push(path);
        }
    }
    // Entities that no longer have any watched component.
    let left: Vec<u64> = watch
        .state
        .keys()
        .filter(|bits| !seen.contains(bits))
        .copied()
        .collect();
    for bits in left {
        if let Some(old) = watch.state.remove(&bits) {
            if old.is_empty() {
                continue;
            }
            changes.removed.insert(bits, old.into_keys().collect());
        }
    }
    (changes, truncated)
}
