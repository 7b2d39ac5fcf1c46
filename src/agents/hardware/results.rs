//! What comes back from the adapter threads: job results answer their
//! requests and update devices, unsolicited events become changes and
//! errors, overdue jobs are answered with a timeout, and the adapters'
//! status follows what each result says about its radio.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::adapter::{AdapterError, AdapterEvent, FoundDevice, Object, Radio};
use super::api::{ApiError, ChangeCause, Device, RegisterRequest, device_id};
use super::bridge::{AdapterStatus, HardwareBridge, Purpose};
use super::events::HardwareEvent;
use super::out::{Event, Out};
use super::registry::StoredDevice;
use super::worker::{OpId, Outcome, Output};
use crate::bevy::FromRemote;
use crate::fields::{check_value, validate_object};

/// How long a timed-out job is remembered, so a late result can still
/// update the device's state.
const LATE_RESULTS: Duration = Duration::from_secs(30);

/// Results drained per adapter per frame, so a flood cannot stall a frame.
const OUTPUTS_PER_FRAME: usize = 256;

impl HardwareBridge {
    /// Takes in what the adapter threads reported, then times out what is
    /// overdue.
    pub(super) fn drain(&mut self, out: &mut Out) {
        let mut outputs = Vec::new();
        for (radio, slot) in &self.adapters {
            for _ in 0..OUTPUTS_PER_FRAME {
                match slot.worker.try_output() {
                    Some(output) => outputs.push((*radio, output)),
                    None => break,
                }
            }
        }
        for (radio, output) in outputs {
            match output {
                Output::Started(Ok(info)) => {
                    if let Some(slot) = self.adapters.get_mut(&radio)
                        && slot.worker.set_info(info)
                    {
                        self.status_dirty = true;
                    }
                    self.set_status(radio, AdapterStatus::Running, None);
                }
                Output::Started(Err(e)) => {
                    self.set_status(radio, AdapterStatus::Failed, Some(e.to_string()));
                    let error =
                        ApiError::new(e.code(), format!("{radio} adapter did not start: {e}"));
                    self.error_event(radio, None, &error, out);
                }
                Output::Event(event) => self.adapter_event(radio, event, out),
                Output::Finished { op, result } => self.finish(radio, op, result, out),
            }
        }
        self.expire(Instant::now(), out);
        if self.status_dirty && self.event_channels.is_some() {
            self.status_dirty = false;
            let body = json!({ "adapters": self.adapters() });
            self.publish(Event::AdapterStatus, &body, out);
        }
    }

    fn set_status(&mut self, radio: Radio, status: AdapterStatus, error: Option<String>) {
        if let Some(slot) = self.adapters.get_mut(&radio)
            && (slot.status != status || slot.error != error)
        {
            slot.status = status;
            slot.error = error;
            self.status_dirty = true;
        }
    }

