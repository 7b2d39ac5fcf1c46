//! Simulated dongles: one per radio, each with a deterministic set of
//! virtual devices (from a seed) that answer like real ones, after a
//! configurable latency, failing now and then at a configurable rate.
//! A [`SimControl`] lets tests and tools make a dongle stop answering,
//! force failures or change the latency while it runs.

mod devices;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::agents::hardware::adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
use crate::agents::hardware::schema::{DeviceType, DeviceTypes};
use devices::{Rng, drift, initial_state, mac, short};

/// How the simulated dongles behave.
#[derive(Debug, Clone)]
pub struct SimulationConfig {
    /// Same seed, same devices (addresses, types, first readings).
    pub seed: u64,
    /// Time each radio exchange takes.
    pub latency: Duration,
    /// Up to this much is added to the latency, at random.
    pub jitter: Duration,
    /// Share of device exchanges that fail as if the radio lost the frame
    /// (0.0 to 1.0).
    pub failure_rate: f64,
    /// Devices per radio beyond one of each type the radio supports.
    pub extra_devices: usize,
    /// How often paired sensors report new readings.
    pub report_interval: Duration,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            latency: Duration::from_millis(25),
            jitter: Duration::from_millis(15),
            failure_rate: 0.01,
            extra_devices: 1,
            report_interval: Duration::from_secs(5),
        }
    }
}

#[derive(Debug)]
struct DongleSettings {
    answering: AtomicBool,
    failure_ppm: AtomicU32,
    fail_next: AtomicU32,
    latency_us: AtomicU64,
    jitter_us: AtomicU64,
}

/// Changes a running simulated dongle's behaviour; clones share the dongle.
#[derive(Debug, Clone)]
pub struct SimControl(Arc<DongleSettings>);

impl SimControl {
    fn new(config: &SimulationConfig) -> Self {
        let control = Self(Arc::new(DongleSettings {
            answering: AtomicBool::new(true),
            failure_ppm: AtomicU32::new(0),
            fail_next: AtomicU32::new(0),
            latency_us: AtomicU64::new(0),
            jitter_us: AtomicU64::new(0),
        }));
        control.set_failure_rate(config.failure_rate);
        control.set_latency(config.latency, config.jitter);
        control
    }

    /// Makes the dongle go silent (`false`): every exchange then waits out
    /// its timeout and fails with a timeout, as with an unplugged or hung
    /// dongle. `true` brings it back.
    pub fn set_answering(&self, answering: bool) {
        self.0.answering.store(answering, Ordering::Release);
    }

    /// Whether the dongle answers.
    pub fn is_answering(&self) -> bool {
        self.0.answering.load(Ordering::Acquire)
    }

    /// Share of device exchanges that fail (clamped to 0.0..=1.0).
    pub fn set_failure_rate(&self, rate: f64) {
        let rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.0
            .failure_ppm
            .store((rate * 1_000_000.0) as u32, Ordering::Release);
    }

    /// Makes the next `n` device exchanges fail, whatever the rate.
    pub fn fail_next(&self, n: u32) {
        self.0.fail_next.store(n, Ordering::Release);
    }

    /// Time each exchange takes, plus up to `jitter` more.
    pub fn set_latency(&self, latency: Duration, jitter: Duration) {
        let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.0.latency_us.store(us(latency), Ordering::Release);
        self.0.jitter_us.store(us(jitter), Ordering::Release);
    }
}

#[derive(Debug, Clone)]
struct VirtualDevice {
    found: FoundDevice,
    ty: Arc<DeviceType>,
    state: Object,
    config: Object,
    paired: bool,
    next_report: Instant,
}

/// A simulated dongle for one radio.
#[derive(Debug)]
pub struct SimulatedDongle {
    radio: Radio,
    devices: BTreeMap<String, VirtualDevice>,
    rng: Rng,
    control: SimControl,
    report_interval: Duration,
}

