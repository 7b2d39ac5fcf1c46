//! The adapter the bridge sees for every plugin-provided device: it runs
//! on its adapter thread like a radio's, keeps what the plugins listed and
//! reported (handed over by the relay on the game thread), and turns the
//! bridge's commands into calls the relay sends to the plugin, waiting for
//! the answer within the job's timeout. A device's address is
//! `<plugin id>.<device id>`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::super::adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing, Radio,
};
use super::protocol::{AdapterRequest, Changes, ListedDevice, parse_command_answer};

/// Messages from the relay taken in per poll, so a flood cannot keep the
/// adapter thread from its jobs.
const INBOX_PER_POLL: usize = 1024;

/// Events kept for the bridge between polls; past this the oldest state
/// reports are dropped (the next report carries the state again).
const MAX_EVENTS: usize = 4096;

/// What the relay hands the adapter thread.
#[derive(Debug)]
pub(crate) enum ToProxy {
    /// A plugin's device list (checked), in full.
    Devices {
        plugin: String,
        devices: Vec<ListedDevice>,
    },
    /// A plugin's report of changes.
    Changes { plugin: String, changes: Changes },
    /// A plugin's session ended.
    Stopped { plugin: String },
    /// The answer to a call.
    Answer {
        call: u64,
        result: Result<Vec<u8>, String>,
    },
}

/// A request for the relay to send to a plugin's `adapter/command`.
#[derive(Debug)]
pub(crate) struct Call {
    pub id: u64,
    pub plugin: String,
    pub content: Vec<u8>,
    pub timeout: Duration,
}

struct PluginDevices {
    online: bool,
    devices: BTreeMap<String, ListedDevice>,
}

/// The bridge's adapter for plugin-provided devices.
pub(crate) struct PluginProxy {
    inbox: Receiver<ToProxy>,
    calls: Sender<Call>,
    plugins: BTreeMap<String, PluginDevices>,
    events: Vec<AdapterEvent>,
    next_call: u64,
}

fn address(plugin: &str, device: &str) -> String {
    format!("{plugin}.{device}")
}

fn offline(plugin: &str) -> AdapterError {
    AdapterError::Device(format!(
        "plugin {plugin} is not running; its devices are offline"
    ))
}

impl PluginProxy {
    pub(crate) fn new(inbox: Receiver<ToProxy>, calls: Sender<Call>) -> Self {
        Self {
            inbox,
            calls,
            plugins: BTreeMap::new(),
            events: Vec::new(),
            next_call: 1,
        }
    }

    fn push(&mut self, event: AdapterEvent) {
        if self.events.len() >= MAX_EVENTS
            && let Some(index) = self
                .events
                .iter()
                .position(|e| matches!(e, AdapterEvent::StateChanged { .. }))
        {
            self.events.remove(index);
        }
        self.events.push(event);
    }

    fn take_in(&mut self, message: ToProxy) {
        match message {
            ToProxy::Devices { plugin, devices } => self.listed(plugin, devices),
            ToProxy::Changes { plugin, changes } => self.changed(&plugin, changes),
            ToProxy::Stopped { plugin } => {
                let Some(entry) = self.plugins.get_mut(&plugin) else {
                    return;
                };
                entry.online = false;
                let gone: Vec<String> = entry.devices.keys().map(|d| address(&plugin, d)).collect();
                for address in gone {
                    self.push(AdapterEvent::Availability {
                        address,
                        available: false,
                    });
                }
            }
            // An answer nobody waits for any more (its job timed out).
            ToProxy::Answer { .. } => {}
        }
    }

    /// A full list: new and returning devices are announced with their
    /// state, devices no longer listed go offline.
    fn listed(&mut self, plugin: String, devices: Vec<ListedDevice>) {
        let devices: BTreeMap<String, ListedDevice> =
            devices.into_iter().map(|d| (d.id.clone(), d)).collect();
        let previous = self.plugins.insert(
            plugin.clone(),
            PluginDevices {
                online: true,
                devices: devices.clone(),
            },
        );
        if let Some(previous) = previous {
            for id in previous
                .devices
                .keys()
                .filter(|id| !devices.contains_key(*id))
            {
                self.push(AdapterEvent::Availability {
                    address: address(&plugin, id),
                    available: false,
                });
            }
        }
        for device in devices.into_values() {
            let address = address(&plugin, &device.id);
            // Availability first: for a device the bridge knows it tells
            // clients it is back; discovery adds the ones it does not.
            self.push(AdapterEvent::Availability {
                address: address.clone(),
                available: true,
            });
            self.push(AdapterEvent::Discovered(FoundDevice {
                address: address.clone(),
                type_id: device.type_id,
                manufacturer: device.manufacturer,
                model: device.model,
            }));
            if !device.state.is_empty() {
                self.push(AdapterEvent::StateChanged {
                    address,
                    changes: device.state,
                });
            }
        }
    }

    fn changed(&mut self, plugin: &str, changes: Changes) {
        let address = address(plugin, &changes.device);
        let Some(device) = self
            .plugins
            .get_mut(plugin)
            .and_then(|p| p.devices.get_mut(&changes.device))
        else {
            self.push(AdapterEvent::Error {
                address: Some(address.clone()),
                error: AdapterError::UnknownAddress(format!(
                    "{address} (reported on adapter/changes but not listed on adapter/devices)"
                )),
            });
            return;
        };
        device.state.extend(changes.changes.clone());
        self.push(AdapterEvent::StateChanged {
            address,
            changes: changes.changes,
        });
    }

