//! The entity channels: query, get, insert, mutate, remove, spawn,
//! despawn, reparent, list. Each parses its body, checks every entity and
//! type it names before it changes anything, then answers in BRP's shapes.

use std::collections::BTreeMap;

use bevy_ecs::component::ComponentId;
use bevy_ecs::hierarchy::ChildOf;
use bevy_ecs::name::Name;
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectComponent, ReflectResource};
use bevy_ecs::resource::IsResource;
use bevy_reflect::{Reflect, TypeRegistry};
use serde_json::{Map, Value, json};

use super::channels::Call;
use super::error::InspectorError;
use super::request::{
    EntityRequest, GetRequest, InsertRequest, ListRequest, MutateRequest, QueryRequest,
    RemoveRequest, ReparentRequest, SpawnRequest, parse,
};
use super::values::{
    ComponentType, apply_at_path, component_type, concrete_from_json, entity,
    reflectable_components, to_json, writable,
};

fn registry(world: &World) -> AppTypeRegistry {
    world.resource::<AppTypeRegistry>().clone()
}

/// `world/query`.
pub(super) fn query(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: QueryRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let types = |paths: &[String]| -> Result<Vec<ComponentType<'_>>, InspectorError> {
        paths
            .iter()
            .map(|p| component_type(world, &registry, p))
            .collect()
    };
    let fetched = types(&request.data.components)?;
    let optional = types(&request.data.option)?;
    let has = types(&request.data.has)?;
    let with = types(&request.filter.with)?;
    let without = types(&request.filter.without)?;
    // A required type the world has never seen matches nothing.
    let Some(required): Option<Vec<ComponentId>> =
        fetched.iter().chain(&with).map(|t| t.id).collect()
    else {
        return Ok(Value::Array(Vec::new()));
    };
    let excluded: Vec<ComponentId> = without.iter().filter_map(|t| t.id).collect();
    let is_resource = world
        .components()
        .get_id(std::any::TypeId::of::<IsResource>());
    let needle = request.name.as_deref().map(str::to_lowercase);
    let limit = request.limit.unwrap_or(usize::MAX);

    let mut rows = Vec::new();
    'archetypes: for archetype in world.archetypes().iter() {
        if !required.iter().all(|id| archetype.contains(*id))
            || excluded.iter().any(|id| archetype.contains(*id))
            || is_resource.is_some_and(|id| archetype.contains(id))
        {
            continue;
        }
        for archetype_entity in archetype.entities() {
            if rows.len() >= limit {
                break 'archetypes;
            }
            let id = archetype_entity.id();
            let Ok(entity_ref) = world.get_entity(id) else {
                continue;
            };
            if let Some(needle) = &needle {
                let named = entity_ref
                    .get::<Name>()
                    .is_some_and(|n| n.as_str().to_lowercase().contains(needle.as_str()));
                if !named {
                    continue;
                }
            }
            let mut components = Map::new();
            for t in fetched.iter().chain(&optional) {
                if let Some(value) = t.reflect.reflect(entity_ref) {
                    components.insert(
                        t.path.to_owned(),
                        to_json(value.as_partial_reflect(), &registry)?,
                    );
                }
            }
            let mut row = json!({ "entity": id.to_bits(), "components": components });
            if !has.is_empty() {
                let present: Map<String, Value> = has
                    .iter()
                    .map(|t| {
                        (
                            t.path.to_owned(),
                            Value::Bool(t.reflect.contains(entity_ref)),
                        )
                    })
                    .collect();
                row["has"] = Value::Object(present);
            }
            rows.push(row);
        }
    }
    Ok(Value::Array(rows))
}

