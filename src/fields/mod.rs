//! Typed fields: the rules a value may have to follow (type, required,
//! range, length, regex, format, enum, const, default, secret) and the
//! checks that apply them, with errors that name the field and the rule.
//!
//! The hardware bridge checks device commands and configurations with
//! them, and plugin packages check their settings with the same code, so a
//! rule means one thing everywhere.
//!
//! ```
//! use switchboard::fields::{Fields, Rule, check_field, validate_object};
//!
//! let mut fields: Fields = serde_norway::from_str(
//!     "port: {type: integer, required: true, minimum: 1, maximum: 65535}\n",
//! )?;
//! for (name, field) in &mut fields {
//!     check_field(name, field)?;
//! }
//! let errors = validate_object("configuration", &fields, Some(&serde_json::json!({"port": 0})))
//!     .unwrap_err();
//! assert_eq!(errors[0].rule, Rule::Range);
//! assert_eq!(errors[0].message, "port: 0 is below the minimum 1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod schema;
mod validate;

pub use check::check_field;
pub use schema::{FieldSchema, FieldType, Fields, Format};
pub use validate::{FieldError, Rule, check_value, validate_object};

/// A JSON object: device state, command payloads, configuration.
pub type Object = serde_json::Map<String, serde_json::Value>;
