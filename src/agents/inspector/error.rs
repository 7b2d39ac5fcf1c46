//! The one error type every inspector channel answers with: a code for
//! programs, a sentence for people, and the entity, component and field
//! path concerned, so a client can point at what was wrong.

use serde::Serialize;

/// Why an inspector request was refused. Sent to the client as the JSON
/// text of the failed response (`{"code":..,"message":..,"path":..}`).
///
/// ```
/// use switchboard::agents::inspector::InspectorError;
/// let e = InspectorError::new("unknown_entity", "no entity 42 in the world").entity(42);
/// assert_eq!(e.to_json(), r#"{"code":"unknown_entity","message":"no entity 42 in the world","entity":42}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct InspectorError {
    /// Machine-readable code: `invalid_request`, `unknown_entity`,
    /// `unknown_component`, `missing_component`, `bad_path`, `bad_value`,
    /// `unknown_resource`, `unknown_type` (events, messages), `immutable`,
    /// `writes_disabled`, `forbidden`,
    /// `too_large`.
    pub code: &'static str,
    /// The sentence for people; it names the entity, type and path.
    pub message: String,
    /// The entity concerned (its bits, as in requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<u64>,
    /// The component or resource type path concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The field path concerned (`world/mutate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl InspectorError {
    /// An error with a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            entity: None,
            component: None,
            path: None,
        }
    }

    /// Names the entity concerned.
    pub fn entity(mut self, bits: u64) -> Self {
        self.entity = Some(bits);
        self
    }

    /// Names the component or resource type concerned.
    pub fn component(mut self, type_path: impl Into<String>) -> Self {
        self.component = Some(type_path.into());
        self
    }

    /// Names the field path concerned.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The JSON text sent to the client.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.message.clone())
    }

    pub(super) fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid_request", message)
    }
}