/// `world/get`.
pub(super) fn get(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: GetRequest = parse(call.content)?;
    let target = entity(world, request.entity)?;
    let registry = registry(world);
    let registry = registry.read();
    let entity_ref = world.entity(target);
    let mut components = Map::new();
    let mut errors = Map::new();
    let mut read = |path: &str, reflect: &ReflectComponent| -> Result<(), InspectorError> {
        let value = reflect
            .reflect(entity_ref)
            .ok_or_else(|| missing(request.entity, path))?;
        components.insert(
            path.to_owned(),
            to_json(value.as_partial_reflect(), &registry)?,
        );
        Ok(())
    };
    match &request.components {
        None => {
            for (path, reflect, _) in reflectable_components(world, &registry, target) {
                if let Err(e) = read(path, reflect) {
                    errors.insert(
                        path.to_owned(),
                        serde_json::to_value(&e).unwrap_or_default(),
                    );
                }
            }
        }
        Some(paths) => {
            for path in paths {
                let outcome =
                    component_type(world, &registry, path).and_then(|t| read(t.path, t.reflect));
                match outcome {
                    Ok(()) => {}
                    Err(e) if request.strict => return Err(e.entity(request.entity)),
                    Err(e) => {
                        errors.insert(path.clone(), serde_json::to_value(&e).unwrap_or_default());
                    }
                }
            }
        }
    }
    Ok(json!({ "components": components, "errors": errors }))
}

fn missing(bits: u64, path: &str) -> InspectorError {
    InspectorError::new(
        "missing_component",
        format!("entity {bits} has no `{path}`"),
    )
    .entity(bits)
    .component(path)
}

/// A component value ready to insert, with the reflection that inserts it.
type Built = (ReflectComponent, Box<dyn Reflect>);

/// Every value checked and built before the first is inserted, so a bad
/// one leaves the entity as it was.
fn build_components(
    world: &World,
    registry: &TypeRegistry,
    components: &BTreeMap<String, Value>,
) -> Result<Vec<Built>, InspectorError> {
    components
        .iter()
        .map(|(path, value)| {
            let t = component_type(world, registry, path)?;
            writable(&t)?;
            if t.registration.type_id() == std::any::TypeId::of::<ChildOf>() {
                // world/reparent checks for cycles; a ChildOf inserted here
                // would not be.
                return Err(InspectorError::invalid(format!(
                    "`{}` is set with world/reparent, which refuses cycles",
                    t.path
                ))
                .component(t.path));
            }
            let value = concrete_from_json(value, t.registration, registry)?;
            Ok((t.reflect.clone(), value))
        })
        .collect()
}

fn insert_all(world: &mut World, target: Entity, registry: &TypeRegistry, built: Vec<Built>) {
    let mut entity_mut = world.entity_mut(target);
    for (reflect, value) in built {
        reflect.insert(&mut entity_mut, value.as_partial_reflect(), registry);
    }
}

/// `world/insert`.
pub(super) fn insert(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: InsertRequest = parse(call.content)?;
    let target = entity(world, request.entity)?;
    let registry = registry(world);
    let registry = registry.read();
    let built = build_components(world, &registry, &request.components)
        .map_err(|e| e.entity(request.entity))?;
    insert_all(world, target, &registry, built);
    Ok(Value::Null)
}

/// `world/spawn`.
pub(super) fn spawn(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: SpawnRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let built = build_components(world, &registry, &request.components)?;
    let target = world.spawn_empty().id();
    insert_all(world, target, &registry, built);
    Ok(json!({ "entity": target.to_bits() }))
}

/// `world/mutate`.
pub(super) fn mutate(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: MutateRequest = parse(call.content)?;
    let target = entity(world, request.entity)?;
    let registry = registry(world);
    let registry = registry.read();
    let bits = request.entity;
    let t = component_type(world, &registry, &request.component)?;
    writable(&t)?;
    let (path, reflect) = (t.path, t.reflect.clone());
    let id = t.id.ok_or_else(|| missing(bits, path))?;
    if !world.entity(target).contains_id(id) {
        return Err(missing(bits, path));
    }
    mutable_or_refuse(world, id, path)?;
    let mut entity_mut = world.entity_mut(target);
    let mut value = reflect
        .reflect_mut(&mut entity_mut)
        .ok_or_else(|| missing(bits, path))?;
    // Marked changed only once the new value is in: a refused mutation
    // must not wake every watcher.
    apply_at_path(
        value.bypass_change_detection().as_partial_reflect_mut(),
        path,
        &request.path,
        &request.value,
        &registry,
    )
    .map_err(|e| e.entity(bits))?;
    value.set_changed();
    Ok(Value::Null)
}

