//! Plugins as agents, done on the game thread: the manager owns each
//! plugin's channels on the [`Host`] and moves messages between them and
//! the plugin's session. A client's request on `plugins/<id>/x` becomes a
//! [`Host::request`] to the plugin, and its answer a [`Host::respond`]; a
//! one-way message becomes a [`Host::send_to`]; what the plugin sends on
//! its own channel is [`Host::publish`]ed. The plugin asks for channels on
//! `plugins/control`. It is the simple design: every forwarded message
//! passes the game thread once each way (routing on the network thread
//! would skip that; not built).

use std::collections::HashMap;

use serde::Deserialize;

use super::PluginControl;
use super::devices::{DeviceDesk, DeviceOp, DeviceRequest};
use super::lifecycle::{self, Then};
use super::manifest::PluginManifest;
use super::taps::{CallError, PluginEvent, Taps};
use crate::protocol::ChannelPattern;
use crate::{
    ChannelId, ChannelSpec, ClientId, ClientInfo, Host, HostEvent, Peer, RemoteMessage,
    RemoteResponse, RequestFailure, RequestId,
};

/// Most channels one plugin may advertise.
pub const MAX_CHANNELS_PER_PLUGIN: usize = 64;

/// What a plugin sends on `plugins/control`, as JSON.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum ControlRequest {
    Advertise {
        name: String,
        #[serde(default = "default_encoding")]
        encoding: String,
        #[serde(default)]
        schema: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        latest: bool,
        #[serde(default)]
        clients_may_publish: bool,
    },
    Unadvertise {
        name: String,
    },
}

fn parse_patterns(patterns: &[String]) -> Vec<ChannelPattern> {
    patterns
        .iter()
        .filter_map(|p| match ChannelPattern::parse(p) {
            Ok(pattern) => Some(pattern),
            Err(e) => {
                tracing::warn!("ignoring the channel pattern {p:?}: {e}");
                None
            }
        })
        .collect()
}

fn default_encoding() -> String {
    "json".to_owned()
}

struct OwnedChannel {
    owner: ClientId,
    plugin: String,
    clients_may_publish: bool,
}

struct Forwarded {
    origin: ClientId,
    origin_request: RequestId,
    plugin: String,
}

struct PluginSession {
    id: String,
    channels: Vec<(String, ChannelId)>,
}

pub(crate) struct Router {
    control: ChannelId,
    /// Per plugin id: the game channels it asked for, and those the game allows.
    asks: HashMap<String, Vec<ChannelPattern>>,
    allowed: Vec<ChannelPattern>,
    sessions: HashMap<ClientId, PluginSession>,
    channels: HashMap<ChannelId, OwnedChannel>,
    forwarded: HashMap<RequestId, Forwarded>,
    /// Whether a plugin may call a channel, by plugin session and channel.
    verdicts: HashMap<(ClientId, ChannelId), bool>,
    /// The game's own traffic with plugins.
    taps: Taps,
    /// For lifecycle requests: restarts, and the configurations.
    plugins: PluginControl,
    /// What to do once the lifecycle request in hand is answered.
    then: Option<(ClientId, Then)>,
    /// Device requests for the hardware bridge, and device subscribers.
    devices: DeviceDesk,
}

impl Router {
    pub(crate) fn new(
        control: ChannelId,
        manifests: &[PluginManifest],
        allowed: &[String],
        plugins: PluginControl,
    ) -> Self {
        Self {
            control,
            asks: manifests
                .iter()
                .map(|m| (m.id.clone(), parse_patterns(&m.permissions.call)))
                .collect(),
            allowed: parse_patterns(allowed),
            sessions: HashMap::new(),
            channels: HashMap::new(),
            forwarded: HashMap::new(),
            verdicts: HashMap::new(),
            taps: Taps::default(),
            plugins,
            then: None,
            devices: DeviceDesk::default(),
        }
    }

    /// A hardware bridge answers device requests from now on.
    pub(crate) fn serve_device_requests(&mut self) {
        self.devices.serve();
    }

