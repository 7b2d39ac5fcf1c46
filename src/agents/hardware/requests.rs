//! The request handlers, one per request channel (the table in
//! [`channels`](super::channels) routes to them). Each parses and checks
//! its body, then answers at once or submits a job to an adapter thread;
//! nothing reaches a radio before the request has been validated.

use std::time::Duration;

use serde_json::{Value, json};

use super::adapter::{Pairing, Radio};
use super::api::{
    AdaptersRequest, ApiError, CommandRequest, ConfigureRequest, DescribeRequest, Device,
    DevicesRequest, DiscoverRequest, RegisterRequest, StateRequest, TypesRequest, check_name,
    parse,
};
use super::bridge::{DiscoverGroup, HardwareBridge, Purpose};
use super::out::{Answer, Out};
use super::schema::DeviceType;
use super::validate::validate_object;
use super::worker::AdapterJob;
use crate::bevy::FromRemote;

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

impl HardwareBridge {
    /// Starts a discovery on one radio or all; `reply` is answered once
    /// every radio has answered or failed. With `register`, what is found
    /// is registered when defaults fill its configuration.
    pub(super) fn start_discover(
        &mut self,
        request: DiscoverRequest,
        reply: Option<FromRemote>,
        register: bool,
    ) -> Result<(), ApiError> {
        let radios: Vec<Radio> = match request.radio {
            Some(radio) if self.adapters.contains_key(&radio) => vec![radio],
            Some(radio) => {
                return Err(ApiError::new(
                    "adapter_unavailable",
                    format!("no {radio} adapter is enabled"),
                ));
            }
            None => self.adapters.keys().copied().collect(),
        };
        let timeout = request
            .timeout_ms
            .map_or(self.timeouts.discover, Duration::from_millis)
            .clamp(Duration::from_millis(1), Duration::from_secs(60));
        let group = self.next_op;
        self.next_op += 1;
        let mut submitted = 0;
        let mut errors = Vec::new();
        for radio in radios {
            let purpose = Purpose::Discover { group };
            match self.submit(radio, timeout, AdapterJob::Discover, None, purpose) {
                Ok(()) => submitted += 1,
                Err(e) => {
                    errors.push(json!({"radio": radio, "code": e.code, "message": e.message}))
                }
            }
        }
        if submitted == 0 {
            let message = errors
                .first()
                .and_then(|first| first["message"].as_str())
                .unwrap_or("no adapter took the discovery");
            return Err(ApiError::new("adapter_unavailable", message));
        }
        let group_state = DiscoverGroup {
            reply,
            waiting: submitted,
            found: Default::default(),
            errors,
            register,
        };
        self.groups.insert(group, group_state);
        Ok(())
    }

    pub(super) fn start_register(
        &mut self,
        request: RegisterRequest,
        reply: Option<FromRemote>,
    ) -> Result<(), ApiError> {
        let device = self.known(&request.device)?;
        let ty = self.device_type(device)?;
        let config = validate_object("config", &ty.config, request.config.as_ref())
            .map_err(|e| ApiError::validation("invalid_config", e).device(&device.id))?;
        let name = match request.name {
            Some(name) => {
                check_name(&name).map_err(|e| e.device(&device.id))?;
                name
            }
            None => device
                .name
                .clone()
                .unwrap_or_else(|| default_name(&ty.name, &device.address)),
        };
        let pairing = Pairing {
            address: device.address.clone(),
            type_id: device.type_id.clone(),
            config: config.clone(),
            last_state: None,
        };
        let (radio, id) = (device.radio, device.id.clone());
        let purpose = Purpose::Register {
            device: id.clone(),
            name,
            config,
        };
        let job = AdapterJob::Pair(pairing);
        self.submit(radio, self.timeouts.pair, job, reply, purpose)
            .map_err(|e| e.device(id))
    }

    pub(super) fn start_command(
        &mut self,
        request: CommandRequest,
        reply: Option<FromRemote>,
    ) -> Result<(), ApiError> {
        let device = self.registered(&request.device)?;
        let ty = self.device_type(device)?;
        let Some(spec) = ty.command(&request.command) else {
            let names: Vec<&str> = ty.commands.keys().map(String::as_str).collect();
            return Err(ApiError::new(
                "unknown_command",
                format!(
                    "a {} has no command {:?} (commands: {})",
                    ty.id,
                    request.command,
                    names.join(", ")
                ),
            )
            .device(&device.id));
        };
        let payload = validate_object("payload", &spec.payload, request.payload.as_ref())
            .map_err(|e| ApiError::validation("invalid_payload", e).device(&device.id))?;
        let job = AdapterJob::Command {
            address: device.address.clone(),
            command: request.command.clone(),
            payload,
        };
        let (radio, id) = (device.radio, device.id.clone());
        let purpose = Purpose::Command {
            device: id.clone(),
            command: request.command,
        };
        self.submit(radio, self.timeouts.command, job, reply, purpose)
            .map_err(|e| e.device(id))
    }
}

/// A name for a device registered without one: its type and the end of
/// its address, enough to tell two of a kind apart.
fn default_name(type_name: &str, address: &str) -> String {
    let alphanumeric: Vec<char> = address
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let tail: String = alphanumeric[alphanumeric.len().saturating_sub(4)..]
        .iter()
        .collect();
    format!("{type_name} {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_use_the_end_of_the_address() {
        assert_eq!(
            default_name("Dimmable bulb", "00124b00a1b2c3d4"),
            "Dimmable bulb c3d4"
        );
        assert_eq!(default_name("Switch", "a4:cf:12:00:10:01"), "Switch 1001");
        assert_eq!(default_name("Switch", "7"), "Switch 7");
    }
}
