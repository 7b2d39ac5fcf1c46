//! The rules a single field of a state, payload or configuration can
//! declare. They sit below the device types and plugin packages that
//! declare them and the checks that apply them, so neither has to reach
//! into the other for them.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A field's JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// `true` or `false`.
    Boolean,
    /// A whole number (`3`, or `3.0`).
    Integer,
    /// Any finite number.
    Number,
    /// A string.
    String,
}

impl FieldType {
    /// "a boolean", "an integer", ... for messages.
    pub fn article(self) -> &'static str {
        match self {
            FieldType::Boolean => "a boolean",
            FieldType::Integer => "an integer",
            FieldType::Number => "a number",
            FieldType::String => "a string",
        }
    }
}

/// A string format checked on top of the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Hex digits only (`0-9`, `a-f`, `A-F`).
    Hex,
    /// A dotted IPv4 address.
    Ipv4,
    /// Six hex byte pairs separated by `:` (`a4:cf:12:00:10:01`).
    Mac,
}

impl Format {
    /// How a value of this format is described in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Hex => "hexadecimal",
            Format::Ipv4 => "an IPv4 address",
            Format::Mac => "a MAC address like a4:cf:12:00:10:01",
        }
    }
}

/// The rules for one field of a state, payload or configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSchema {
    /// JSON type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Must be present (payloads and configuration).
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// Short name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Longer text for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unit of a number, e.g. `percent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Smallest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Largest number allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Exact length of a string, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// Shortest string allowed, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// Longest string allowed, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A regular expression the whole string must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// A format the string must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// The only values allowed.
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// The one value allowed.
    #[serde(default, rename = "const", skip_serializing_if = "Option::is_none")]
    pub constant: Option<Value>,
    /// Filled in when an optional field is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Set by the device only (sensor readings).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// A password or key: stored, but never sent back to clients
    /// (plugin configuration).
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
    /// `regex`, compiled and anchored at load time.
    #[serde(skip)]
    pub(crate) compiled: Option<Regex>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Named fields, in name order.
pub type Fields = BTreeMap<String, FieldSchema>;