    pub(crate) fn drain_device_requests(&mut self) -> Vec<DeviceRequest> {
        self.devices.drain()
    }

    /// Sends a device event (JSON with its `"event"`) to every plugin
    /// that subscribed.
    pub(crate) fn send_device_event(&self, host: &Host, event: &[u8]) {
        for client in self.devices.subscribers() {
            if let Err(e) = host.send_to(*client, self.control, event.to_vec()) {
                let plugin = self.plugin_of(*client).unwrap_or("?");
                tracing::warn!(plugin = %plugin, "device event not delivered: {e}");
            }
        }
    }

    /// Answers or queues a device request; `None` when the message is not one.
    fn device_request(
        &mut self,
        message: &RemoteMessage,
    ) -> Option<Result<Option<Vec<u8>>, String>> {
        let value: serde_json::Value = serde_json::from_slice(message.content()).ok()?;
        let op = DeviceOp::parse(value.get("op").and_then(serde_json::Value::as_str)?)?;
        let plugin = self.sessions.get(&message.client())?.id.clone();
        let asks = self.asks.get(&plugin);
        Some(self.devices.take(&plugin, asks, op, value, message))
    }

    /// Sends each running plugin its new configuration, if it has one.
    pub(crate) fn deliver_configurations(&mut self, host: &Host) {
        for (id, configuration) in self.plugins.configurations.take_undelivered() {
            let sessions = self.sessions.iter().filter(|(_, s)| s.id == id);
            for (client, _) in sessions {
                let event = lifecycle::configuration(&configuration);
                if let Err(e) = host.send_to(*client, self.control, event) {
                    tracing::warn!(plugin = %id, "configuration change not delivered: {e}");
                }
            }
        }
    }

    /// A plugin started after the manager (an installed package): its id
    /// and the game channels it asks for. A known id gets the new asks.
    pub(crate) fn learn(&mut self, id: String, calls: &[String]) {
        self.verdicts.clear();
        self.asks.insert(id, parse_patterns(calls));
    }

    /// Keeps what plugins publish on their channels matching `pattern`
    /// (the name after `plugins/<id>/`) for the game.
    pub(crate) fn watch(&mut self, pattern: ChannelPattern) {
        self.taps.watch(pattern);
    }

    /// The game's request to a plugin's channel; the answer arrives as a
    /// [`PluginEvent::Answer`].
    pub(crate) fn call(
        &mut self,
        host: &Host,
        plugin: &str,
        channel: &str,
        content: Vec<u8>,
        timeout: Option<std::time::Duration>,
    ) -> Result<RequestId, CallError> {
        let Some((client, session)) = self.sessions.iter().find(|(_, s)| s.id == plugin) else {
            return Err(CallError::NotRunning(plugin.to_owned()));
        };
        let Some((_, id)) = session.channels.iter().find(|(n, _)| n == channel) else {
            return Err(CallError::NoChannel {
                plugin: plugin.to_owned(),
                channel: channel.to_owned(),
            });
        };
        let request = host.request(*client, *id, content, timeout)?;
        self.taps.called(request, plugin);
        Ok(request)
    }

    pub(crate) fn drain_events(&mut self) -> Vec<PluginEvent> {
        self.taps.drain().collect()
    }

    /// The plugin id of a registered plugin session.
    pub(crate) fn plugin_of(&self, client: ClientId) -> Option<&str> {
        self.sessions.get(&client).map(|s| s.id.as_str())
    }

