//! Starting jobs on the adapter threads: discoveries, registrations,
//! commands and the re-attaching of registered devices, for requests, game
//! code and start-up alike. Apart from the request handlers because results
//! start registrations too (what a start-up discovery found), and results
//! sit below the handlers.

use std::time::Duration;

use serde_json::{Value, json};

use super::adapter::{Pairing, Radio};
use super::api::{ApiError, CommandRequest, Device, DiscoverRequest, RegisterRequest, check_name};
use super::bridge::{DiscoverGroup, HardwareBridge, Purpose};
use super::out::Out;
use super::worker::AdapterJob;
use crate::bevy::FromRemote;
use crate::fields::validate_object;

impl HardwareBridge {
    /// Sends a validated command from game code; the outcome arrives as a
    /// [`HardwareEvent::Changed`](super::HardwareEvent::Changed) or
    /// [`HardwareEvent::Error`](super::HardwareEvent::Error).
    pub fn command(&mut self, device: &str, command: &str, payload: Value) -> Result<(), ApiError> {
        let request = CommandRequest {
            device: device.to_owned(),
            command: command.to_owned(),
            payload: Some(payload),
        };
        self.start_command(request, None)
    }

    /// Starts a discovery on every radio from game code; new devices arrive
    /// as [`HardwareEvent::Discovered`](super::HardwareEvent::Discovered).
    pub fn discover(&mut self) -> Result<(), ApiError> {
        self.start_discover(DiscoverRequest::default(), None, false)
    }

    /// Loads the registry and re-attaches every registered device.
    pub(super) fn restore(&mut self, out: &mut Out) {
        let loaded = self.registry().load_all();
        let stored = match loaded {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!("hardware bridge: cannot read the registry: {e}");
                self.registry_error = Some(e.to_string());
                return;
            }
        };
        for d in stored {
            let type_name = self
                .types
                .get(&d.type_id)
                .map_or_else(|| "unknown type".to_owned(), |t| t.name.clone());
            let device = Device {
                id: d.id.clone(),
                radio: d.radio,
                address: d.address.clone(),
                type_id: d.type_id.clone(),
                type_name,
                manufacturer: d.manufacturer,
                model: d.model,
                name: Some(d.name),
                registered: true,
                available: false,
                config: d.config.clone(),
                state: d.state.clone(),
            };
            self.devices.insert(d.id.clone(), device);
            if d.radio == Radio::Plugin {
                // Not there until its plugin lists it again, which marks it
                // available; asking the proxy now would only fail.
                continue;
            }
            let pairing = Pairing {
                address: d.address,
                type_id: d.type_id,
                config: d.config,
                last_state: Some(d.state),
            };
            let purpose = Purpose::Restore {
                device: d.id.clone(),
            };
            let job = AdapterJob::Pair(pairing);
            if let Err(e) = self.submit(d.radio, self.timeouts.pair, job, None, purpose) {
                self.error_event(d.radio, Some(&d.id), &e, out);
            }
        }
    }

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
