//! `registry/schema`: a JSON Schema for every registered type, made from
//! its reflection info. Like BRP's `registry.schema`, each entry carries
//! the type's paths, crate, kind and reflect data (`Component`,
//! `Resource`, ...) beside the schema proper; unlike BRP's, references to
//! field types are plain JSON Schema (`{"$ref": "#/$defs/f32"}`), so a
//! standard validator reads them.

use bevy_ecs::prelude::*;
use bevy_ecs::reflect::{AppTypeRegistry, ReflectComponent, ReflectResource};
use bevy_reflect::enums::VariantInfo;
use bevy_reflect::{TypeInfo, TypeRegistration};
use serde_json::{Map, Value, json};

use super::channels::Call;
use super::error::InspectorError;
use super::request::{SchemaRequest, parse};

/// `registry/schema`.
pub(super) fn schema(world: &mut World, call: &Call<'_>) -> Result<Value, InspectorError> {
    let request: SchemaRequest = parse(call.content)?;
    for data in request
        .type_limit
        .with
        .iter()
        .chain(&request.type_limit.without)
    {
        if !KNOWN_DATA.contains(&data.as_str()) {
            return Err(InspectorError::invalid(format!(
                "type_limit names `{data}`; known reflect data: {}",
                KNOWN_DATA.join(", ")
            )));
        }
    }
    let registry = world.resource::<AppTypeRegistry>().clone();
    let registry = registry.read();
    let mut out = Map::new();
    for registration in registry.iter() {
        let info = registration.type_info();
        let crate_name = info.type_path_table().crate_name().unwrap_or("");
        if !request.with_crates.is_empty() && !request.with_crates.iter().any(|c| c == crate_name) {
            continue;
        }
        if request.without_crates.iter().any(|c| c == crate_name) {
            continue;
        }
        let data = reflect_data(registration);
        if !request
            .type_limit
            .with
            .iter()
            .all(|d| data.contains(&d.as_str()))
            || request
                .type_limit
                .without
                .iter()
                .any(|d| data.contains(&d.as_str()))
        {
            continue;
        }
        out.insert(info.type_path().to_owned(), type_schema(info, &data));
    }
    Ok(Value::Object(out))
}

const KNOWN_DATA: &[&str] = &["Component", "Resource", "Default"];

fn reflect_data(registration: &TypeRegistration) -> Vec<&'static str> {
    let mut data = Vec::new();
    if registration.data::<ReflectComponent>().is_some()
        && registration.data::<ReflectResource>().is_none()
    {
        data.push("Component");
    }
    if registration.data::<ReflectResource>().is_some() {
        data.push("Resource");
    }
    if registration
        .data::<bevy_reflect::std_traits::ReflectDefault>()
        .is_some()
    {
        data.push("Default");
    }
    data
}

fn reference(type_path: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{type_path}") })
}

fn type_schema(info: &TypeInfo, data: &[&str]) -> Value {
    let table = info.type_path_table();
    let mut schema = json!({
        "typePath": info.type_path(),
        "shortPath": table.short_path(),
        "crateName": table.crate_name(),
        "modulePath": table.module_path(),
        "reflectTypes": data,
    });
    let (kind, body) = match info {
        TypeInfo::Struct(s) => (
            "Struct",
            json!({
                "type": "object",
                "properties": s.iter().map(|f| (f.name().to_owned(), reference(f.type_path()))).collect::<Map<_, _>>(),
                "required": s.field_names(),
                "additionalProperties": false,
            }),
        ),
        TypeInfo::TupleStruct(s) if s.field_len() == 1 => (
            "TupleStruct",
            s.iter()
                .next()
                .map_or(Value::Null, |f| reference(f.type_path())),
        ),
        TypeInfo::TupleStruct(s) => ("TupleStruct", tuple(s.iter().map(|f| f.type_path()))),
        TypeInfo::Tuple(t) => ("Tuple", tuple(t.iter().map(|f| f.type_path()))),
        TypeInfo::List(l) => (
            "List",
            json!({ "type": "array", "items": reference(l.item_ty().path()) }),
        ),
        TypeInfo::Array(a) => (
            "Array",
            json!({
                "type": "array",
                "items": reference(a.item_ty().path()),
                "minItems": a.capacity(),
                "maxItems": a.capacity(),
            }),
        ),
        TypeInfo::Set(s) => (
            "Set",
            json!({ "type": "array", "items": reference(s.value_ty().path()), "uniqueItems": true }),
        ),
        TypeInfo::Map(m) => (
            "Map",
            json!({
                "type": "object",
                "keyType": reference(m.key_ty().path()),
                "additionalProperties": reference(m.value_ty().path()),
            }),
        ),
        TypeInfo::Enum(e) => (
            "Enum",
            json!({ "oneOf": e.iter().map(variant).collect::<Vec<_>>() }),
        ),
        TypeInfo::Opaque(_) => ("Value", opaque(info.type_path())),
    };
    schema["kind"] = json!(kind);
    if let (Value::Object(schema), Value::Object(body)) = (&mut schema, body) {
        schema.extend(body);
    }
    schema
}

fn tuple<'a>(types: impl Iterator<Item = &'a str>) -> Value {
    let items: Vec<Value> = types.map(reference).collect();
    json!({
        "type": "array",
        "minItems": items.len(),
        "maxItems": items.len(),
        "prefixItems": items,
    })
}

/// A variant in the reflection serializer's shape: a unit variant is its
/// name, any other is `{name: fields}`.
fn variant(variant: &VariantInfo) -> Value {
    let name = variant.name();
    let fields = match variant {
        VariantInfo::Unit(_) => return json!({ "const": name }),
        VariantInfo::Struct(s) => json!({
            "type": "object",
            "properties": s.iter().map(|f| (f.name().to_owned(), reference(f.type_path()))).collect::<Map<_, _>>(),
            "required": s.field_names(),
            "additionalProperties": false,
        }),
        VariantInfo::Tuple(t) if t.field_len() == 1 => t
            .iter()
            .next()
            .map_or(Value::Null, |f| reference(f.type_path())),
        VariantInfo::Tuple(t) => tuple(t.iter().map(|f| f.type_path())),
    };
    json!({
        "type": "object",
        "properties": { name: fields },
        "required": [name],
        "additionalProperties": false,
    })
}

/// The JSON a primitive serializes to.
fn opaque(type_path: &str) -> Value {
    match type_path {
        "bool" => json!({ "type": "boolean" }),
        "f32" | "f64" => json!({ "type": "number" }),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            json!({ "type": "integer", "minimum": 0 })
        }
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => json!({ "type": "integer" }),
        "char" => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
        "alloc::string::String" | "&str" | "alloc::borrow::Cow<str>" => json!({ "type": "string" }),
        _ => json!({}),
    }
}
