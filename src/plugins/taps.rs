//! The game's own traffic with its plugins, beside the routing of clients'
//! traffic: what plugins publish on channels the game watches, the answers
//! to the game's own requests, and plugins going away. Game-side code that
//! proxies a plugin (such as the hardware bridge's plugin adapters) reads
//! these as [`PluginEvent`]s instead of subscribing like a remote client.

use std::collections::{HashMap, VecDeque};

use crate::protocol::ChannelPattern;
use crate::{HostError, RequestId};

/// Events kept for the game before the oldest publication is dropped;
/// answers and departures are never dropped (their number is bounded by
/// the host's requests in flight and the number of plugins).
const EVENT_QUEUE: usize = 4096;

/// Something about a plugin the game asked to hear of: see
/// [`PluginManager::watch`](super::PluginManager::watch),
/// [`PluginManager::call`](super::PluginManager::call) and
/// [`PluginManager::drain_plugin_events`](super::PluginManager::drain_plugin_events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginEvent {
    /// A plugin published on one of its channels that the game watches.
    Published {
        /// The plugin's id.
        plugin: String,
        /// The channel's name after `plugins/<id>/`, e.g. `adapter/devices`.
        channel: String,
        /// What it published.
        content: Vec<u8>,
    },
    /// The answer to a request the game sent with `call`.
    Answer {
        /// The id `call` returned.
        request: RequestId,
        /// The plugin's id.
        plugin: String,
        /// The content, or why there is none (the plugin failed it, did
        /// not answer in time, or stopped first).
        result: Result<Vec<u8>, String>,
    },
    /// A plugin's session ended (it exited, crashed, was stopped or is
    /// being restarted); its channels are gone until it registers again.
    Stopped {
        /// The plugin's id.
        plugin: String,
    },
}

/// Why the game's request to a plugin was not sent.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No session of this plugin is registered now.
    #[error("plugin {0} is not running")]
    NotRunning(String),
    /// The plugin is running but has not advertised the channel.
    #[error("plugin {plugin} has no channel {channel:?}")]
    NoChannel {
        /// The plugin's id.
        plugin: String,
        /// The channel's name after `plugins/<id>/`.
        channel: String,
    },
    /// The host refused the request (full queue, oversized content).
    #[error("the host refused the request: {0}")]
    Host(#[from] HostError),
}

/// The watched channels, the game's requests in flight, and the events
/// waiting for the game.
#[derive(Default)]
pub(crate) struct Taps {
    watched: Vec<ChannelPattern>,
    calls: HashMap<RequestId, String>,
    events: VecDeque<PluginEvent>,
    dropped: u64,
}

impl Taps {
    pub(crate) fn watch(&mut self, pattern: ChannelPattern) {
        if !self.watched.iter().any(|p| p.as_str() == pattern.as_str()) {
            self.watched.push(pattern);
        }
    }

    /// A plugin published `content` on its channel `channel` (the name
    /// after `plugins/<id>/`).
    pub(crate) fn published(&mut self, plugin: &str, channel: &str, content: &[u8]) {
        if !self.watched.iter().any(|p| p.matches(channel)) {
            return;
        }
        if self.events.len() >= EVENT_QUEUE
            && let Some(index) = self
                .events
                .iter()
                .position(|e| matches!(e, PluginEvent::Published { .. }))
        {
            self.events.remove(index);
            self.dropped += 1;
            if self.dropped.is_power_of_two() {
                tracing::warn!(
                    "{} plugin publications dropped: the game does not drain plugin events",
                    self.dropped
                );
            }
        }
        self.events.push_back(PluginEvent::Published {
            plugin: plugin.to_owned(),
            channel: channel.to_owned(),
            content: content.to_vec(),
        });
    }

    pub(crate) fn called(&mut self, request: RequestId, plugin: &str) {
        self.calls.insert(request, plugin.to_owned());
    }

    /// Takes the answer to one of the game's requests; false when the
    /// request was not the game's.
    pub(crate) fn answered(&mut self, request: RequestId, result: Result<Vec<u8>, String>) -> bool {
        let Some(plugin) = self.calls.remove(&request) else {
            return false;
        };
        self.events.push_back(PluginEvent::Answer {
            request,
            plugin,
            result,
        });
        true
    }

    /// One of the game's requests failed without an answer; `why` follows
    /// "plugin <id> ". False when the request was not the game's.
    pub(crate) fn failed(&mut self, request: RequestId, why: &str) -> bool {
        let Some(plugin) = self.calls.get(&request) else {
            return false;
        };
        let reason = format!("plugin {plugin} {why}");
        self.answered(request, Err(reason))
    }

    /// A plugin's session ended: the game's requests to it fail now.
    pub(crate) fn stopped(&mut self, plugin: &str) {
        let waiting: Vec<RequestId> = self
            .calls
            .iter()
            .filter(|(_, p)| *p == plugin)
            .map(|(id, _)| *id)
            .collect();
        for request in waiting {
            self.answered(
                request,
                Err(format!("plugin {plugin} stopped before answering")),
            );
        }
        self.events.push_back(PluginEvent::Stopped {
            plugin: plugin.to_owned(),
        });
    }

    pub(crate) fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, PluginEvent> {
        self.events.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_watched_channels_are_kept_and_a_flood_drops_the_oldest_publications() {
        let mut taps = Taps::default();
        taps.watch(ChannelPattern::parse("adapter/*").unwrap());
        taps.published("weather", "readings", b"1");
        assert_eq!(taps.drain().count(), 0);
        taps.called(RequestId(7), "weather");
        for i in 0..EVENT_QUEUE + 10 {
            taps.published("weather", "adapter/changes", i.to_string().as_bytes());
        }
        assert!(taps.answered(RequestId(7), Ok(b"ok".to_vec())));
        assert!(
            !taps.answered(RequestId(7), Ok(Vec::new())),
            "answered twice"
        );
        let events: Vec<PluginEvent> = taps.drain().collect();
        assert_eq!(events.len(), EVENT_QUEUE + 1);
        assert_eq!(
            events[0],
            PluginEvent::Published {
                plugin: "weather".into(),
                channel: "adapter/changes".into(),
                content: b"10".to_vec(),
            }
        );
        assert!(matches!(events.last(), Some(PluginEvent::Answer { .. })));
    }

    #[test]
    fn a_stopped_plugin_fails_the_games_requests_to_it() {
        let mut taps = Taps::default();
        taps.called(RequestId(1), "weather");
        taps.called(RequestId(2), "counter");
        taps.stopped("weather");
        let events: Vec<PluginEvent> = taps.drain().collect();
        assert_eq!(
            events,
            vec![
                PluginEvent::Answer {
                    request: RequestId(1),
                    plugin: "weather".into(),
                    result: Err("plugin weather stopped before answering".into()),
                },
                PluginEvent::Stopped {
                    plugin: "weather".into()
                },
            ]
        );
        assert!(taps.answered(RequestId(2), Err("x".into())));
    }
}
