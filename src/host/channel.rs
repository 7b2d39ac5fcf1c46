//! Channels as the game declares them, and the game-side registry that hands
//! out ids and keeps names unique.

use std::collections::{BTreeMap, HashMap};

use super::{ChannelId, HostError};
use crate::protocol::{ChannelDescription, ipc};

/// Longest channel name accepted, in bytes.
pub const MAX_CHANNEL_NAME_LEN: usize = 200;

/// What an agent declares when it advertises a channel.
///
/// ```
/// use switchboard::ChannelSpec;
/// let spec = ChannelSpec::new("telemetry/frame_time")
///     .encoding("json")
///     .latest()
///     .description("milliseconds per frame");
/// assert_eq!(spec.name, "telemetry/frame_time");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Slash-separated name, e.g. `scene/entities`.
    pub name: String,
    /// Content encoding; default `raw`.
    pub encoding: String,
    /// Content schema name; default empty.
    pub schema_name: String,
    /// Delivery policy; default reliable.
    pub delivery: ipc::DeliveryPolicy,
    /// Who may publish; default agents only.
    pub publishers: ipc::Publishers,
    /// Free text.
    pub description: String,
}

impl ChannelSpec {
    /// A reliable, agent-published channel with `raw` content.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            encoding: "raw".to_owned(),
            schema_name: String::new(),
            delivery: ipc::DeliveryPolicy::Reliable,
            publishers: ipc::Publishers::AgentsOnly,
            description: String::new(),
        }
    }

    /// Set the content encoding (`json`, `flatbuffers`, `text`, `raw`...).
    pub fn encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = encoding.into();
        self
    }

    /// Set the content schema name.
    pub fn schema(mut self, schema_name: impl Into<String>) -> Self {
        self.schema_name = schema_name.into();
        self
    }

    /// Slow subscribers get only the newest message (telemetry).
    pub fn latest(mut self) -> Self {
        self.delivery = ipc::DeliveryPolicy::Latest;
        self
    }

    /// Every message reaches every subscriber, or the subscriber is closed.
    pub fn reliable(mut self) -> Self {
        self.delivery = ipc::DeliveryPolicy::Reliable;
        self
    }

    /// Let clients publish one-way messages on this channel.
    pub fn clients_may_publish(mut self) -> Self {
        self.publishers = ipc::Publishers::ClientsAndAgents;
        self
    }

    /// Set the description shown to people.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    fn describe(&self, id: ChannelId) -> ChannelDescription {
        ChannelDescription {
            id: id.0,
            name: self.name.clone(),
            encoding: self.encoding.clone(),
            schema_name: self.schema_name.clone(),
            delivery: self.delivery,
            publishers: self.publishers,
            description: self.description.clone(),
        }
    }
}

/// Checks a channel name: non-empty segments of printable characters
/// separated by '/', no wildcard characters.
pub fn validate_channel_name(name: &str) -> Result<(), HostError> {
    let refuse = |reason| {
        Err(HostError::InvalidChannelName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return refuse("empty");
    }
    if name.len() > MAX_CHANNEL_NAME_LEN {
        return refuse("longer than 200 bytes");
    }
    if name.split('/').any(str::is_empty) {
        return refuse("empty segment (leading, trailing or double '/')");
    }
    if name.contains('*') {
        return refuse("'*' is reserved for subscription patterns");
    }
    if name.chars().any(char::is_control) {
        return refuse("control characters");
    }
    Ok(())
}

/// The game side's list of channels. The network thread keeps its own copy,
/// fed by commands, so routing never takes this lock.
#[derive(Debug, Default)]
pub(crate) struct ChannelRegistry {
    by_id: BTreeMap<ChannelId, Registered>,
    by_name: HashMap<String, ChannelId>,
    next_id: u32,
}

#[derive(Debug)]
struct Registered {
    description: ChannelDescription,
    /// Sequence number of the last publish. Counted here, on the game's
    /// side, so a frame an agent built can carry it before it leaves.
    sequence: u64,
}

impl ChannelRegistry {
    pub(crate) fn add(&mut self, spec: &ChannelSpec) -> Result<ChannelDescription, HostError> {
        validate_channel_name(&spec.name)?;
        if self.by_name.contains_key(&spec.name) {
            return Err(HostError::DuplicateChannel(spec.name.clone()));
        }
        self.next_id += 1;
        let id = ChannelId(self.next_id);
        let description = spec.describe(id);
        self.by_name.insert(spec.name.clone(), id);
        self.by_id.insert(
            id,
            Registered {
                description: description.clone(),
                sequence: 0,
            },
        );
        Ok(description)
    }

    pub(crate) fn remove(&mut self, id: ChannelId) -> Result<ChannelDescription, HostError> {
        let registered = self
            .by_id
            .remove(&id)
            .ok_or(HostError::UnknownChannel(id))?;
        self.by_name.remove(&registered.description.name);
        Ok(registered.description)
    }

    pub(crate) fn get(&self, id: ChannelId) -> Option<&ChannelDescription> {
        self.by_id.get(&id).map(|r| &r.description)
    }

    /// Counts a publish on `id` and returns its sequence number.
    pub(crate) fn next_sequence(&mut self, id: ChannelId) -> Result<u64, HostError> {
        let registered = self
            .by_id
            .get_mut(&id)
            .ok_or(HostError::UnknownChannel(id))?;
        registered.sequence += 1;
        Ok(registered.sequence)
    }

    /// Takes back a publish that never left (the command queue was full),
    /// so clients see no gap that conflation did not cause.
    pub(crate) fn unpublish(&mut self, id: ChannelId) {
        if let Some(registered) = self.by_id.get_mut(&id) {
            registered.sequence -= 1;
        }
    }

    pub(crate) fn find(&self, name: &str) -> Option<ChannelId> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn all(&self) -> Vec<ChannelDescription> {
        self.by_id.values().map(|r| r.description.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_unique() {
        let mut r = ChannelRegistry::default();
        let a = r.add(&ChannelSpec::new("a/b")).unwrap();
        assert_eq!(a.id, 1);
        assert!(matches!(
            r.add(&ChannelSpec::new("a/b")),
            Err(HostError::DuplicateChannel(_))
        ));
        for bad in ["", "/a", "a/", "a//b", "a/*", "a\nb"] {
            assert!(r.add(&ChannelSpec::new(bad)).is_err(), "{bad:?} accepted");
        }
        r.remove(ChannelId(1)).unwrap();
        // Ids are not reused after removal.
        assert_eq!(r.add(&ChannelSpec::new("a/b")).unwrap().id, 2);
    }
}
