//! The `hardware_json` and `device_type_yaml` targets: the bridge's request
//! shapes and device types.

use std::sync::OnceLock;
use std::time::Duration;

use crate::agents::hardware::api as hardware_api;

#[cfg(feature = "hardware")]
fn device_types() -> &'static crate::agents::hardware::DeviceTypes {
    static TYPES: OnceLock<crate::agents::hardware::DeviceTypes> = OnceLock::new();
    TYPES.get_or_init(|| {
        let types = crate::agents::hardware::DeviceTypes::builtin();
        assert_eq!(types.len(), crate::agents::hardware::BUILTIN_TYPES.len());
        types
    })
}

/// Validates like the bridge, then checks that what passed validates again
/// to itself (defaults filled, integers normalized: a fixed point).
#[cfg(feature = "hardware")]
fn validate_twice(
    what: &str,
    fields: &crate::agents::hardware::Fields,
    value: Option<&serde_json::Value>,
) {
    use crate::agents::hardware::validate_object;
    match validate_object(what, fields, value) {
        Ok(object) => {
            let again = serde_json::Value::Object(object.clone());
            match validate_object(what, fields, Some(&again)) {
                Ok(second) => assert_eq!(second, object, "validation is not a fixed point"),
                Err(e) => panic!("validated {what} {again} fails validation: {e:?}"),
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            let error = hardware_api::ApiError::validation("invalid_payload", errors);
            let _ = error.to_json();
        }
    }
}

/// One `hardware/*` request body, parsed as every request shape the bridge
/// knows (the same `parse` and structs, from `api.rs`), then validated as
/// the bridge would against every shipped device type: configurations for
/// register and configure (merged over the defaults), payloads for
/// commands, names and device ids. The body is also validated directly as
/// each type's state, configuration and command payloads.
#[cfg(feature = "hardware")]
pub fn hardware_json(bytes: &[u8]) {
    use crate::agents::hardware::{parse_device_id, validate_object};
    use hardware_api::{
        CommandRequest, ConfigureRequest, DescribeRequest, DevicesRequest, DiscoverRequest,
        RegisterRequest, StateRequest, TypesRequest, check_name, parse,
    };
    use serde_json::Value;

    if bytes.len() > 64 << 10 {
        return;
    }
    let types = device_types();
    let report = |e: hardware_api::ApiError| {
        assert!(!e.message.is_empty());
        let _ = e.to_json();
    };

    match parse::<DevicesRequest>(bytes) {
        Ok(r) => {
            let _ = (
                r.registered,
                r.radio.map(|radio| types.for_radio(radio).count()),
            );
        }
        Err(e) => report(e),
    }
    match parse::<TypesRequest>(bytes) {
        Ok(r) => {
            if let Some(id) = r.id
                && let Some(ty) = types.get(&id)
            {
                let _ = serde_json::to_string(ty.as_ref()).expect("a type serializes");
            }
        }
        Err(e) => report(e),
    }
    match parse::<DiscoverRequest>(bytes) {
        Ok(r) => {
            let timeout = r
                .timeout_ms
                .map_or(Duration::from_secs(5), Duration::from_millis)
                .clamp(Duration::from_millis(1), Duration::from_secs(60));
            assert!(timeout <= Duration::from_secs(60));
        }
        Err(e) => report(e),
    }
    match parse::<RegisterRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            if let Some(name) = &r.name
                && let Err(e) = check_name(name)
            {
                report(e);
            }
            for ty in types.iter() {
                validate_twice("config", &ty.config, r.config.as_ref());
            }
        }
        Err(e) => report(e),
    }
    match parse::<CommandRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            let mut found = false;
            for ty in types.iter() {
                if let Some(spec) = ty.command(&r.command) {
                    found = true;
                    validate_twice("payload", &spec.payload, r.payload.as_ref());
                }
            }
            if !found {
                // Unknown command: still exercise the payload rules.
                for ty in types.iter() {
                    for spec in ty.commands.values() {
                        validate_twice("payload", &spec.payload, r.payload.as_ref());
                    }
                }
            }
        }
        Err(e) => report(e),
    }
    match parse::<StateRequest>(bytes) {
        Ok(r) => {
            let _ = (parse_device_id(&r.device), r.cached);
        }
        Err(e) => report(e),
    }
    match parse::<ConfigureRequest>(bytes) {
        Ok(r) => {
            let _ = parse_device_id(&r.device);
            if let Some(name) = &r.name
                && let Err(e) = check_name(name)
            {
                report(e);
            }
            if let Some(Value::Object(patch)) = r.config {
                for ty in types.iter() {
                    // The bridge merges the patch over the stored config.
                    let stored = validate_object("config", &ty.config, None).unwrap_or_default();
                    let mut merged = Value::Object(stored);
                    for (key, value) in &patch {
                        if value.is_null() {
                            merged.as_object_mut().map(|m| m.remove(key));
                        } else {
                            merged[key.as_str()] = value.clone();
                        }
                    }
                    validate_twice("config", &ty.config, Some(&merged));
                }
            }
        }
        Err(e) => report(e),
    }
    match parse::<DescribeRequest>(bytes) {
        Ok(r) => {
            if let Some((radio, address)) = parse_device_id(&r.device) {
                assert_eq!(crate::agents::hardware::device_id(radio, address), r.device);
            }
        }
        Err(e) => report(e),
    }

    // The body as a payload or configuration in its own right.
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        for ty in types.iter() {
            validate_twice("state", &ty.state, Some(&value));
            validate_twice("config", &ty.config, Some(&value));
            for spec in ty.commands.values() {
                validate_twice("payload", &spec.payload, Some(&value));
            }
        }
    }
}

/// A device type file (`DeviceType::from_yaml`, as `load_dir` reads them):
/// when it loads, it serializes, and its own defaults validate.
#[cfg(feature = "hardware")]
pub fn device_type_yaml(bytes: &[u8]) {
    use crate::agents::hardware::DeviceType;
    if bytes.len() > 64 << 10 {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let ty = match DeviceType::from_yaml("fuzz.yml", text) {
        Ok(ty) => ty,
        Err(e) => {
            assert_eq!(e.source_name, "fuzz.yml");
            return;
        }
    };
    let json = serde_json::to_value(&ty).expect("a loaded type serializes");
    assert!(json.is_object());
    validate_twice("config", &ty.config, None);
    for spec in ty.commands.values() {
        // Effects were checked against the state's rules at load time.
        let effect = serde_json::Value::Object(spec.effect.clone().into_iter().collect());
        let _ = crate::agents::hardware::validate_object("state", &ty.state, Some(&effect));
    }
}
