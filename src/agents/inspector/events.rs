//! `world/trigger_event` and `world/write_message`: BRP's
//! `world.trigger_event` and `world.write_message`, with the same
//! parameters (`{event, value?}`, `{message, value?}`). The type must be
//! registered with `#[reflect(Event)]` or `#[reflect(Message)]`.
//!
//! The value is made into a complete value of the type before the ECS sees
//! it: the ECS's own conversion panics on a value it cannot build, and a
//! request must never panic the game.

use bevy_ecs::change_detection::Tick;
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectEvent, ReflectMessage};
use bevy_reflect::TypeRegistration;
use serde::Deserialize;
use serde_json::Value;

use super::channels::Call;
use super::error::InspectorError;
use super::request::parse;
use super::values::concrete_from_json;

/// `world/trigger_event`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerRequest {
    event: String,
    /// The event's value; a type without fields may leave it out.
    #[serde(default)]
    value: Option<Value>,
}

/// `world/write_message`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteRequest {
    message: String,
    #[serde(default)]
    value: Option<Value>,
}

fn registration<'r>(
    registry: &'r bevy_reflect::TypeRegistry,
    path: &str,
    kind: &str,
) -> Result<&'r TypeRegistration, InspectorError> {
    registry.get_with_type_path(path).ok_or_else(|| {
        InspectorError::new(
            "unknown_type",
            format!(
                "no {kind} type `{path}` is registered for reflection (app.register_type::<T>())"
            ),
        )
        .component(path)
    })
}

/// The value as a complete value of the type. A missing value reads as
/// `{}`, what a type without fields serializes to; for any other type the
/// error says the value is missing.
fn value_of(
    value: Option<Value>,
    registration: &TypeRegistration,
    registry: &bevy_reflect::TypeRegistry,
) -> Result<Box<dyn bevy_reflect::Reflect>, InspectorError> {
    match value {
        Some(value) => concrete_from_json(&value, registration, registry),
        None => concrete_from_json(&Value::Object(Default::default()), registration, registry)
            .map_err(|e| {
                let path = registration.type_info().type_path();
                InspectorError::new(
                    "bad_value",
                    format!(
                        "no value given, and `{path}` has fields: send `value` ({})",
                        e.message
                    ),
                )
                .component(path)
            }),
    }
}

/// `world/trigger_event`: runs the event's observers now, in this frame.
pub(super) fn trigger_event(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: TriggerRequest = parse(call.content)?;
    let registry = world.resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    let path = request.event.as_str();
    let registration = registration(&registry, path, "event")?;
    let reflect = registration.data::<ReflectEvent>().ok_or_else(|| {
        InspectorError::new(
            "unknown_type",
            format!("`{path}` is registered but not as an event (#[reflect(Event)])"),
        )
        .component(path)
    })?;
    let value = value_of(request.value, registration, &registry)?;
    reflect.trigger(world, value.as_partial_reflect(), &registry);
    Ok(Value::Null)
}

/// `world/write_message`: the message is read by the game's readers from
/// the next system that reads it on.
pub(super) fn write_message(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: WriteRequest = parse(call.content)?;
    let registry = world.resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    let path = request.message.as_str();
    let registration = registration(&registry, path, "message")?;
    let reflect = registration.data::<ReflectMessage>().ok_or_else(|| {
        InspectorError::new(
            "unknown_type",
            format!("`{path}` is registered but not as a message (#[reflect(Message)])"),
        )
        .component(path)
    })?;
    let value = value_of(request.value, registration, &registry)?;
    // Writes from here on carry a newer tick than `before`.
    let before = world.increment_change_tick();
    reflect.write_message(world, value.as_partial_reflect(), &registry);
    if !any_resource_changed_since(world, before) {
        // The ECS logged this and dropped the message; the sender is told.
        return Err(InspectorError::new(
            "unknown_type",
            format!(
                "the game has no queue for message `{path}` (app.add_message::<T>()): not written"
            ),
        )
        .component(path));
    }
    Ok(Value::Null)
}

/// Whether a resource changed since `since`: a written message marks its
/// queue (`Messages<T>`, a resource) changed, and the ECS knows that queue
/// by its Rust type only, which reflection does not give.
fn any_resource_changed_since(world: &World, since: Tick) -> bool {
    let now = world.read_change_tick();
    world.resource_entities().iter().any(|(id, holder)| {
        world
            .get_entity(holder)
            .ok()
            .and_then(|e| e.get_change_ticks_by_id(id))
            .is_some_and(|ticks| ticks.is_changed(since, now))
    })
}
