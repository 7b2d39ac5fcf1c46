//! Channels as the network thread sees them: who subscribes to what.

use std::collections::{BTreeMap, HashSet};

use super::id_hash::IdSet;

use crate::protocol::{ChannelDescription, ChannelId, ChannelPattern, ClientId};

/// Most patterns one client may hold; bounds the work per advertised channel.
pub(crate) const MAX_PATTERNS_PER_CLIENT: usize = 64;

/// One client's subscriptions: explicit ids plus name patterns.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    ids: HashSet<ChannelId>,
    patterns: Vec<ChannelPattern>,
}

impl Subscriptions {
    pub(crate) fn wants(&self, channel: &ChannelDescription) -> bool {
        self.ids.contains(&ChannelId(channel.id))
            || self.patterns.iter().any(|p| p.matches(&channel.name))
    }

    pub(crate) fn add_id(&mut self, id: ChannelId) {
        self.ids.insert(id);
    }

    /// Returns false when the client already holds the most patterns allowed.
    pub(crate) fn add_pattern(&mut self, pattern: ChannelPattern) -> bool {
        if self.patterns.contains(&pattern) {
            return true;
        }
        if self.patterns.len() >= MAX_PATTERNS_PER_CLIENT {
            return false;
        }
        self.patterns.push(pattern);
        true
    }

    pub(crate) fn remove_id(&mut self, id: ChannelId) {
        self.ids.remove(&id);
    }

    pub(crate) fn remove_pattern(&mut self, pattern: &str) {
        self.patterns.retain(|p| p.as_str() != pattern);
    }

    pub(crate) fn forget_channel(&mut self, id: ChannelId) {
        self.ids.remove(&id);
    }
}

#[derive(Debug)]
pub(crate) struct RoutedChannel {
    pub description: ChannelDescription,
    pub subscribers: IdSet<ClientId>,
}

#[derive(Debug, Default)]
pub(crate) struct Router {
    channels: BTreeMap<ChannelId, RoutedChannel>,
}

impl Router {
    pub(crate) fn get(&self, id: ChannelId) -> Option<&RoutedChannel> {
        self.channels.get(&id)
    }

    pub(crate) fn descriptions(&self) -> impl Iterator<Item = &ChannelDescription> {
        self.channels.values().map(|c| &c.description)
    }

    /// Adds a channel; `subscribers` are the clients whose patterns match it.
    pub(crate) fn advertise(
        &mut self,
        description: ChannelDescription,
        subscribers: IdSet<ClientId>,
    ) {
        self.channels.insert(
            ChannelId(description.id),
            RoutedChannel {
                description,
                subscribers,
            },
        );
    }

    pub(crate) fn unadvertise(&mut self, id: ChannelId) -> Option<RoutedChannel> {
        self.channels.remove(&id)
    }

    /// Re-derives which channels `client` receives from its subscriptions.
    pub(crate) fn resubscribe(&mut self, client: ClientId, subs: &Subscriptions) {
        for channel in self.channels.values_mut() {
            if subs.wants(&channel.description) {
                channel.subscribers.insert(client);
            } else {
                channel.subscribers.remove(&client);
            }
        }
    }

    pub(crate) fn drop_client(&mut self, client: ClientId) {
        for channel in self.channels.values_mut() {
            channel.subscribers.remove(&client);
        }
    }
}
