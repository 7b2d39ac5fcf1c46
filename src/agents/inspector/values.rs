//! Reflection: from a type path to a registered component, from a
//! component to JSON and back, and into a component by a field path.
//!
//! Values are in bevy_reflect's serializer shapes, the same BRP sends:
//! `TypedReflectSerializer` (no type wrapper) for every component and
//! resource value, `TypedReflectDeserializer` for every value a client
//! sends. Every failure names the entity, type and path concerned.

use bevy_ecs::component::ComponentId;
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::ReflectComponent;
use bevy_reflect::serde::{TypedReflectDeserializer, TypedReflectSerializer};
use bevy_reflect::{
    PartialReflect, Reflect, ReflectFromReflect, ReflectPath, TypeRegistration, TypeRegistry,
};
use serde::de::DeserializeSeed;
use serde_json::Value;

use super::error::InspectorError;

/// A component type as the registry and the world know it.
pub(super) struct ComponentType<'r> {
    pub(super) path: &'r str,
    pub(super) registration: &'r TypeRegistration,
    pub(super) reflect: &'r ReflectComponent,
    /// `None` until the world has seen the type (no entity has it yet).
    pub(super) id: Option<ComponentId>,
}

/// Finds a component type by its full type path (`my_game::Position`).
pub(super) fn component_type<'r>(
    world: &World,
    registry: &'r TypeRegistry,
    path: &str,
) -> Result<ComponentType<'r>, InspectorError> {
    let registration = registry.get_with_type_path(path).ok_or_else(|| {
        InspectorError::new(
            "unknown_component",
            format!("no type `{path}` is registered for reflection (app.register_type::<T>())"),
        )
        .component(path)
    })?;
    let reflect = registration.data::<ReflectComponent>().ok_or_else(|| {
        InspectorError::new(
            "unknown_component",
            format!("`{path}` is registered but not as a component (#[reflect(Component)])"),
        )
        .component(path)
    })?;
    Ok(ComponentType {
        path: registration.type_info().type_path(),
        registration,
        reflect,
        id: world.components().get_id(registration.type_id()),
    })
}

/// Refuses the ECS's own bookkeeping components for writes: inserting
/// `IsResource` or `Children` by hand breaks invariants the ECS relies on
/// (its hooks panic), so only the ECS may add them.
pub(super) fn writable(t: &ComponentType<'_>) -> Result<(), InspectorError> {
    let type_id = t.registration.type_id();
    let internal = type_id == std::any::TypeId::of::<bevy_ecs::resource::IsResource>()
        || type_id == std::any::TypeId::of::<bevy_ecs::hierarchy::Children>();
    if internal {
        return Err(InspectorError::new(
            "immutable",
            format!("`{}` is kept by the ECS itself and cannot be written (reparent with world/reparent)", t.path),
        )
        .component(t.path));
    }
    Ok(())
}

/// The entity with these bits, if it exists and is not a resource's holder.
pub(super) fn entity(world: &World, bits: u64) -> Result<Entity, InspectorError> {
    let unknown = || {
        InspectorError::new("unknown_entity", format!("no entity {bits} in the world")).entity(bits)
    };
    let entity = Entity::try_from_bits(bits).ok_or_else(unknown)?;
    let entity_ref = world.get_entity(entity).map_err(|_| unknown())?;
    if entity_ref.contains::<bevy_ecs::resource::IsResource>() {
        return Err(InspectorError::new(
            "unknown_entity",
            format!("entity {bits} holds a resource; use the resource channels"),
        )
        .entity(bits));
    }
    Ok(entity)
}

/// A reflected value as JSON, in the reflection serializer's shape.
pub(super) fn to_json(
    value: &dyn PartialReflect,
    registry: &TypeRegistry,
) -> Result<Value, InspectorError> {
    serde_json::to_value(TypedReflectSerializer::new(value, registry)).map_err(|e| {
        let path = value
            .get_represented_type_info()
            .map_or("?", |info| info.type_path());
        InspectorError::new("bad_value", format!("`{path}` cannot be serialized: {e}"))
            .component(path)
    })
}