impl SimulatedDongle {
    /// A dongle for `radio` with one virtual device of each type in `types`
    /// that the radio supports, plus `config.extra_devices` more, all
    /// derived from `config.seed`.
    pub fn new(radio: Radio, types: &DeviceTypes, config: &SimulationConfig) -> Self {
        let salt = match radio {
            Radio::Zigbee => 0x5a16,
            Radio::Zwave => 0x2a7e,
            Radio::Wifi => 0x3f1f,
            Radio::Bluetooth => 0xb1e7,
            Radio::Plugin => 0x9106,
        };
        let mut rng = Rng(config.seed ^ (salt << 32));
        let available: Vec<Arc<DeviceType>> = types.for_radio(radio).cloned().collect();
        let mut kinds = available.clone();
        for _ in 0..config.extra_devices {
            if available.is_empty() {
                break;
            }
            kinds.push(available[rng.below(available.len() as u64) as usize].clone());
        }
        let mut devices = BTreeMap::new();
        let mut next_node = 2u64;
        for ty in kinds {
            let address = loop {
                let address = match radio {
                    Radio::Zigbee => format!("00124b00{:08x}", rng.next_u64() as u32),
                    Radio::Zwave => {
                        next_node += 1 + rng.below(3);
                        next_node.to_string()
                    }
                    Radio::Wifi => mac("a4:cf:12", &mut rng),
                    Radio::Bluetooth => mac("c4:7c:8d", &mut rng),
                    Radio::Plugin => format!("sim.{:08x}", rng.next_u64() as u32),
                };
                if !devices.contains_key(&address) {
                    break address;
                }
            };
            let state = initial_state(&ty, &mut rng);
            let found = FoundDevice {
                address: address.clone(),
                type_id: ty.id.clone(),
                manufacturer: "Switchboard Simulations".to_owned(),
                model: format!("SIM-{}-{}", short(radio), ty.id.to_uppercase()),
            };
            devices.insert(
                address,
                VirtualDevice {
                    found,
                    ty,
                    state,
                    config: Object::new(),
                    paired: false,
                    next_report: Instant::now(),
                },
            );
        }
        Self {
            radio,
            devices,
            rng,
            control: SimControl::new(config),
            report_interval: config.report_interval.max(Duration::from_millis(10)),
        }
    }

    /// The handle that changes this dongle's behaviour while it runs.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// The virtual devices, as discovery would report them.
    pub fn devices(&self) -> Vec<FoundDevice> {
        self.devices.values().map(|d| d.found.clone()).collect()
    }

    /// Waits like a radio exchange; `Err(Timeout)` when the dongle is
    /// silent (after waiting out the whole timeout, as a real one would).
    fn exchange(&mut self, timeout: Duration) -> Result<(), AdapterError> {
        if !self.control.is_answering() {
            std::thread::sleep(timeout);
            return Err(AdapterError::Timeout(timeout));
        }
        let latency = self.control.0.latency_us.load(Ordering::Acquire);
        let jitter = self.control.0.jitter_us.load(Ordering::Acquire);
        let wait = Duration::from_micros(latency.saturating_add(self.rng.below(jitter + 1)));
        if wait > timeout {
            std::thread::sleep(timeout);
            return Err(AdapterError::Timeout(timeout));
        }
        std::thread::sleep(wait);
        Ok(())
    }

    /// An exchange with one device: may fail like a lost frame.
    fn device_exchange(&mut self, address: &str, timeout: Duration) -> Result<(), AdapterError> {
        if !self.devices.contains_key(address) {
            // The radio still tries before it gives up.
            self.exchange(timeout)?;
            return Err(AdapterError::UnknownAddress(address.to_owned()));
        }
        self.exchange(timeout)?;
        let forced = self
            .control
            .0
            .fail_next
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        let ppm = self.control.0.failure_ppm.load(Ordering::Acquire);
        if forced || (ppm > 0 && self.rng.below(1_000_000) < u64::from(ppm)) {
            return Err(AdapterError::Device(format!(
                "no acknowledgement from {address} (simulated radio loss)"
            )));
        }
        Ok(())
    }

