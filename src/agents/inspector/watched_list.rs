//! The entity-list part of a watch: `world/watch {"list": true}` names,
//! under `"list"` of the watch message, the entities spawned and despawned
//! since the last frame and those whose name or parent changed, so an
//! editor keeps its entity list live without reading it again every
//! second. It covers the entities `world/query` lists (every entity but the
//! holders of resources). Keeping it costs a pass over the world's
//! entities per frame, and only while some client asked for it.

use std::any::TypeId;
use std::collections::BTreeMap;

use bevy_ecs::change_detection::Tick;
use bevy_ecs::hierarchy::ChildOf;
use bevy_ecs::name::Name;
use bevy_ecs::prelude::*;
use bevy_ecs::resource::IsResource;
use serde::Serialize;

/// Whether an entity had a `Name` and a `ChildOf`: losing one changes no
/// tick, so it is compared instead.
const HAS_NAME: u8 = 1;
const HAS_PARENT: u8 = 2;

/// The entities as last seen, by bits (`None` until the first frame).
#[derive(Default)]
pub(super) struct WatchedList {
    known: Option<BTreeMap<u64, u8>>,
}

/// What changed in the entity list this frame.
#[derive(Serialize, Default, Debug)]
pub(super) struct ListChanges {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) spawned: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) despawned: Vec<u64>,
    /// Named, renamed, unnamed, reparented or made a root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) changed: Vec<u64>,
}

impl ListChanges {
    pub(super) fn is_empty(&self) -> bool {
        self.spawned.is_empty() && self.despawned.is_empty() && self.changed.is_empty()
    }
}

impl WatchedList {
    /// Compares the world with the list as last seen. The first frame only
    /// learns the list: the editor read it with `world/query` already.
    pub(super) fn update(&mut self, world: &World, last: Option<Tick>, now: Tick) -> ListChanges {
        let components = world.components();
        let id_of = |t: TypeId| components.get_id(t);
        let is_resource = id_of(TypeId::of::<IsResource>());
        let name = id_of(TypeId::of::<Name>());
        let parent = id_of(TypeId::of::<ChildOf>());
        let mut seen = BTreeMap::new();
        let mut changes = ListChanges::default();
        let known = self.known.take();
        for archetype in world.archetypes().iter() {
            if is_resource.is_some_and(|id| archetype.contains(id)) {
                continue;
            }
            let has = |id: Option<_>| id.is_some_and(|id| archetype.contains(id));
            let flags =
                if has(name) { HAS_NAME } else { 0 } | if has(parent) { HAS_PARENT } else { 0 };
            for archetype_entity in archetype.entities() {
                let entity = archetype_entity.id();
                let bits = entity.to_bits();
                seen.insert(bits, flags);
                let (Some(known), Some(last)) = (&known, last) else {
                    continue;
                };
                match known.get(&bits) {
                    None => changes.spawned.push(bits),
                    Some(&was) if was != flags => changes.changed.push(bits),
                    Some(_) => {
                        let moved = [name, parent].into_iter().flatten().any(|id| {
                            world
                                .get_entity(entity)
                                .ok()
                                .and_then(|e| e.get_change_ticks_by_id(id))
                                .is_some_and(|ticks| ticks.is_changed(last, now))
                        });
                        if moved {
                            changes.changed.push(bits);
                        }
                    }
                }
            }
        }
        if let Some(known) = &known {
            changes.despawned = known
                .keys()
                .filter(|bits| !seen.contains_key(bits))
                .copied()
                .collect();
        }
        changes.spawned.sort_unstable();
        changes.changed.sort_unstable();
        self.known = Some(seen);
        changes
    }
}