    /// Takes the events that are the plugins' business; hands back the rest.
    pub(crate) fn handle(&mut self, host: &Host, event: HostEvent) -> Option<HostEvent> {
        match event {
            HostEvent::Connected(info) if self.is_plugin(&info) => {
                self.registered(host, info);
                None
            }
            HostEvent::Disconnected { client, .. } if self.sessions.contains_key(&client) => {
                self.gone(host, client);
                None
            }
            HostEvent::Message(message) => self.on_message(host, message),
            HostEvent::Response(response) => self.on_response(host, response),
            HostEvent::RequestFailed {
                client: _,
                request_id,
                reason,
            } if self.taps.failed(request_id, failure_text(reason)) => None,
            HostEvent::RequestFailed {
                client,
                request_id,
                reason,
            } => match self.forwarded.remove(&request_id) {
                Some(forwarded) => {
                    let why = failure_text(reason);
                    let _ = host.respond_error(
                        forwarded.origin,
                        forwarded.origin_request,
                        format!("plugin {} {why}", forwarded.plugin),
                    );
                    None
                }
                None => Some(HostEvent::RequestFailed {
                    client,
                    request_id,
                    reason,
                }),
            },
            other => Some(other),
        }
    }

    fn is_plugin(&self, info: &ClientInfo) -> bool {
        // Only pipe links exist for plugins, and they admit only their id.
        matches!(info.peer, Peer::Pipe(_)) && self.asks.contains_key(&info.name)
    }