    fn paired(&mut self, address: &str) -> Result<&mut VirtualDevice, AdapterError> {
        match self.devices.get_mut(address) {
            Some(device) if device.paired => Ok(device),
            Some(_) => Err(AdapterError::NotPaired(address.to_owned())),
            None => Err(AdapterError::UnknownAddress(address.to_owned())),
        }
    }
}

impl Adapter for SimulatedDongle {
    fn info(&self) -> AdapterInfo {
        let radio = match self.radio {
            Radio::Zigbee => "Zigbee",
            Radio::Zwave => "Z-Wave",
            Radio::Wifi => "Wi-Fi",
            Radio::Bluetooth => "Bluetooth",
            Radio::Plugin => "plugin",
        };
        AdapterInfo {
            radio: self.radio,
            name: format!("Simulated {radio} dongle"),
            port: "simulated".to_owned(),
            simulated: true,
            firmware: Some(format!("sim-{}", env!("CARGO_PKG_VERSION"))),
        }
    }

    fn start(&mut self, timeout: Duration) -> Result<(), AdapterError> {
        self.exchange(timeout)
    }

    fn stop(&mut self, _timeout: Duration) -> Result<(), AdapterError> {
        // Closing a port needs no answer from the dongle.
        Ok(())
    }

    fn discover(&mut self, timeout: Duration) -> Result<Vec<FoundDevice>, AdapterError> {
        // A scan takes a few exchanges.
        for _ in 0..3 {
            self.exchange(timeout)?;
        }
        Ok(self.devices())
    }

    fn pair(&mut self, pairing: &Pairing, timeout: Duration) -> Result<Object, AdapterError> {
        self.device_exchange(&pairing.address, timeout)?;
        let interval = self.report_interval;
        let Some(device) = self.devices.get_mut(&pairing.address) else {
            return Err(AdapterError::UnknownAddress(pairing.address.clone()));
        };
        if device.found.type_id != pairing.type_id {
            return Err(AdapterError::Unsupported(format!(
                "{} is a {}, not a {}",
                pairing.address, device.found.type_id, pairing.type_id
            )));
        }
        if let Some(last) = &pairing.last_state {
            for (name, value) in last {
                if device.ty.state.contains_key(name) {
                    device.state.insert(name.clone(), value.clone());
                }
            }
        }
        device.config = pairing.config.clone();
        device.paired = true;
        device.next_report = Instant::now() + interval;
        Ok(device.state.clone())
    }

    fn command(
        &mut self,
        address: &str,
        command: &str,
        payload: &Object,
        timeout: Duration,
    ) -> Result<Object, AdapterError> {
        self.paired(address)?;
        self.device_exchange(address, timeout)?;
        let mut rng = self.rng.clone();
        let device = self.paired(address)?;
        let ty = device.ty.clone();
        let Some(spec) = ty.command(command) else {
            return Err(AdapterError::Unsupported(format!(
                "a {} has no command {command:?}",
                ty.id
            )));
        };
        for (name, value) in &spec.effect {
            device.state.insert(name.clone(), value.clone());
        }
        for name in &spec.toggle {
            let on = device
                .state
                .get(name)
                .and_then(Value::as_bool)
                .unwrap_or(false);
            device.state.insert(name.clone(), Value::Bool(!on));
        }
        for (name, value) in payload {
            if ty.state.contains_key(name) {
                device.state.insert(name.clone(), value.clone());
            }
        }
        drift(&ty, &mut device.state, &mut rng);
        let state = device.state.clone();
        self.rng = rng;
        Ok(state)
    }

    fn read_state(&mut self, address: &str, timeout: Duration) -> Result<Object, AdapterError> {
        self.paired(address)?;
        self.device_exchange(address, timeout)?;
        Ok(self.paired(address)?.state.clone())
    }