    fn expire(&mut self, now: Instant, out: &mut Out) {
        let overdue: Vec<OpId> = self
            .jobs
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(op, _)| *op)
            .collect();
        for op in overdue {
            let Some(pending) = self.jobs.get_mut(&op) else {
                continue;
            };
            if pending.expired {
                self.jobs.remove(&op);
                continue;
            }
            pending.expired = true;
            pending.deadline = now + LATE_RESULTS;
            let (radio, timeout) = (pending.radio, pending.timeout);
            let reply = pending.reply.take();
            let purpose = pending.purpose.clone();
            let error = AdapterError::Timeout(timeout);
            self.set_status(radio, AdapterStatus::NotAnswering, Some(error.to_string()));
            self.fail(radio, reply, &purpose, &error, out);
        }
    }

    fn adapter_event(&mut self, radio: Radio, event: AdapterEvent, out: &mut Out) {
        match event {
            AdapterEvent::Discovered(found) => {
                self.found(radio, vec![found], out);
            }
            AdapterEvent::StateChanged { address, changes } => {
                let id = device_id(radio, &address);
                if self.devices.contains_key(&id) {
                    self.apply_state(&id, changes, ChangeCause::Report, out);
                } else {
                    tracing::debug!("hardware bridge: report from unknown device {id}");
                }
            }
            AdapterEvent::Availability { address, available } => {
                let id = device_id(radio, &address);
                self.set_available(&id, available, out);
            }
            AdapterEvent::Error { address, error } => {
                let id = address.map(|a| device_id(radio, &a));
                if id.is_none() && error.is_adapter_failure() {
                    self.set_status(radio, AdapterStatus::Failed, Some(error.to_string()));
                }
                let api = ApiError::new(error.code(), format!("{radio} adapter: {error}"));
                self.error_event(radio, id.as_deref(), &api, out);
            }
        }
    }

    fn finish(
        &mut self,
        radio: Radio,
        op: OpId,
        result: Result<Outcome, AdapterError>,
        out: &mut Out,
    ) {
        let Some(mut pending) = self.jobs.remove(&op) else {
            return;
        };
        let (status, error) = status_after(&result);
        self.set_status(radio, status, error);
        let reply = pending.reply.take();
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                if !pending.expired {
                    self.fail(radio, reply, &pending.purpose, &e, out);
                }
                return;
            }
        };
        match (pending.purpose, outcome) {
            (Purpose::Discover { group }, Outcome::Found(found)) => {
                let ids = self.found(radio, found, out);
                if let Some(g) = self.groups.get_mut(&group) {
                    g.found.extend(ids);
                    g.waiting = g.waiting.saturating_sub(1);
                }
                self.finish_group(group, out);
            }
            (
                Purpose::Register {
                    device,
                    name,
                    config,
                },
                Outcome::State(state),
            ) => {
                let Some(d) = self.devices.get_mut(&device) else {
                    return;
                };
                d.registered = true;
                d.available = true;
                d.name = Some(name);
                d.config = config;
                d.state = Object::new();
                let stored = stored(d);
                if let Err(e) = self.registry().upsert(&stored) {
                    tracing::error!("hardware bridge: {e}");
                }
                self.apply_state(&device, state, ChangeCause::Register, out);
                if let Some(message) = reply {
                    out.reply(&message, &json!({ "device": self.devices.get(&device) }));
                }
            }
            (Purpose::Restore { device }, Outcome::State(state)) => {
                if let Some(d) = self.devices.get_mut(&device) {
                    d.available = true;
                }
                self.apply_state(&device, state, ChangeCause::Restore, out);
            }
            (Purpose::Command { device, command }, Outcome::State(state)) => {
                self.apply_state(&device, state, ChangeCause::Command, out);
                if let (Some(message), Some(d)) = (reply, self.devices.get(&device)) {
                    let body = json!({ "device": device, "command": command, "state": d.state });
                    out.reply(&message, &body);
                }
            }
            (Purpose::State { device }, Outcome::State(state)) => {
                self.apply_state(&device, state, ChangeCause::Read, out);
                if let (Some(message), Some(d)) = (reply, self.devices.get(&device)) {
                    let body = json!({ "device": device, "state": d.state, "cached": false });
                    out.reply(&message, &body);
                }
            }
            (
                Purpose::Configure {
                    device,
                    name,
                    config,
                },
                Outcome::Done,
            ) => {
                self.settled_settings(&device, name, config, out);
                if let Some(message) = reply {
                    out.reply(&message, &json!({ "device": self.devices.get(&device) }));
                }
            }
            (purpose, outcome) => {
                tracing::error!(
                    "hardware bridge: {radio} adapter answered {purpose:?} with {outcome:?}"
                );
                if let Some(message) = reply {
                    let error = ApiError::new("adapter_error", "the adapter gave a wrong answer");
                    out.reply_error(&message, &error);
                }
            }
        }
    }

    /// Answers a failed job and reports adapter-side failures.
    fn fail(
        &mut self,
        radio: Radio,
        reply: Option<FromRemote>,
        purpose: &Purpose,
        error: &AdapterError,
        out: &mut Out,
    ) {
        let device = match purpose {
            Purpose::Discover { .. } => None,
            Purpose::Register { device, .. }
            | Purpose::Restore { device }
            | Purpose::Command { device, .. }
            | Purpose::State { device }
            | Purpose::Configure { device, .. } => Some(device.clone()),
        };
        let what = match purpose {
            Purpose::Discover { .. } => "discovery".to_owned(),
            Purpose::Register { .. } => "registration".to_owned(),
            Purpose::Restore { .. } => "restore".to_owned(),
            Purpose::Command { command, .. } => format!("command {command:?}"),
            Purpose::State { .. } => "state read".to_owned(),
            Purpose::Configure { .. } => "configuration".to_owned(),
        };
        let subject = device
            .as_deref()
            .map_or_else(String::new, |d| format!(" to {d}"));
        let mut api = ApiError::new(
            error.code(),
            format!("{radio} adapter: {what}{subject} failed: {error}"),
        );
        api.device = device.clone();
        self.error_event(radio, device.as_deref(), &api, out);
        if let Purpose::Restore { device } = purpose
            && let Some(d) = self.devices.get_mut(device)
        {
            d.available = false;
        }
        if let Purpose::Discover { group } = purpose {
            if let Some(g) = self.groups.get_mut(group) {
                g.errors
                    .push(json!({"radio": radio, "code": api.code, "message": api.message}));
                g.waiting = g.waiting.saturating_sub(1);
            }
            self.finish_group(*group, out);
            return;
        }
        if let Some(message) = reply {
            out.reply_error(&message, &api);
        }
    }

    fn finish_group(&mut self, group: u64, out: &mut Out) {
        if self.groups.get(&group).is_none_or(|g| g.waiting > 0) {
            return;
        }
        let Some(g) = self.groups.remove(&group) else {
            return;
        };
        if let Some(message) = g.reply {
            let devices: Vec<&Device> = g
                .found
                .iter()
                .filter_map(|id| self.devices.get(id))
                .collect();
            out.reply(&message, &json!({ "devices": devices, "errors": g.errors }));
        }
        if g.register {
            for id in g.found {
                let Some(device) = self.devices.get(&id) else {
                    continue;
                };
                let defaults_suffice = self
                    .types
                    .get(&device.type_id)
                    .is_some_and(|t| validate_object("config", &t.config, None).is_ok());
                if device.registered || !defaults_suffice {
                    continue;
                }
                let request = RegisterRequest {
                    device: id.clone(),
                    name: None,
                    config: None,
                };
                if let Err(e) = self.start_register(request, None) {
                    tracing::warn!("hardware bridge: cannot register {id}: {e}");
                }
            }
        }
    }

    /// Takes in devices an adapter found; returns their ids.
    fn found(&mut self, radio: Radio, found: Vec<FoundDevice>, out: &mut Out) -> Vec<String> {
        let mut ids = Vec::with_capacity(found.len());
        for f in found {
            let id = device_id(radio, &f.address);
            ids.push(id.clone());
            if let Some(device) = self.devices.get_mut(&id) {
                device.available = true;
                if !device.registered {
                    device.manufacturer = f.manufacturer;
                    device.model = f.model;
                }
                continue;
            }
            let type_name = self
                .types
                .get(&f.type_id)
                .map_or_else(|| "unknown type".to_owned(), |t| t.name.clone());
            let device = Device {
                id: id.clone(),
                radio,
                address: f.address,
                type_id: f.type_id,
                type_name,
                manufacturer: f.manufacturer,
                model: f.model,
                name: None,
                registered: false,
                available: true,
                config: Object::new(),
                state: Object::new(),
            };
            if let Ok(body) = serde_json::to_value(&device) {
                self.publish(Event::Discovered, &body, out);
            }
            out.events.push(HardwareEvent::Discovered(device.clone()));
            self.devices.insert(id, device);
        }
        ids
    }

    /// Merges reported state into a device, keeping only fields its type
    /// declares with values that fit; publishes what changed.
    fn apply_state(&mut self, id: &str, reported: Object, cause: ChangeCause, out: &mut Out) {
        let Some(device) = self.devices.get_mut(id) else {
            return;
        };
        let ty = self.types.get(&device.type_id);
        let mut changes = Object::new();
        for (name, value) in reported {
            let fits = match ty.and_then(|t| t.state.get(&name)) {
                Some(field) => check_value(&name, field, &value).map_err(|e| e.to_string()),
                None => Err(format!("{name}: not a state field")),
            };
            if let Err(e) = fits {
                tracing::debug!("hardware bridge: {id} reported a value that does not fit: {e}");
                continue;
            }
            if device.state.get(&name) != Some(&value) {
                device.state.insert(name.clone(), value.clone());
                changes.insert(name, value);
            }
        }
        let registered = device.registered;
        let state = device.state.clone();
        let settings = matches!(cause, ChangeCause::Register | ChangeCause::Configure)
            .then(|| (device.name.clone(), device.config.clone()));
        if changes.is_empty() && settings.is_none() {
            return;
        }
        if registered
            && !changes.is_empty()
            && let Err(e) = self.registry().set_state(id, &state)
        {
            tracing::error!("hardware bridge: {e}");
        }
        let mut body = json!({
            "device": id,
            "cause": cause,
            "changes": changes,
            "state": state,
        });
        if let Some((name, config)) = settings {
            body["name"] = json!(name);
            body["config"] = Value::Object(config);
        }
        self.publish(Event::Changed, &body, out);
        out.events.push(HardwareEvent::Changed {
            device: id.to_owned(),
            cause,
            changes,
        });
    }

    /// Marks a device reachable or not, and tells subscribers when that
    /// changed.
    fn set_available(&mut self, id: &str, available: bool, out: &mut Out) {
        let Some(device) = self.devices.get_mut(id) else {
            return;
        };
        if device.available == available {
            return;
        }
        device.available = available;
        let body = json!({
            "device": id,
            "cause": ChangeCause::Availability,
            "available": available,
            "changes": {},
            "state": device.state,
        });
        self.publish(Event::Changed, &body, out);
        out.events.push(HardwareEvent::Changed {
            device: id.to_owned(),
            cause: ChangeCause::Availability,
            changes: Object::new(),
        });
    }

    /// Stores a new name and configuration and tells subscribers.
    pub(super) fn settled_settings(
        &mut self,
        id: &str,
        name: String,
        config: Object,
        out: &mut Out,
    ) {
        let Some(device) = self.devices.get_mut(id) else {
            return;
        };
        device.name = Some(name.clone());
        device.config = config.clone();
        if let Err(e) = self.registry().set_settings(id, &name, &config) {
            tracing::error!("hardware bridge: {e}");
        }
        self.apply_state(id, Object::new(), ChangeCause::Configure, out);
    }
}

