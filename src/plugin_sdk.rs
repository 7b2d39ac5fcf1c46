//! Write a plugin in Rust (feature `plugins`): register, advertise, handle
//! requests, publish, log. It runs over the blocking [`Client`] on the
//! pipes the host gave the process (`docs/plugins.md`).
//!
//! ```no_run
//! use switchboard::plugin_sdk::{Plugin, PluginChannel};
//!
//! let mut plugin = Plugin::register()?; // id and pipes from the environment
//! plugin.on_request(PluginChannel::new("add"), |content| {
//!     let numbers: Vec<i64> = serde_json::from_slice(content).map_err(|e| e.to_string())?;
//!     Ok(numbers.iter().sum::<i64>().to_string().into_bytes())
//! })?;
//! plugin.log("ready");
//! plugin.run()?; // until the host closes
//! # Ok::<(), switchboard::client::ClientError>(())
//! ```

mod devices;

use std::collections::HashMap;
use std::time::Duration;

use crate::client::{Client, ClientError, ClientOptions, Incoming, PipeConnection, WelcomeInfo};
use crate::plugins::PLUGIN_ID_ENV;

/// How long a plugins/control request and [`Plugin::call`] wait.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The variable naming the install hook the host started the plugin for
/// (`before_install`, `install`, `after_install`); unset in a normal run.
pub const PLUGIN_HOOK_ENV: &str = "SWITCHBOARD_PLUGIN_HOOK";

/// The hooks the host starts a plugin for, one at a time, in the package's
/// temporary folder while installing it (`docs/plugins.md`, section 5.6).
/// The plugin answers each (the SDK does, also without a handler).
pub const INSTALL_HOOKS: [&str; 3] = ["before_install", "install", "after_install"];

/// The channel the host takes plugins' own requests on.
pub const CONTROL_CHANNEL: &str = "plugins/control";

/// A channel to advertise under `plugins/<id>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginChannel {
    /// The name under the plugin's namespace.
    pub name: String,
    /// How its content is encoded. Default `"json"`.
    pub encoding: String,
    /// Latest-value delivery instead of reliable.
    pub latest: bool,
    /// Whether clients' one-way messages reach the plugin.
    pub clients_may_publish: bool,
    /// Free text for people browsing channels.
    pub description: String,
}

impl PluginChannel {
    /// A reliable JSON channel that takes requests only.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            encoding: "json".to_owned(),
            latest: false,
            clients_may_publish: false,
            description: String::new(),
        }
    }

    /// Sets the encoding.
    pub fn encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = encoding.into();
        self
    }

    /// Latest-value delivery.
    pub fn latest(mut self) -> Self {
        self.latest = true;
        self
    }

    /// Clients' one-way messages reach the plugin.
    pub fn clients_may_publish(mut self) -> Self {
        self.clients_may_publish = true;
        self
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

type RequestHandler = Box<dyn FnMut(&[u8]) -> Result<Vec<u8>, String>>;
type MessageHandler = Box<dyn FnMut(&[u8])>;
type LifecycleHandler = Box<dyn FnMut(&LifecycleEvent) -> Result<(), String>>;

/// A lifecycle event from the host (`docs/plugins.md`, section 5.6):
/// `before_run` (with the configuration), `run`, `after_run`,
/// `configuration` (a new one), or one the host adds later.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleEvent {
    /// Its name.
    pub event: String,
    /// The whole JSON object, `event` included.
    pub body: serde_json::Value,
}

impl LifecycleEvent {
    /// The configuration it carries (`before_run`, `configuration`).
    pub fn configuration(&self) -> Option<&serde_json::Value> {
        self.body.get("configuration")
    }
}

enum Handler {
    Request(RequestHandler),
    Message(MessageHandler),
}

/// One plugin's connection to the host that started it.
pub struct Plugin {
    client: Client,
    id: String,
    names: HashMap<String, u32>,
    handlers: HashMap<u32, Handler>,
    lifecycle: Option<LifecycleHandler>,
}

impl Plugin {
    /// Registers with the host, taking the id and the pipes from the
    /// environment the host set (`SWITCHBOARD_PLUGIN_ID`,
    /// `SWITCHBOARD_PLUGIN_FDS`).
    pub fn register() -> Result<Self, ClientError> {
        let id = std::env::var(PLUGIN_ID_ENV).map_err(|_| {
            ClientError::Unexpected(format!(
                "{PLUGIN_ID_ENV} is not set: not started as a plugin"
            ))
        })?;
        let pipe =
            PipeConnection::from_env().map_err(|e| ClientError::Unexpected(e.to_string()))?;
        Self::register_over(pipe, &id)
    }

