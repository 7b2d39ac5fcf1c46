//! The resource part of a watch: `world/watch {"resources": [type]}` puts
//! each named resource's value under `"resources"` of the watch message,
//! re-serialized only on frames its change tick moved. A resource that is
//! removed leaves the state and is named under `"removed_resources"`; one
//! that is inserted (again) is named under `"changed_resources"`, like a
//! changed one.

use std::any::TypeId;
use std::collections::BTreeMap;

use bevy_ecs::change_detection::Tick;
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectComponent};
use bevy_reflect::TypeRegistry;
use serde_json::json;

use super::error::InspectorError;
use super::resources::resource_type;
use super::values::to_json_text;

/// The watched resources of one watch, and their values as last sent.
#[derive(Default)]
pub(super) struct WatchedResources {
    types: Vec<(String, TypeId)>,
    /// Type path -> the value's JSON text.
    pub(super) state: BTreeMap<String, String>,
}

/// What changed among a watch's resources this frame.
#[derive(Default)]
pub(super) struct ResourceChanges {
    pub(super) changed: Vec<String>,
    pub(super) removed: Vec<String>,
}

impl WatchedResources {
    /// Checks every path names a type registered as a resource (it need
    /// not be in the world yet: it shows up once inserted).
    pub(super) fn new(world: &World, paths: &[String]) -> Result<Self, InspectorError> {
        let registry = world.resource::<AppTypeRegistry>().clone();
        let registry = registry.read();
        let types = paths
            .iter()
            .map(|p| {
                let t = resource_type(&registry, p)?;
                Ok((t.path.to_owned(), t.registration.type_id()))
            })
            .collect::<Result<Vec<_>, InspectorError>>()?;
        Ok(Self {
            types,
            state: BTreeMap::new(),
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Brings the kept values up to date: a resource is read again when it
    /// is new to the watch or changed since `last` (every one on the first
    /// frame, `last` = `None`).
    pub(super) fn update(
        &mut self,
        world: &World,
        registry: &TypeRegistry,
        last: Option<Tick>,
        now: Tick,
    ) -> ResourceChanges {
        let mut changes = ResourceChanges::default();
        for (path, type_id) in &self.types {
            let found = world.components().get_id(*type_id).and_then(|id| {
                let holder = world.resource_entities().get(id)?;
                let reflect = registry.get(*type_id)?.data::<ReflectComponent>()?;
                let holder = world.get_entity(holder).ok()?;
                // The holder may outlive the value (removed resource).
                holder.contains_id(id).then_some((id, holder, reflect))
            });
            let Some((id, holder, reflect)) = found else {
                if self.state.remove(path).is_some() {
                    changes.removed.push(path.clone());
                }
                continue;
            };
            let known = self.state.contains_key(path);
            let moved = match (known, last) {
                (false, _) | (_, None) => true,
                (true, Some(last)) => holder
                    .get_change_ticks_by_id(id)
                    .is_some_and(|ticks| ticks.is_changed(last, now)),
            };
            if !moved {
                continue;
            }
            let Some(value) = reflect.reflect(holder) else {
                continue;
            };
            let text = to_json_text(value.as_partial_reflect(), registry)
                .unwrap_or_else(|e| json!({ "error": e }).to_string());
            self.state.insert(path.clone(), text);
            changes.changed.push(path.clone());
        }
        changes
    }
}