/// The status a job's result shows its adapter in. Only an answer from
/// the radio shows it running: a job failed because the adapter never
/// started, or lost its port, leaves it failed with the reason.
fn status_after(result: &Result<Outcome, AdapterError>) -> (AdapterStatus, Option<String>) {
    match result {
        Ok(_) => (AdapterStatus::Running, None),
        Err(e @ AdapterError::Timeout(_)) => (AdapterStatus::NotAnswering, Some(e.to_string())),
        // The reason the start failed, as the start's own failure said it.
        Err(AdapterError::NotStarted(why)) => (AdapterStatus::Failed, Some(why.clone())),
        Err(e) if e.is_adapter_failure() => (AdapterStatus::Failed, Some(e.to_string())),
        // The radio answered; a device or the request was the problem.
        Err(_) => (AdapterStatus::Running, None),
    }
}

fn stored(device: &Device) -> StoredDevice {
    StoredDevice {
        id: device.id.clone(),
        radio: device.radio,
        address: device.address.clone(),
        type_id: device.type_id.clone(),
        manufacturer: device.manufacturer.clone(),
        model: device.model.clone(),
        name: device.name.clone().unwrap_or_default(),
        config: device.config.clone(),
        state: device.state.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_answer_from_the_radio_shows_the_adapter_running() {
        let running = (AdapterStatus::Running, None);
        assert_eq!(status_after(&Ok(Outcome::Done)), running);
        for e in [
            AdapterError::Device("no ack".into()),
            AdapterError::UnknownAddress("9".into()),
            AdapterError::NotPaired("9".into()),
            AdapterError::Unsupported("blink".into()),
        ] {
            assert_eq!(status_after(&Err(e)), running);
        }
        let timeout = AdapterError::Timeout(Duration::from_secs(2));
        assert_eq!(
            status_after(&Err(timeout.clone())),
            (AdapterStatus::NotAnswering, Some(timeout.to_string()))
        );
        let why = "I/O error: serial device hung up".to_owned();
        assert_eq!(
            status_after(&Err(AdapterError::NotStarted(why.clone()))),
            (AdapterStatus::Failed, Some(why))
        );
        let lost = AdapterError::Io("the port went away".into());
        assert_eq!(
            status_after(&Err(lost.clone())),
            (AdapterStatus::Failed, Some(lost.to_string()))
        );
        assert_eq!(
            status_after(&Err(AdapterError::Stopped)).0,
            AdapterStatus::Failed
        );
    }
}
