//! The plugin lifecycle over `plugins/control` (`docs/plugins.md`,
//! section 5.6): the events the host sends a plugin (one-way messages
//! `{"event": ...}`), and the lifecycle requests a plugin sends the host
//! (`{"op": ...}` beside `advertise` and `unadvertise`).
//!
//! Events are one-way so that a plugin that knows none of them (written
//! before them, or without an SDK) is not broken by them: it ignores
//! messages on a channel it has no use for. A plugin reports a failing
//! hook with the `error` request, which ends the run.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

/// The hooks whose failure ends the run.
pub(crate) const RUN_HOOKS: [&str; 2] = ["before_run", "run"];

/// The event sent right after registration: the plugin prepares, with its
/// configuration.
pub(crate) fn before_run(configuration: &Value) -> Vec<u8> {
    json!({"event": "before_run", "configuration": configuration})
        .to_string()
        .into_bytes()
}

/// The event sent after `before_run`: the plugin starts its work.
pub(crate) fn run() -> Vec<u8> {
    br#"{"event":"run"}"#.to_vec()
}

/// The event sent before the host closes the session to stop the plugin
/// (stop, disable, removal, replacement, shutdown); the process then has
/// the grace period to leave.
pub(crate) fn after_run() -> Vec<u8> {
    br#"{"event":"after_run"}"#.to_vec()
}

/// The event for a new configuration.
pub(crate) fn configuration(configuration: &Value) -> Vec<u8> {
    json!({"event": "configuration", "configuration": configuration})
        .to_string()
        .into_bytes()
}

/// Each plugin's configuration (secrets included: it goes to the plugin
/// only) and the plugins a new one is still to be delivered to. Shared by
/// every [`PluginControl`](super::PluginControl) and the router; keyed by
/// plugin id, so it holds one entry per plugin the game configured.
#[derive(Default)]
pub(crate) struct Configurations {
    inner: Mutex<ConfigurationsInner>,
}

#[derive(Default)]
struct ConfigurationsInner {
    values: HashMap<String, Value>,
    undelivered: HashSet<String>,
}

impl Configurations {
    fn lock(&self) -> MutexGuard<'_, ConfigurationsInner> {
        // Each change replaces one entry whole.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets a plugin's configuration; `deliver`: a running plugin gets it
    /// as a `configuration` event.
    pub(crate) fn set(&self, id: &str, configuration: Value, deliver: bool) {
        let mut inner = self.lock();
        inner.values.insert(id.to_owned(), configuration);
        if deliver {
            inner.undelivered.insert(id.to_owned());
        }
    }

    /// A plugin's configuration; `{}` when the game set none.
    pub(crate) fn get(&self, id: &str) -> Value {
        self.lock()
            .values
            .get(id)
            .cloned()
            .unwrap_or_else(|| json!({}))
    }

    /// Takes the plugins with a configuration to deliver, and each one's.
    pub(crate) fn take_undelivered(&self) -> Vec<(String, Value)> {
        let mut inner = self.lock();
        let ids: Vec<String> = inner.undelivered.drain().collect();
        ids.into_iter()
            .map(|id| {
                let value = inner.values.get(&id).cloned().unwrap_or_else(|| json!({}));
                (id, value)
            })
            .collect()
    }
}

/// What the router does with a lifecycle request it answered.
#[derive(Debug, PartialEq)]
pub(crate) enum Then {
    Nothing,
    /// Stop the plugin and start it again.
    Restart,
    /// End this run: a run hook failed.
    EndRun(String),
}

/// Answers a lifecycle request from plugin `id`; `None` when `op` is not
/// one (the router's own ops, or unknown).
pub(crate) fn answer(
    configurations: &Arc<Configurations>,
    id: &str,
    op: &str,
    request: &Value,
) -> Option<(Result<Vec<u8>, String>, Then)> {
    let answered = match op {
        "configuration" => (
            Ok(json!({"configuration": configurations.get(id)})
                .to_string()
                .into_bytes()),
            Then::Nothing,
        ),
        "restart" => (Ok(b"{}".to_vec()), Then::Restart),
        "error" => {
            let message = request
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)");
            let message: String = message.chars().take(1024).collect();
            let hook = request.get("hook").and_then(Value::as_str);
            match hook {
                Some(hook) if RUN_HOOKS.contains(&hook) => {
                    tracing::error!(plugin = %id, hook, "plugin reports its hook failed: {message}");
                    let reason = format!("its {hook} hook failed: {message}");
                    (Ok(b"{}".to_vec()), Then::EndRun(reason))
                }
                _ => {
                    tracing::error!(plugin = %id, "plugin reports an error: {message}");
                    (Ok(b"{}".to_vec()), Then::Nothing)
                }
            }
        }
        _ => return None,
    };
    Some(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_are_delivered_once_and_answered() {
        let configurations = Arc::new(Configurations::default());
        configurations.set("w", json!({"key": "secret"}), false);
        assert!(configurations.take_undelivered().is_empty());
        configurations.set("w", json!({"key": "new"}), true);
        assert_eq!(
            configurations.take_undelivered(),
            [("w".to_owned(), json!({"key": "new"}))]
        );
        assert!(configurations.take_undelivered().is_empty());
        let (answer, then) = answer(&configurations, "w", "configuration", &json!({})).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&answer.unwrap()).unwrap(),
            json!({"configuration": {"key": "new"}})
        );
        assert_eq!(then, Then::Nothing);
    }

    #[test]
    fn run_hook_errors_end_the_run() {
        let configurations = Arc::new(Configurations::default());
        let request = json!({"op": "error", "hook": "before_run", "message": "no sensor"});
        let (_, then) = answer(&configurations, "w", "error", &request).unwrap();
        assert_eq!(
            then,
            Then::EndRun("its before_run hook failed: no sensor".into())
        );
        let request = json!({"op": "error", "message": "flaky"});
        assert_eq!(
            answer(&configurations, "w", "error", &request).unwrap().1,
            Then::Nothing
        );
        assert!(answer(&configurations, "w", "advertise", &json!({})).is_none());
    }
}