/// A reflected value as JSON text, without building a `Value` first (the
/// watch keeps text).
pub(super) fn to_json_text(
    value: &dyn PartialReflect,
    registry: &TypeRegistry,
) -> Result<String, InspectorError> {
    serde_json::to_string(&TypedReflectSerializer::new(value, registry)).map_err(|e| {
        let path = value
            .get_represented_type_info()
            .map_or("?", |info| info.type_path());
        InspectorError::new("bad_value", format!("`{path}` cannot be serialized: {e}"))
            .component(path)
    })
}

/// A value of `registration`'s type from JSON; the error says which type
/// and why (`invalid type: string "a", expected f64`).
pub(super) fn from_json(
    value: &Value,
    registration: &TypeRegistration,
    registry: &TypeRegistry,
) -> Result<Box<dyn PartialReflect>, InspectorError> {
    let path = registration.type_info().type_path();
    TypedReflectDeserializer::new(registration, registry)
        .deserialize(value)
        .map_err(|e| {
            InspectorError::new("bad_value", format!("not a `{path}`: {e}")).component(path)
        })
}

/// A concrete value of the type, made from JSON: what `insert` needs,
/// checked here so that the ECS's own conversion never has to panic.
pub(super) fn concrete_from_json(
    value: &Value,
    registration: &TypeRegistration,
    registry: &TypeRegistry,
) -> Result<Box<dyn Reflect>, InspectorError> {
    let path = registration.type_info().type_path();
    let partial = from_json(value, registration, registry)?;
    let from_reflect = registration.data::<ReflectFromReflect>().ok_or_else(|| {
        InspectorError::new(
            "bad_value",
            format!("`{path}` cannot be built by reflection (no FromReflect)"),
        )
        .component(path)
    })?;
    from_reflect.from_reflect(partial.as_ref()).ok_or_else(|| {
        InspectorError::new("bad_value", format!("the value is not a complete `{path}`"))
            .component(path)
    })
}

/// Sets the field at `path` of `target` (the whole of it for an empty
/// path) from JSON, with the field's own type.
pub(super) fn apply_at_path(
    target: &mut dyn PartialReflect,
    type_path: &str,
    path: &str,
    value: &Value,
    registry: &TypeRegistry,
) -> Result<(), InspectorError> {
    let field: &mut dyn PartialReflect = if path.is_empty() {
        target
    } else {
        path.reflect_element_mut(target).map_err(|e| {
            InspectorError::new(
                "bad_path",
                format!("no field `{path}` in `{type_path}`: {e}"),
            )
            .component(type_path)
            .path(path)
        })?
    };
    let field_type = field
        .get_represented_type_info()
        .map(|info| info.type_path())
        .ok_or_else(|| {
            InspectorError::new(
                "bad_path",
                format!("field `{path}` of `{type_path}` has no known type"),
            )
            .component(type_path)
            .path(path)
        })?;
    let registration = registry.get_with_type_path(field_type).ok_or_else(|| {
        InspectorError::new(
            "bad_path",
            format!("field `{path}` of `{type_path}` is a `{field_type}`, which is not registered"),
        )
        .component(type_path)
        .path(path)
    })?;
    let new_value = from_json(value, registration, registry).map_err(|e| {
        InspectorError::new(
            "bad_value",
            format!("field `{path}` of `{type_path}`: {}", e.message),
        )
        .component(type_path)
        .path(path)
    })?;
    field.try_apply(new_value.as_ref()).map_err(|e| {
        InspectorError::new("bad_value", format!("field `{path}` of `{type_path}`: {e}"))
            .component(type_path)
            .path(path)
    })
}

/// Every reflectable component of an entity: type path, reflection, id.
pub(super) fn reflectable_components<'r>(
    world: &World,
    registry: &'r TypeRegistry,
    entity: Entity,
) -> Vec<(&'r str, &'r ReflectComponent, ComponentId)> {
    let Ok(entity_ref) = world.get_entity(entity) else {
        return Vec::new();
    };
    entity_ref
        .archetype()
        .iter_components()
        .filter_map(|id| {
            let registration = registry.get(world.components().get_info(id)?.type_id()?)?;
            let reflect = registration.data::<ReflectComponent>()?;
            Some((registration.type_info().type_path(), reflect, id))
        })
        .collect()
}