    fn registered(&mut self, host: &Host, info: ClientInfo) {
        // A restarted plugin's old session may not be gone yet: forget it.
        let stale: Vec<ClientId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.id == info.name)
            .map(|(c, _)| *c)
            .collect();
        for client in stale {
            self.gone(host, client);
        }
        let configuration = self.plugins.configurations.get(&info.name);
        for event in [lifecycle::before_run(&configuration), lifecycle::run()] {
            if let Err(e) = host.send_to(info.id, self.control, event) {
                tracing::warn!(plugin = %info.name, "lifecycle event not sent: {e}");
            }
        }
        self.sessions.insert(
            info.id,
            PluginSession {
                id: info.name,
                channels: Vec::new(),
            },
        );
    }

    /// A plugin session ended: its channels go, and requests waiting on it
    /// fail at once rather than time out.
    fn gone(&mut self, host: &Host, client: ClientId) {
        let Some(session) = self.sessions.remove(&client) else {
            return;
        };
        for (_, channel) in session.channels {
            self.channels.remove(&channel);
            let _ = host.unadvertise(channel);
        }
        self.verdicts.retain(|(c, _), _| *c != client);
        self.devices.gone(client);
        let plugin = session.id;
        self.taps.stopped(&plugin);
        let origins: Vec<RequestId> = self
            .forwarded
            .iter()
            .filter(|(_, f)| f.plugin == plugin)
            .map(|(id, _)| *id)
            .collect();
        for id in origins {
            if let Some(f) = self.forwarded.remove(&id) {
                let _ = host.respond_error(
                    f.origin,
                    f.origin_request,
                    format!("plugin {plugin} stopped before answering"),
                );
            }
        }
    }

    fn on_message(&mut self, host: &Host, message: RemoteMessage) -> Option<HostEvent> {
        let from = message.client();
        let channel = message.channel();
        if channel == self.control {
            match (self.sessions.contains_key(&from), message.request_id()) {
                (true, Some(request)) => {
                    if let Some(answer) = self.device_request(&message) {
                        let _ = match answer {
                            Ok(Some(json)) => host.respond(from, request, json),
                            // The bridge answers it.
                            Ok(None) => Ok(()),
                            Err(reason) => host.respond_error(from, request, reason),
                        };
                        return None;
                    }
                    let answer = self.control(host, from, message.content());
                    let _ = match answer {
                        Ok(json) => host.respond(from, request, json),
                        Err(reason) => host.respond_error(from, request, reason),
                    };
                    self.after_answer(host);
                }
                (false, Some(request)) => {
                    let _ = host.respond_error(from, request, "plugins/control is for plugins");
                }
                (_, None) => {}
            }
            return None;
        }
        if let Some(owned) = self.channels.get(&channel) {
            if owned.owner == from {
                return self.publish_for_owner(host, message);
            }
            if self.sessions.contains_key(&from) && !self.may_call(host, from, channel) {
                return self.refuse(host, message);
            }
            self.forward_to_owner(host, message);
            return None;
        }
        if self.sessions.contains_key(&from) && !self.may_call(host, from, channel) {
            return self.refuse(host, message);
        }
        Some(HostEvent::Message(message))
    }

    /// What a plugin sends on its own channel is published to subscribers.
    fn publish_for_owner(&mut self, host: &Host, message: RemoteMessage) -> Option<HostEvent> {
        match message.request_id() {
            None => {
                if let Some(session) = self.sessions.get(&message.client())
                    && let Some((name, _)) = session
                        .channels
                        .iter()
                        .find(|(_, id)| *id == message.channel())
                {
                    self.taps
                        .published(&session.id, name, message.content_bytes().as_ref());
                }
                if let Err(e) = host.publish(message.channel(), message.content_bytes()) {
                    tracing::warn!("cannot publish for a plugin: {e}");
                }
            }
            Some(request) => {
                let _ = host.respond_error(
                    message.client(),
                    request,
                    "this is your own channel: publish on it, or answer the requests that come on it",
                );
            }
        }
        None
    }

    /// A client's message or request on a plugin's channel goes to the plugin.
    fn forward_to_owner(&mut self, host: &Host, message: RemoteMessage) {
        let Some(owned) = self.channels.get(&message.channel()) else {
            return;
        };
        let (owner, plugin) = (owned.owner, owned.plugin.clone());
        match message.request_id() {
            Some(origin_request) => {
                match host.request(owner, message.channel(), message.content_bytes(), None) {
                    Ok(id) => {
                        self.forwarded.insert(
                            id,
                            Forwarded {
                                origin: message.client(),
                                origin_request,
                                plugin,
                            },
                        );
                    }
                    Err(e) => {
                        let _ = host.respond_error(
                            message.client(),
                            origin_request,
                            format!("cannot reach plugin {plugin}: {e}"),
                        );
                    }
                }
            }
            None if owned.clients_may_publish => {
                if let Err(e) = host.send_to(owner, message.channel(), message.content_bytes()) {
                    tracing::warn!(plugin = %plugin, "dropped a message for the plugin: {e}");
                }
            }
            None => tracing::warn!(
                plugin = %plugin,
                "{} published on a channel the plugin takes only requests on; dropped",
                message.client()
            ),
        }
    }

    fn on_response(&mut self, host: &Host, response: RemoteResponse) -> Option<HostEvent> {
        let result = response.result().map(<[u8]>::to_vec).map_err(str::to_owned);
        let request = response.request_id();
        if self.taps.answered(request, result) {
            return None;
        }
        let Some(forwarded) = self.forwarded.remove(&response.request_id()) else {
            return Some(HostEvent::Response(response));
        };
        let _ = match response.result() {
            Ok(content) => host.respond(
                forwarded.origin,
                forwarded.origin_request,
                bytes::Bytes::copy_from_slice(content),
            ),
            Err(reason) => host.respond_error(forwarded.origin, forwarded.origin_request, reason),
        };
        None
    }

    /// A plugin reaching past its own channels without the right.
    fn refuse(&mut self, host: &Host, message: RemoteMessage) -> Option<HostEvent> {
        let plugin = self.plugin_of(message.client()).unwrap_or("?").to_owned();
        let reason = format!(
            "plugin {plugin} may not use channel {}: it is not in both its manifest's \
             permissions.call and the game's allowed channels",
            message.channel().0
        );
        match message.request_id() {
            Some(request) => {
                let _ = host.respond_error(message.client(), request, reason);
            }
            None => tracing::warn!("{reason}; message dropped"),
        }
        None
    }

    fn may_call(&mut self, host: &Host, client: ClientId, channel: ChannelId) -> bool {
        if let Some(verdict) = self.verdicts.get(&(client, channel)) {
            return *verdict;
        }
        let Some(plugin) = self.plugin_of(client) else {
            return false;
        };
        let name = host
            .channels()
            .into_iter()
            .find(|c| c.id == channel.0)
            .map(|c| c.name);
        let verdict = name.is_some_and(|name| {
            self.asks
                .get(plugin)
                .is_some_and(|asks| asks.iter().any(|p| p.matches(&name)))
                && self.allowed.iter().any(|p| p.matches(&name))
        });
        self.verdicts.insert((client, channel), verdict);
        verdict
    }

    /// Restarts the plugin or ends its run, when its lifecycle request
    /// asked for it, after its answer went out.
    fn after_answer(&mut self, host: &Host) {
        let Some((client, then)) = self.then.take() else {
            return;
        };
        let Some(id) = self.plugin_of(client).map(str::to_owned) else {
            return;
        };
        match then {
            Then::Nothing => {}
            Then::Restart => {
                if let Err(e) = self.plugins.restart(&id) {
                    tracing::warn!(plugin = %id, "cannot restart the plugin as it asked: {e}");
                }
            }
            // The supervisor sees the host's close and restarts it after
            // its backoff, as after any failed run.
            Then::EndRun(reason) => {
                let _ = host.disconnect(client, reason);
            }
        }
    }

    fn control(
        &mut self,
        host: &Host,
        client: ClientId,
        content: &[u8],
    ) -> Result<Vec<u8>, String> {
        let value: serde_json::Value = serde_json::from_slice(content)
            .map_err(|e| format!("not a plugins/control request: {e}"))?;
        let Some(session) = self.sessions.get_mut(&client) else {
            return Err("not a plugin".to_owned());
        };
        let op = value.get("op").and_then(serde_json::Value::as_str);
        if let Some(op) = op.filter(|op| !matches!(*op, "advertise" | "unadvertise")) {
            let configurations = &self.plugins.configurations;
            if let Some((answer, then)) = lifecycle::answer(configurations, &session.id, op, &value)
            {
                self.then = Some((client, then));
                return answer;
            }
        }
        let request: ControlRequest = serde_json::from_value(value)
            .map_err(|e| format!("not a plugins/control request: {e}"))?;
        match request {
            ControlRequest::Advertise {
                name,
                encoding,
                schema,
                description,
                latest,
                clients_may_publish,
            } => {
                if session.channels.len() >= MAX_CHANNELS_PER_PLUGIN {
                    return Err(format!(
                        "a plugin may advertise at most {MAX_CHANNELS_PER_PLUGIN} channels"
                    ));
                }
                let full = format!("plugins/{}/{name}", session.id);
                // The plugin publishes on its channel as a client of the
                // host, so the host must let clients publish; the manager
                // drops other clients' one-way messages when the plugin
                // did not ask for them.
                let mut spec = ChannelSpec::new(full.clone())
                    .encoding(encoding)
                    .schema(schema)
                    .description(description)
                    .clients_may_publish();
                if latest {
                    spec = spec.latest();
                }
                let id = host.advertise(spec).map_err(|e| e.to_string())?;
                session.channels.push((name, id));
                self.channels.insert(
                    id,
                    OwnedChannel {
                        owner: client,
                        plugin: session.id.clone(),
                        clients_may_publish,
                    },
                );
                Ok(serde_json::json!({"id": id.0, "name": full})
                    .to_string()
                    .into_bytes())
            }
            ControlRequest::Unadvertise { name } => {
                let Some(index) = session.channels.iter().position(|(n, _)| *n == name) else {
                    return Err(format!("no channel {name:?} of yours is advertised"));
                };
                let (_, id) = session.channels.remove(index);
                self.channels.remove(&id);
                host.unadvertise(id).map_err(|e| e.to_string())?;
                Ok(b"{}".to_vec())
            }
        }
    }
}

/// How a request to a plugin failed, for people: "plugin x {this}".
fn failure_text(reason: RequestFailure) -> &'static str {
    match reason {
        RequestFailure::Timeout => "did not answer in time",
        RequestFailure::ClientGone => "is not running",
        RequestFailure::TooManyInFlight => "has too many requests in flight",
    }
}