    /// Registers as `id` over pipes opened some other way.
    pub fn register_over(pipe: PipeConnection, id: &str) -> Result<Self, ClientError> {
        let client = Client::over_pipe(pipe, ClientOptions::new(id))?;
        Ok(Self {
            client,
            id: id.to_owned(),
            names: HashMap::new(),
            handlers: HashMap::new(),
            lifecycle: None,
        })
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the host said: its version, this plugin's directories, the
    /// user's preferences.
    pub fn welcome(&self) -> &WelcomeInfo {
        self.client.welcome()
    }

    /// The underlying client, for anything the SDK does not wrap.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Advertises `plugins/<id>/<name>`; returns its channel id.
    pub fn advertise(&mut self, channel: &PluginChannel) -> Result<u32, ClientError> {
        let control = self
            .client
            .channel_id(CONTROL_CHANNEL)
            .ok_or_else(|| ClientError::Unexpected(format!("the host has no {CONTROL_CHANNEL}")))?;
        let request = serde_json::json!({
            "op": "advertise",
            "name": channel.name,
            "encoding": channel.encoding,
            "latest": channel.latest,
            "clients_may_publish": channel.clients_may_publish,
            "description": channel.description,
        });
        let answer = self
            .client
            .call(control, request.to_string().as_bytes(), CALL_TIMEOUT)?;
        let id = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["id"].as_u64())
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| {
                ClientError::Unexpected("advertise answered without an id".to_owned())
            })?;
        self.names.insert(channel.name.clone(), id);
        Ok(id)
    }

    /// Advertises a channel and answers its requests with `handler`; an
    /// `Err` reaches the caller as a failed response with that reason.
    pub fn on_request(
        &mut self,
        channel: PluginChannel,
        handler: impl FnMut(&[u8]) -> Result<Vec<u8>, String> + 'static,
    ) -> Result<u32, ClientError> {
        let id = self.advertise(&channel)?;
        self.handlers
            .insert(id, Handler::Request(Box::new(handler)));
        Ok(id)
    }

    /// Advertises a channel clients may publish on and calls `handler` with
    /// each message.
    pub fn on_message(
        &mut self,
        channel: PluginChannel,
        handler: impl FnMut(&[u8]) + 'static,
    ) -> Result<u32, ClientError> {
        let id = self.advertise(&channel.clients_may_publish())?;
        self.handlers
            .insert(id, Handler::Message(Box::new(handler)));
        Ok(id)
    }

    /// Publishes on one of this plugin's channels, by name.
    pub fn publish(&mut self, name: &str, content: &[u8]) -> Result<(), ClientError> {
        let id = *self
            .names
            .get(name)
            .ok_or_else(|| ClientError::Unexpected(format!("no channel {name:?} advertised")))?;
        self.client.publish(id, content)
    }

    /// Calls a game channel (one the manifest asks for and the game allows).
    pub fn call(&mut self, channel: &str, content: &[u8]) -> Result<Vec<u8>, ClientError> {
        let id = self
            .client
            .channel_id(channel)
            .ok_or_else(|| ClientError::Unexpected(format!("no channel {channel:?}")))?;
        self.client.call(id, content, CALL_TIMEOUT)
    }

    /// One line to stderr, which the host forwards to its log and to
    /// `plugins/logs`.
    pub fn log(&self, line: impl std::fmt::Display) {
        eprintln!("{line}");
    }

    /// Calls `handler` with each lifecycle event. An `Err` from it for
    /// `before_run` or `run` is reported to the host, which ends this run
    /// (and restarts the plugin after its backoff); for an install hook
    /// ([`INSTALL_HOOKS`]) it fails the install; for other events it is
    /// reported as an error for the log. Install hooks are answered for
    /// the host after the handler returns (or without a handler).
    ///
    /// ```no_run
    /// use switchboard::plugin_sdk::Plugin;
    ///
    /// let mut plugin = Plugin::register()?;
    /// plugin.on_lifecycle(|event| {
    ///     if let Some(configuration) = event.configuration() {
    ///         eprintln!("{}: {configuration}", event.event);
    ///     }
    ///     Ok(())
    /// });
    /// plugin.run()?;
    /// # Ok::<(), switchboard::client::ClientError>(())
    /// ```
    pub fn on_lifecycle(
        &mut self,
        handler: impl FnMut(&LifecycleEvent) -> Result<(), String> + 'static,
    ) {
        self.lifecycle = Some(Box::new(handler));
    }

    /// Asks the host for this plugin's configuration (secrets included).
    pub fn configuration(&mut self) -> Result<serde_json::Value, ClientError> {
        let answer = self.control(&serde_json::json!({"op": "configuration"}))?;
        Ok(answer
            .get("configuration")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({})))
    }

    /// Asks the host to stop this plugin and start it again.
    pub fn restart(&mut self) -> Result<(), ClientError> {
        self.control(&serde_json::json!({"op": "restart"}))
            .map(|_| ())
    }

    /// Reports an error to the host's log; with `hook` `before_run` or
    /// `run` it ends this run.
    pub fn report_error(&mut self, message: &str, hook: Option<&str>) -> Result<(), ClientError> {
        let mut request = serde_json::json!({"op": "error", "message": message});
        if let Some(hook) = hook {
            request["hook"] = hook.into();
        }
        self.control(&request).map(|_| ())
    }

    fn control(&mut self, request: &serde_json::Value) -> Result<serde_json::Value, ClientError> {
        let control = self
            .client
            .channel_id(CONTROL_CHANNEL)
            .ok_or_else(|| ClientError::Unexpected(format!("the host has no {CONTROL_CHANNEL}")))?;
        let answer = self
            .client
            .call(control, request.to_string().as_bytes(), CALL_TIMEOUT)?;
        serde_json::from_slice(&answer)
            .map_err(|e| ClientError::Unexpected(format!("{CONTROL_CHANNEL} answered: {e}")))
    }

    fn lifecycle_event(&mut self, content: &[u8]) -> Result<(), ClientError> {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(content) else {
            self.log("ignoring a lifecycle message that is not JSON");
            return Ok(());
        };
        let Some(event) = body
            .get("event")
            .and_then(|e| e.as_str())
            .map(str::to_owned)
        else {
            return Ok(());
        };
        let install_hook = INSTALL_HOOKS.contains(&event.as_str());
        let Some(handler) = self.lifecycle.as_mut() else {
            if install_hook {
                return self.hook_done(&event, false);
            }
            return Ok(());
        };
        let result = handler(&LifecycleEvent {
            event: event.clone(),
            body,
        });
        if install_hook {
            return match result {
                Ok(()) => self.hook_done(&event, true),
                Err(message) => self.report_error(&message, Some(&event)),
            };
        }
        if let Err(message) = result {
            if matches!(event.as_str(), "before_run" | "run") {
                self.report_error(&message, Some(&event))?;
            } else {
                self.report_error(&format!("{event}: {message}"), None)?;
            }
        }
        Ok(())
    }

    /// Tells the host, which waits for it, that an install hook ran
    /// (`handled`: a handler took it).
    fn hook_done(&mut self, hook: &str, handled: bool) -> Result<(), ClientError> {
        self.control(&serde_json::json!({"op": "hook_done", "hook": hook, "handled": handled}))
            .map(|_| ())
    }

    /// The install hook this process was started for
    /// ([`PLUGIN_HOOK_ENV`]), if
    /// any: a plugin may skip its usual start-up then.
    pub fn install_hook() -> Option<String> {
        std::env::var(PLUGIN_HOOK_ENV)
            .ok()
            .filter(|hook| !hook.is_empty())
    }

    /// Handles requests, messages and lifecycle events until the host
    /// closes the session.
    pub fn run(&mut self) -> Result<(), ClientError> {
        loop {
            match self.client.recv(Duration::from_secs(3600)) {
                Ok(Incoming::Data {
                    channel,
                    request_id,
                    content,
                    ..
                }) => self.dispatch(channel, request_id, &content)?,
                Ok(Incoming::Closed { .. }) => return Ok(()),
                Ok(_) | Err(ClientError::Timeout) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn dispatch(
        &mut self,
        channel: u32,
        request_id: u64,
        content: &[u8],
    ) -> Result<(), ClientError> {
        if request_id == 0 && self.client.channel_id(CONTROL_CHANNEL) == Some(channel) {
            return self.lifecycle_event(content);
        }
        match (self.handlers.get_mut(&channel), request_id) {
            (Some(Handler::Request(handler)), id) if id != 0 => {
                let result = handler(content);
                let result = result.as_deref().map_err(String::as_str);
                self.client.respond(id, channel, result)
            }
            (Some(Handler::Message(handler)), 0) => {
                handler(content);
                Ok(())
            }
            (_, 0) => Ok(()),
            (_, id) => self.client.respond(
                id,
                channel,
                Err("no handler takes requests on this channel"),
            ),
        }
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