    fn configure(
        &mut self,
        address: &str,
        config: &Object,
        timeout: Duration,
    ) -> Result<(), AdapterError> {
        self.paired(address)?;
        self.device_exchange(address, timeout)?;
        self.paired(address)?.config = config.clone();
        Ok(())
    }

    fn poll_events(&mut self) -> Vec<AdapterEvent> {
        if !self.control.is_answering() {
            return Vec::new();
        }
        let now = Instant::now();
        let mut events = Vec::new();
        for device in self.devices.values_mut() {
            if !device.paired || now < device.next_report {
                continue;
            }
            let interval = device
                .config
                .get("report_interval_s")
                .and_then(Value::as_u64)
                .map(Duration::from_secs)
                .map_or(self.report_interval, |d| d.min(self.report_interval));
            device.next_report = now + interval;
            let changes = drift(&device.ty, &mut device.state, &mut self.rng);
            if !changes.is_empty() {
                events.push(AdapterEvent::StateChanged {
                    address: device.found.address.clone(),
                    changes,
                });
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> SimulationConfig {
        SimulationConfig {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            failure_rate: 0.0,
            ..SimulationConfig::default()
        }
    }

    #[test]
    fn same_seed_same_devices() {
        let types = DeviceTypes::builtin();
        for radio in Radio::ALL {
            let a = SimulatedDongle::new(radio, &types, &quiet()).devices();
            let b = SimulatedDongle::new(radio, &types, &quiet()).devices();
            assert_eq!(a, b);
            let expected = types.for_radio(radio).count() + 1;
            assert_eq!(a.len(), expected, "{radio}");
            for t in types.for_radio(radio) {
                assert!(
                    a.iter().any(|d| d.type_id == t.id),
                    "{radio} lacks {}",
                    t.id
                );
            }
        }
        let other = SimulationConfig { seed: 7, ..quiet() };
        assert_ne!(
            SimulatedDongle::new(Radio::Zigbee, &types, &quiet()).devices(),
            SimulatedDongle::new(Radio::Zigbee, &types, &other).devices()
        );
    }

    #[test]
    fn commands_change_state_and_failures_can_be_forced() {
        let types = DeviceTypes::builtin();
        let mut dongle = SimulatedDongle::new(Radio::Zigbee, &types, &quiet());
        let bulb = dongle
            .devices()
            .into_iter()
            .find(|d| d.type_id == "bulb")
            .unwrap();
        let t = Duration::from_secs(1);
        let none = Object::new();
        assert_eq!(
            dongle.command(&bulb.address, "turn_on", &none, t),
            Err(AdapterError::NotPaired(bulb.address.clone()))
        );
        dongle
            .pair(
                &Pairing {
                    address: bulb.address.clone(),
                    type_id: "bulb".into(),
                    config: Object::new(),
                    last_state: None,
                },
                t,
            )
            .unwrap();
        let state = dongle.command(&bulb.address, "turn_on", &none, t).unwrap();
        assert_eq!(state["on"], Value::Bool(true));
        let mut payload = Object::new();
        payload.insert("brightness".into(), Value::from(30));
        let state = dongle
            .command(&bulb.address, "set_brightness", &payload, t)
            .unwrap();
        assert_eq!(state["brightness"], Value::from(30));
        let state = dongle.command(&bulb.address, "toggle", &none, t).unwrap();
        assert_eq!(state["on"], Value::Bool(false));

        dongle.control().fail_next(1);
        assert!(matches!(
            dongle.command(&bulb.address, "turn_on", &none, t),
            Err(AdapterError::Device(_))
        ));
        assert!(dongle.command(&bulb.address, "turn_on", &none, t).is_ok());

        dongle.control().set_answering(false);
        let started = Instant::now();
        assert_eq!(
            dongle.read_state(&bulb.address, Duration::from_millis(30)),
            Err(AdapterError::Timeout(Duration::from_millis(30)))
        );
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
