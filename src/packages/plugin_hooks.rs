//! The install hooks over the plugin protocol (`docs/plugins.md`, section
//! 5.6; `docs/packages.md`, "Hooks"): for each hook the package's plugin
//! is started in the temporary folder, registers with a private host of
//! its own, gets the hook as a lifecycle event, answers it, and is
//! stopped.
//!
//! A private host (loopback, no discovery record) rather than the game's:
//! the package is not installed yet, so its plugin must not be reachable
//! by the game's clients, and installing works without a running game
//! (the command line).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::error::PackageError;
use super::hooks::{Hook, HookContext, HookRunner, STDERR_TAIL, reap_output, tail_reader};
use super::runner::package_manifest;
use crate::net::transport::Admission;
use crate::net::transport::pipe::{PipeLink, PipeWatch};
use crate::plugins::spawn::{self, Process};
use crate::plugins::{MAX_CHANNELS_PER_PLUGIN, PluginManifest};
use crate::{ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostEvent};

pub use crate::plugin_sdk::PLUGIN_HOOK_ENV;

/// The request with which a plugin says it has run a hook.
const HOOK_DONE: &str = "hook_done";

/// How long to wait for the last messages of a plugin that exited.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// Runs the install hooks through the package's own plugin: started in the
/// temporary folder with [`PLUGIN_HOOK_ENV`] set, it registers, gets
/// `{"event": "<hook>", "configuration": {...}}` on `plugins/control` and
/// answers with the request `{"op": "hook_done", "hook": "<hook>"}` (the
/// SDKs send it, also for a hook without a handler) or
/// `{"op": "error", "hook": "<hook>", "message": "..."}`. An error answer,
/// an exit or a closed session before the answer, or no answer within
/// `timeout` fails the hook. The plugin is then killed with its process
/// group and reaped.
///
/// `after_run` and the other run hooks reach the running plugin through
/// the lifecycle of the plugin runner instead, so they are `Ok` here.
///
/// ```no_run
/// use switchboard::packages::{Installer, PluginHooks};
///
/// let installer = Installer::open("plugins")?.with_hooks(PluginHooks::default());
/// # let _ = installer;
/// # Ok::<(), switchboard::packages::PackageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PluginHooks {
    /// How long one hook may take, registration included.
    pub timeout: Duration,
    /// The game's environment variables the plugin gets (default `PATH`,
    /// so `#!/usr/bin/env python3` works).
    pub env: Vec<String>,
}

impl Default for PluginHooks {
    fn default() -> Self {
        PluginHooks {
            timeout: Duration::from_secs(60),
            env: vec!["PATH".to_owned()],
        }
    }
}

impl HookRunner for PluginHooks {
    fn run_hook(&self, hook: Hook, context: &HookContext<'_>) -> Result<(), PackageError> {
        if !Hook::INSTALL.contains(&hook) {
            return Ok(());
        }
        let fail = |reason: String| PackageError::Hook {
            hook: hook.name(),
            reason,
        };
        let manifest = package_manifest(context.dir, &self.env).map_err(fail)?;
        let config = HostConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            discovery: false,
            ..HostConfig::default()
        };
        let host = Host::start(config)
            .map_err(|e| fail(format!("cannot start a host for the plugin: {e}")))?;
        let outcome = run_in(&host, &manifest, hook, context, self.timeout);
        host.shutdown();
        outcome.map_err(fail)
    }
}

/// Starts the plugin on `host`, runs the hook, stops the plugin; the
/// error says why, with the end of its stderr.
fn run_in(
    host: &Host,
    manifest: &PluginManifest,
    hook: Hook,
    context: &HookContext<'_>,
    timeout: Duration,
) -> Result<(), String> {
    let control = host
        .advertise(ChannelSpec::new(crate::plugin_sdk::CONTROL_CHANNEL).encoding("json"))
        .map_err(|e| format!("cannot advertise plugins/control: {e}"))?;
    let spawned = spawn::spawn(manifest, &[(PLUGIN_HOOK_ENV, hook.name().to_owned())])
        .map_err(|e| format!("cannot start {}: {e}", manifest.executable.display()))?;
    let mut process = spawned.process;
    let stderr = spawned.stderr.map(|pipe| tail_reader(pipe, STDERR_TAIL));
    let stdout = spawned.stdout.map(|pipe| tail_reader(pipe, 0));
    let port = host.port();
    let admission = Admission {
        name: manifest.id.clone(),
        directories: Vec::new(),
        preferences: Vec::new(),
        handshake_timeout: Some(timeout),
    };
    let attached = PipeLink::new(
        spawned.from_plugin,
        spawned.to_plugin,
        process.pid,
        port.max_message_size,
        admission,
        Arc::new(PipeWatch::default()),
    )
    .map_err(|e| format!("cannot set up its pipes: {e}"))
    .and_then(|link| {
        port.attach(Box::new(link))
            .map_err(|e| format!("the host refused its session: {e}"))
    });
    let outcome = attached.and_then(|()| {
        let mut session = HookSession {
            host,
            control,
            hook,
            id: &manifest.id,
            configuration: Value::Object(context.configuration.clone()),
            client: None,
            advertised: 0,
        };
        session.converse(&mut process, timeout)
    });
    // Killing the group closes its pipes, so the readers end.
    process.kill();
    let tail = reap_output(context, hook, stdout, stderr);
    outcome.map_err(|reason| {
        if tail.is_empty() {
            reason
        } else {
            format!("{reason}: {tail}")
        }
    })
}