    fn drain_inbox(&mut self) {
        for _ in 0..INBOX_PER_POLL {
            match self.inbox.try_recv() {
                Ok(message) => self.take_in(message),
                Err(_) => break,
            }
        }
    }

    /// The plugin and device of an address, when the plugin lists it and runs.
    fn device(&mut self, address: &str) -> Result<(String, &mut ListedDevice), AdapterError> {
        self.drain_inbox();
        let unknown = || AdapterError::UnknownAddress(address.to_owned());
        let (plugin, id) = address.split_once('.').ok_or_else(unknown)?;
        let entry = self.plugins.get_mut(plugin).ok_or_else(unknown)?;
        if !entry.online {
            return Err(offline(plugin));
        }
        let device = entry.devices.get_mut(id).ok_or_else(unknown)?;
        Ok((plugin.to_owned(), device))
    }

    /// Sends a request to a plugin through the relay and waits for its
    /// answer, taking in what else arrives meanwhile.
    fn call(
        &mut self,
        plugin: &str,
        request: &AdapterRequest,
        timeout: Duration,
    ) -> Result<Vec<u8>, AdapterError> {
        let content = serde_json::to_vec(request)
            .map_err(|e| AdapterError::Device(format!("cannot encode the request: {e}")))?;
        let id = self.next_call;
        self.next_call += 1;
        let call = Call {
            id,
            plugin: plugin.to_owned(),
            content,
            timeout,
        };
        match self.calls.try_send(call) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(AdapterError::Device(
                    "too many requests to plugins waiting; try again later".to_owned(),
                ));
            }
            Err(TrySendError::Disconnected(_)) => return Err(AdapterError::Stopped),
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left) {
                Ok(ToProxy::Answer { call, result }) if call == id => {
                    return result.map_err(AdapterError::Device);
                }
                Ok(message) => self.take_in(message),
                Err(RecvTimeoutError::Timeout) => return Err(AdapterError::Timeout(timeout)),
                Err(RecvTimeoutError::Disconnected) => return Err(AdapterError::Stopped),
            }
        }
    }
}

impl Adapter for PluginProxy {
    fn info(&self) -> AdapterInfo {
        AdapterInfo {
            radio: Radio::Plugin,
            name: "Plugin adapters".to_owned(),
            port: "plugins".to_owned(),
            simulated: false,
            firmware: None,
        }
    }

    fn start(&mut self, _timeout: Duration) -> Result<(), AdapterError> {
        Ok(())
    }

    fn stop(&mut self, _timeout: Duration) -> Result<(), AdapterError> {
        Ok(())
    }

    /// The devices the running plugins list; nothing to scan for.
    fn discover(&mut self, _timeout: Duration) -> Result<Vec<FoundDevice>, AdapterError> {
        self.drain_inbox();
        Ok(self
            .plugins
            .iter()
            .filter(|(_, p)| p.online)
            .flat_map(|(plugin, p)| {
                p.devices.values().map(move |d| FoundDevice {
                    address: address(plugin, &d.id),
                    type_id: d.type_id.clone(),
                    manufacturer: d.manufacturer.clone(),
                    model: d.model.clone(),
                })
            })
            .collect())
    }

    /// The plugin already owns the device: pairing only checks it is
    /// listed and returns the state it reported.
    fn pair(&mut self, pairing: &Pairing, _timeout: Duration) -> Result<Object, AdapterError> {
        let (_, device) = self.device(&pairing.address)?;
        Ok(device.state.clone())
    }

    fn command(
        &mut self,
        address: &str,
        command: &str,
        payload: &Object,
        timeout: Duration,
    ) -> Result<Object, AdapterError> {
        let (plugin, device) = self.device(address)?;
        let device_id = device.id.clone();
        let request = AdapterRequest::Command {
            device: device_id.clone(),
            command: command.to_owned(),
            payload: payload.clone(),
        };
        let answer = self.call(&plugin, &request, timeout)?;
        let state = parse_command_answer(&answer)
            .map_err(|e| AdapterError::Device(format!("plugin {plugin} answered badly: {e}")))?;
        match self.device(address) {
            Ok((_, device)) => {
                device.state.extend(state);
                Ok(device.state.clone())
            }
            // It stopped or dropped the device right after answering.
            Err(_) => Ok(state),
        }
    }

    /// The state the plugin last reported (it reports every change).
    fn read_state(&mut self, address: &str, _timeout: Duration) -> Result<Object, AdapterError> {
        let (_, device) = self.device(address)?;
        Ok(device.state.clone())
    }

    fn configure(
        &mut self,
        address: &str,
        config: &Object,
        timeout: Duration,
    ) -> Result<(), AdapterError> {
        let (plugin, device) = self.device(address)?;
        let request = AdapterRequest::Configure {
            device: device.id.clone(),
            config: config.clone(),
        };
        self.call(&plugin, &request, timeout).map(|_| ())
    }

    fn poll_events(&mut self) -> Vec<AdapterEvent> {
        self.drain_inbox();
        std::mem::take(&mut self.events)
    }
}
