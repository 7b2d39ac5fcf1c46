//! The resource channels. In this Bevy a resource is a component on an
//! entity of its own (marked `IsResource`), so reading and writing one is
//! reading and writing that component; a type counts as a resource when it
//! is registered with `#[reflect(Resource)]`.

use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectComponent, ReflectResource};
use bevy_ecs::resource::IsResource;
use bevy_reflect::TypeRegistry;
use serde_json::{Value, json};

use super::channels::Call;
use super::error::InspectorError;
use super::request::{InsertResourceRequest, MutateResourceRequest, ResourceRequest, parse};
use super::values::{apply_at_path, concrete_from_json, to_json};
use super::world::mutable_or_refuse;

pub(super) struct ResourceType<'r> {
    pub(super) path: &'r str,
    pub(super) registration: &'r bevy_reflect::TypeRegistration,
    reflect: &'r ReflectComponent,
}

pub(super) fn resource_type<'r>(
    registry: &'r TypeRegistry,
    path: &str,
) -> Result<ResourceType<'r>, InspectorError> {
    let unknown = |why: String| InspectorError::new("unknown_resource", why).component(path);
    let registration = registry.get_with_type_path(path).ok_or_else(|| {
        unknown(format!(
            "no type `{path}` is registered for reflection (app.register_type::<T>())"
        ))
    })?;
    let reflect = registration
        .data::<ReflectResource>()
        .and(registration.data::<ReflectComponent>())
        .ok_or_else(|| {
            unknown(format!(
                "`{path}` is registered but not as a resource (#[reflect(Resource)])"
            ))
        })?;
    Ok(ResourceType {
        path: registration.type_info().type_path(),
        registration,
        reflect,
    })
}

/// The entity holding the resource, if the world has it.
fn holder(world: &World, t: &ResourceType<'_>) -> Result<Entity, InspectorError> {
    world
        .components()
        .get_id(t.registration.type_id())
        .and_then(|id| world.resource_entities().get(id))
        .ok_or_else(|| {
            InspectorError::new(
                "unknown_resource",
                format!("the world has no `{}` resource", t.path),
            )
            .component(t.path)
        })
}

fn registry(world: &World) -> AppTypeRegistry {
    world.resource::<AppTypeRegistry>().clone()
}

/// `world/get_resources`.
pub(super) fn get(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: ResourceRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let t = resource_type(&registry, &request.resource)?;
    let holder = holder(world, &t)?;
    let value = t.reflect.reflect(world.entity(holder)).ok_or_else(|| {
        InspectorError::new(
            "unknown_resource",
            format!("the world has no `{}` resource", t.path),
        )
        .component(t.path)
    })?;
    Ok(json!({ "value": to_json(value.as_partial_reflect(), &registry)? }))
}

/// `world/insert_resources`: replaces the value, or adds the resource.
pub(super) fn insert(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: InsertResourceRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let t = resource_type(&registry, &request.resource)?;
    let value = concrete_from_json(&request.value, t.registration, &registry)?;
    let reflect = t.reflect.clone();
    match holder(world, &t) {
        Ok(entity) => {
            reflect.insert(
                &mut world.entity_mut(entity),
                value.as_partial_reflect(),
                &registry,
            );
        }
        Err(_) => {
            let id = reflect.register_component(world);
            let mut entity = world.spawn_empty();
            reflect.insert(&mut entity, value.as_partial_reflect(), &registry);
            entity.insert(IsResource::new(id));
        }
    }
    Ok(Value::Null)
}

/// `world/mutate_resources`.
pub(super) fn mutate(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: MutateResourceRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let t = resource_type(&registry, &request.resource)?;
    let entity = holder(world, &t)?;
    let (path, reflect) = (t.path, t.reflect.clone());
    if let Some(id) = world.components().get_id(t.registration.type_id()) {
        mutable_or_refuse(world, id, path)?;
    }
    let mut entity_mut = world.entity_mut(entity);
    let mut value = reflect.reflect_mut(&mut entity_mut).ok_or_else(|| {
        InspectorError::new(
            "unknown_resource",
            format!("the world has no `{path}` resource"),
        )
        .component(path)
    })?;
    apply_at_path(
        value.bypass_change_detection().as_partial_reflect_mut(),
        path,
        &request.path,
        &request.value,
        &registry,
    )?;
    value.set_changed();
    Ok(Value::Null)
}

/// `world/remove_resources`.
pub(super) fn remove(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: ResourceRequest = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let t = resource_type(&registry, &request.resource)?;
    if let Some(id) = world.components().get_id(t.registration.type_id()) {
        world.remove_resource_by_id(id);
    }
    Ok(Value::Null)
}

/// `world/list_resources`: the reflectable resources the world has.
pub(super) fn list(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let _: serde::de::IgnoredAny = parse(call.content)?;
    let registry = registry(world);
    let registry = registry.read();
    let mut paths: Vec<&str> = world
        .resource_entities()
        .iter()
        .filter_map(|(id, _)| world.components().get_info(id)?.type_id())
        .filter_map(|type_id| registry.get(type_id))
        .filter(|r| r.data::<ReflectResource>().is_some())
        .map(|r| r.type_info().type_path())
        .collect();
    paths.sort_unstable();
    Ok(json!(paths))
}