/// The host's side of one hook run.
struct HookSession<'a> {
    host: &'a Host,
    control: ChannelId,
    hook: Hook,
    id: &'a str,
    configuration: Value,
    /// The plugin's session, once it registered.
    client: Option<ClientId>,
    /// Channels it advertised, capped as in a normal run.
    advertised: usize,
}

impl HookSession<'_> {
    /// Handles the host's events until the plugin answers the hook, fails
    /// it, leaves, or the time is up.
    fn converse(&mut self, process: &mut Process, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut exited_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("no answer within {timeout:?}, killed"));
            }
            let wait = (deadline - now).min(Duration::from_millis(20));
            if let Some(event) = self.host.wait_event(wait) {
                if let Some(done) = self.handle(event) {
                    return done;
                }
                continue;
            }
            // Its last messages may still be on their way after it exits.
            if let Some(status) = process.exited() {
                let since = *exited_at.get_or_insert(now);
                if now.duration_since(since) > EXIT_GRACE {
                    return Err(format!("the plugin exited ({status}) before answering"));
                }
            }
        }
    }

    /// `Some` when the hook run is over.
    fn handle(&mut self, event: HostEvent) -> Option<Result<(), String>> {
        match event {
            HostEvent::Connected(info) if self.client.is_none() => {
                self.client = Some(info.id);
                let event = json!({
                    "event": self.hook.name(),
                    "configuration": self.configuration,
                });
                if let Err(e) =
                    self.host
                        .send_to(info.id, self.control, event.to_string().into_bytes())
                {
                    return Some(Err(format!("cannot send it the hook: {e}")));
                }
                None
            }
            HostEvent::Disconnected { client, reason } if Some(client) == self.client => Some(Err(
                format!("its session ended before it answered: {reason}"),
            )),
            HostEvent::Message(message) if Some(message.client()) == self.client => {
                let request = message.request_id()?;
                if message.channel() != self.control {
                    let _ = self.host.respond_error(
                        message.client(),
                        request,
                        format!(
                            "only plugins/control answers while the {} hook runs",
                            self.hook
                        ),
                    );
                    return None;
                }
                let body: Value = serde_json::from_slice(message.content()).unwrap_or(Value::Null);
                self.request(message.client(), request, &body)
            }
            _ => None,
        }
    }

    /// Answers a request on `plugins/control`.
    fn request(
        &mut self,
        client: ClientId,
        request: crate::RequestId,
        body: &Value,
    ) -> Option<Result<(), String>> {
        let op = body.get("op").and_then(Value::as_str).unwrap_or("");
        let hook = body.get("hook").and_then(Value::as_str);
        let answer: Result<Value, String> = match op {
            HOOK_DONE if hook == Some(self.hook.name()) => {
                let _ = self.host.respond(client, request, b"{}".to_vec());
                return Some(Ok(()));
            }
            "error" if hook == Some(self.hook.name()) => {
                let _ = self.host.respond(client, request, b"{}".to_vec());
                let message = body
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)");
                let message: String = message.chars().take(1024).collect();
                return Some(Err(format!("the plugin reports: {message}")));
            }
            "error" => {
                let message = body.get("message").and_then(Value::as_str).unwrap_or("");
                tracing::error!(plugin = %self.id, hook = %self.hook, "plugin reports an error: {message}");
                Ok(json!({}))
            }
            "configuration" => Ok(json!({"configuration": self.configuration})),
            // Its channels are real on this private host, so the plugin's
            // start-up runs as usual; nobody else can reach them.
            "advertise" => match body.get("name").and_then(Value::as_str) {
                Some(_) if self.advertised >= MAX_CHANNELS_PER_PLUGIN => Err(format!(
                    "at most {MAX_CHANNELS_PER_PLUGIN} channels per plugin"
                )),
                Some(name) => {
                    self.advertised += 1;
                    let full = format!("plugins/{}/{name}", self.id);
                    self.host
                        .advertise(ChannelSpec::new(full.clone()))
                        .map(|id| json!({"id": id.0, "name": full}))
                        .map_err(|e| e.to_string())
                }
                None => Err("advertise needs a name".to_owned()),
            },
            "unadvertise" => Ok(json!({})),
            other => Err(format!(
                "{other:?} is not answered while the {} hook runs",
                self.hook
            )),
        };
        let _ = match answer {
            Ok(value) => self
                .host
                .respond(client, request, value.to_string().into_bytes()),
            Err(reason) => self.host.respond_error(client, request, reason),
        };
        None
    }
}
