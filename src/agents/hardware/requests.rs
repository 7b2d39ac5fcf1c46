//! The request handlers, one per request channel (the table in
//! [`channels`](super::channels) routes to them). Each parses and checks
//! its body, then answers at once or submits a job to an adapter thread;
//! nothing reaches a radio before the request has been validated.

use serde_json::{Value, json};

use super::api::{
    AdaptersRequest, ApiError, CommandRequest, ConfigureRequest, DescribeRequest, Device,
    DevicesRequest, DiscoverRequest, RegisterRequest, StateRequest, TypesRequest, check_name,
    parse,
};
use super::bridge::{HardwareBridge, Purpose};
use super::out::{Answer, Out};
use super::schema::DeviceType;
use super::worker::AdapterJob;
use crate::bevy::FromRemote;
use crate::fields::validate_object;

/// `hardware/adapters`.
pub(super) fn adapters(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    parse::<AdaptersRequest>(message.content())?;
    Ok(Answer::Now(json!({ "adapters": bridge.adapters() })))
}

/// `hardware/devices`.
pub(super) fn devices(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<DevicesRequest>(message.content())?;
    let devices: Vec<&Device> = bridge
        .devices
        .values()
        .filter(|d| request.registered.is_none_or(|reg| d.registered == reg))
        .filter(|d| request.radio.is_none_or(|radio| d.radio == radio))
        .collect();
    Ok(Answer::Now(json!({ "devices": devices })))
}

/// `hardware/types`.
pub(super) fn types(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<TypesRequest>(message.content())?;
    match request.id {
        None => {
            let types: Vec<&DeviceType> = bridge.types.iter().map(|t| t.as_ref()).collect();
            Ok(Answer::Now(json!({ "types": types })))
        }
        Some(id) => match bridge.types.get(&id) {
            Some(ty) => Ok(Answer::Now(json!({ "type": ty.as_ref() }))),
            None => Err(ApiError::new(
                "unknown_type",
                format!("no device type {id:?} is loaded"),
            )),
        },
    }
}

/// `hardware/discover`.
pub(super) fn discover(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<DiscoverRequest>(message.content())?;
    bridge.start_discover(request, Some(message.clone()), false)?;
    Ok(Answer::Later)
}

/// `hardware/register`.
pub(super) fn register(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<RegisterRequest>(message.content())?;
    bridge.start_register(request, Some(message.clone()))?;
    Ok(Answer::Later)
}

/// `hardware/command`.
pub(super) fn command(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<CommandRequest>(message.content())?;
    bridge.start_command(request, Some(message.clone()))?;
    Ok(Answer::Later)
}

/// `hardware/state`.
pub(super) fn state(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<StateRequest>(message.content())?;
    let device = bridge.registered(&request.device)?;
    if request.cached {
        return Ok(Answer::Now(json!({
            "device": device.id,
            "state": device.state,
            "cached": true,
        })));
    }
    let job = AdapterJob::ReadState {
        address: device.address.clone(),
    };
    let (radio, id) = (device.radio, device.id.clone());
    let purpose = Purpose::State { device: id.clone() };
    let timeout = bridge.timeouts.state;
    bridge
        .submit(radio, timeout, job, Some(message.clone()), purpose)
        .map_err(|e| e.device(id))?;
    Ok(Answer::Later)
}

/// `hardware/configure`: a rename alone is answered at once; a new
/// configuration goes to the device first.
pub(super) fn configure(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<ConfigureRequest>(message.content())?;
    let device = bridge.registered(&request.device)?;
    let ty = bridge.device_type(device)?;
    let name = match request.name {
        Some(name) => {
            check_name(&name).map_err(|e| e.device(&device.id))?;
            name
        }
        None => device.name.clone().unwrap_or_default(),
    };
    let Some(patch) = request.config else {
        // A rename only: nothing to tell the device.
        let (id, config) = (device.id.clone(), device.config.clone());
        bridge.settled_settings(&id, name, config, out);
        return Ok(Answer::Now(json!({ "device": bridge.devices.get(&id) })));
    };
    let Value::Object(patch) = patch else {
        return Err(
            ApiError::new("invalid_config", "config: must be a JSON object").device(&device.id),
        );
    };
    let mut merged = Value::Object(device.config.clone());
    for (key, value) in patch {
        if value.is_null() {
            merged.as_object_mut().map(|m| m.remove(&key));
        } else {
            merged[key] = value;
        }
    }
    let config = validate_object("config", &ty.config, Some(&merged))
        .map_err(|e| ApiError::validation("invalid_config", e).device(&device.id))?;
    let job = AdapterJob::Configure {
        address: device.address.clone(),
        config: config.clone(),
    };
    let (radio, id) = (device.radio, device.id.clone());
    let purpose = Purpose::Configure {
        device: id.clone(),
        name,
        config,
    };
    let timeout = bridge.timeouts.configure;
    bridge
        .submit(radio, timeout, job, Some(message.clone()), purpose)
        .map_err(|e| e.device(id))?;
    Ok(Answer::Later)
}

/// `hardware/describe`.
pub(super) fn describe(
    bridge: &mut HardwareBridge,
    message: &FromRemote,
    _out: &mut Out,
) -> Result<Answer, ApiError> {
    let request = parse::<DescribeRequest>(message.content())?;
    bridge.describe(&request.device).map(Answer::Now)
}
