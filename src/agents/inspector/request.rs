//! The request bodies, as JSON objects; the field names are BRP's where
//! BRP has the same request (`docs/inspector.md` maps them one by one).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::InspectorError;

/// Parses a request body; an empty body reads as `{}`. Anything but a JSON
/// object is refused, so `[1]` never passes for `{"entity": 1}`.
pub(super) fn parse<T: DeserializeOwned>(content: &[u8]) -> Result<T, InspectorError> {
    let bad = |e: String| InspectorError::invalid(format!("bad request: {e}"));
    match content.iter().find(|b| !b.is_ascii_whitespace()) {
        None => serde_json::from_slice(b"{}").map_err(|e| bad(e.to_string())),
        Some(b'{') => serde_json::from_slice(content).map_err(|e| bad(e.to_string())),
        Some(_) => Err(bad(match serde_json::from_slice::<Value>(content) {
            Ok(_) => "the body must be a JSON object".to_owned(),
            Err(e) => format!("the body is not JSON: {e}"),
        })),
    }
}

/// `world/query`: BRP's `world.query` parameters, plus `name` and `limit`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct QueryRequest {
    pub(super) data: QueryData,
    pub(super) filter: QueryFilter,
    /// Only entities whose `Name` contains this text (any case).
    pub(super) name: Option<String>,
    /// At most this many entities in the answer.
    pub(super) limit: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct QueryData {
    /// Fetched; an entity without one of them does not match.
    pub(super) components: Vec<String>,
    /// Fetched when present.
    pub(super) option: Vec<String>,
    /// Reported as present or not.
    pub(super) has: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct QueryFilter {
    pub(super) with: Vec<String>,
    pub(super) without: Vec<String>,
}

/// `world/get`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GetRequest {
    pub(super) entity: u64,
    /// Which components; all the entity's reflectable ones when left out.
    #[serde(default)]
    pub(super) components: Option<Vec<String>>,
    /// Fail on the first component that cannot be read, instead of listing
    /// it under `errors`.
    #[serde(default)]
    pub(super) strict: bool,
}

/// `world/insert` and `world/spawn` (without `entity`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InsertRequest {
    pub(super) entity: u64,
    pub(super) components: BTreeMap<String, Value>,
}

/// `world/spawn`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct SpawnRequest {
    pub(super) components: BTreeMap<String, Value>,
}

/// `world/mutate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MutateRequest {
    pub(super) entity: u64,
    pub(super) component: String,
    /// A reflection path (`x`, `.x`, `items[2].name`); empty for the whole
    /// component.
    #[serde(default)]
    pub(super) path: String,
    pub(super) value: Value,
}

/// `world/remove`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RemoveRequest {
    pub(super) entity: u64,
    pub(super) components: Vec<String>,
}

/// `world/despawn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntityRequest {
    pub(super) entity: u64,
}

/// `world/reparent`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReparentRequest {
    pub(super) entities: Vec<u64>,
    /// The new parent; none makes them roots.
    #[serde(default)]
    pub(super) parent: Option<u64>,
}

/// `world/list_components`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct ListRequest {
    pub(super) entity: Option<u64>,
}

/// `world/get_resources`, `world/remove_resources`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResourceRequest {
    pub(super) resource: String,
}

/// `world/insert_resources`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InsertResourceRequest {
    pub(super) resource: String,
    pub(super) value: Value,
}

/// `world/mutate_resources`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MutateResourceRequest {
    pub(super) resource: String,
    #[serde(default)]
    pub(super) path: String,
    pub(super) value: Value,
}

/// `registry/schema`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct SchemaRequest {
    pub(super) with_crates: Vec<String>,
    pub(super) without_crates: Vec<String>,
    pub(super) type_limit: TypeLimit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct TypeLimit {
    /// Only types with all of this reflect data (`Component`, `Resource`).
    pub(super) with: Vec<String>,
    /// No type with any of this reflect data.
    pub(super) without: Vec<String>,
}

/// `world/watch`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct WatchRequest {
    /// These entities (all their reflectable components unless
    /// `components` narrows them).
    pub(super) entities: Option<Vec<u64>>,
    /// These components (on every entity that has one, unless `entities`
    /// narrows them).
    pub(super) components: Option<Vec<String>>,
    /// These resources, by type path.
    pub(super) resources: Option<Vec<String>>,
    /// The entity list: spawned, despawned, renamed and reparented
    /// entities.
    pub(super) list: bool,
}