pub(super) fn mutable_or_refuse(
    world: &World,
    id: ComponentId,
    path: &str,
) -> Result<(), InspectorError> {
    let mutable = world
        .components()
        .get_info(id)
        .is_some_and(|info| info.mutable());
    if mutable {
        Ok(())
    } else {
        Err(InspectorError::new(
            "immutable",
            format!("`{path}` is an immutable component: insert a new value instead"),
        )
        .component(path))
    }
}

/// `world/remove`.
pub(super) fn remove(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: RemoveRequest = parse(call.content)?;
    let target = entity(world, request.entity)?;
    let registry = registry(world);
    let registry = registry.read();
    let reflects: Vec<ReflectComponent> = request
        .components
        .iter()
        .map(|p| {
            let t = component_type(world, &registry, p)?;
            writable(&t)?;
            Ok(t.reflect.clone())
        })
        .collect::<Result<_, _>>()
        .map_err(|e: InspectorError| e.entity(request.entity))?;
    let mut entity_mut = world.entity_mut(target);
    for reflect in reflects {
        reflect.remove(&mut entity_mut);
    }
    Ok(Value::Null)
}

/// `world/despawn`.
pub(super) fn despawn(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: EntityRequest = parse(call.content)?;
    let target = entity(world, request.entity)?;
    world.despawn(target);
    Ok(Value::Null)
}

/// `world/reparent`.
pub(super) fn reparent(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: ReparentRequest = parse(call.content)?;
    let children: Vec<Entity> = request
        .entities
        .iter()
        .map(|bits| entity(world, *bits))
        .collect::<Result<_, _>>()?;
    let parent = request.parent.map(|bits| entity(world, bits)).transpose()?;
    if let Some(parent) = parent {
        // A cycle would make every walk up or down the tree endless.
        for (child, bits) in children.iter().zip(&request.entities) {
            if is_ancestor_or_self(world, *child, parent) {
                return Err(InspectorError::invalid(format!(
                    "entity {bits} cannot become a child of {}: that would make a cycle",
                    parent.to_bits()
                ))
                .entity(*bits));
            }
        }
    }
    for child in children {
        match parent {
            Some(parent) => {
                world.entity_mut(child).insert(ChildOf(parent));
            }
            None => {
                world.entity_mut(child).remove::<ChildOf>();
            }
        }
    }
    Ok(Value::Null)
}

/// Whether `ancestor` is `entity` or above it; the walk is bounded by the
/// number of entities, so a corrupt tree cannot hang it.
fn is_ancestor_or_self(world: &World, ancestor: Entity, entity: Entity) -> bool {
    let mut current = entity;
    for _ in 0..=world.entities().len() {
        if current == ancestor {
            return true;
        }
        match world.get::<ChildOf>(current) {
            Some(child_of) => current = child_of.parent(),
            None => return false,
        }
    }
    true
}

/// `world/list_components`.
pub(super) fn list_components(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: ListRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let mut paths: Vec<&str> = match request.entity {
        Some(bits) => {
            let target = entity(world, bits)?;
            reflectable_components(world, &registry, target)
                .into_iter()
                .map(|(path, _, _)| path)
                .collect()
        }
        None => registry
            .iter()
            .filter(|r| {
                r.data::<ReflectComponent>().is_some() && r.data::<ReflectResource>().is_none()
            })
            .map(|r| r.type_info().type_path())
            .collect(),
    };
    paths.sort_unstable();
    Ok(json!(paths))
}
