//! Messages on their way from the game's channels to NATS, bounded the way
//! each delivery policy says: a latest-value channel holds one value (a
//! newer one replaces it, counted as conflated), reliable channels share a
//! bounded queue (past it a message is dropped, counted and logged).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;

/// One message for NATS.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub channel: u32,
    pub name: Arc<str>,
    pub subject: Arc<str>,
    pub encoding: Arc<str>,
    pub latest: bool,
    pub sequence: u64,
    pub content: Bytes,
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// Replaced an older value of the same latest-value channel.
    Conflated,
    /// The reliable queue was full: this message is lost.
    Dropped,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    latest: HashMap<u32, Outgoing>,
    /// Latest-value channels with a value waiting, oldest first.
    latest_order: VecDeque<u32>,
    reliable: VecDeque<Outgoing>,
    reliable_bytes: usize,
    max_reliable: usize,
    max_reliable_bytes: usize,
}

impl Outbox {
    pub(crate) fn new(max_reliable: usize, max_reliable_bytes: usize) -> Self {
        Self {
            latest: HashMap::new(),
            latest_order: VecDeque::new(),
            reliable: VecDeque::new(),
            reliable_bytes: 0,
            max_reliable,
            max_reliable_bytes,
        }
    }

    pub(crate) fn push(&mut self, message: Outgoing) -> Pushed {
        if message.latest {
            let channel = message.channel;
            if self.latest.insert(channel, message).is_some() {
                return Pushed::Conflated;
            }
            self.latest_order.push_back(channel);
            return Pushed::Queued;
        }
        let size = message.content.len();
        if self.reliable.len() >= self.max_reliable
            || (self.reliable_bytes + size > self.max_reliable_bytes && !self.reliable.is_empty())
        {
            return Pushed::Dropped;
        }
        self.reliable_bytes += size;
        self.reliable.push_back(message);
        Pushed::Queued
    }

    /// Takes up to `max` messages, reliable ones first (they are the ones
    /// that may be lost), then the latest values.
    pub(crate) fn take(&mut self, max: usize) -> Vec<Outgoing> {
        let mut taken = Vec::with_capacity(max.min(self.len()));
        while taken.len() < max {
            let Some(message) = self.reliable.pop_front() else {
                break;
            };
            self.reliable_bytes -= message.content.len();
            taken.push(message);
        }
        while taken.len() < max {
            let Some(channel) = self.latest_order.pop_front() else {
                break;
            };
            if let Some(message) = self.latest.remove(&channel) {
                taken.push(message);
            }
        }
        taken
    }

    /// Forgets a channel's waiting latest value (the channel is gone).
    pub(crate) fn forget(&mut self, channel: u32) {
        if self.latest.remove(&channel).is_some() {
            self.latest_order.retain(|c| *c != channel);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.reliable.len() + self.latest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: u32, latest: bool, sequence: u64) -> Outgoing {
        Outgoing {
            channel,
            name: "c".into(),
            subject: "s".into(),
            encoding: "raw".into(),
            latest,
            sequence,
            content: Bytes::from(vec![0u8; 10]),
        }
    }

    #[test]
    fn latest_values_conflate_and_reliable_ones_are_bounded() {
        let mut outbox = Outbox::new(2, 1000);
        assert_eq!(outbox.push(message(1, true, 1)), Pushed::Queued);
        assert_eq!(outbox.push(message(1, true, 2)), Pushed::Conflated);
        assert_eq!(outbox.push(message(2, false, 1)), Pushed::Queued);
        assert_eq!(outbox.push(message(2, false, 2)), Pushed::Queued);
        assert_eq!(outbox.push(message(2, false, 3)), Pushed::Dropped);
        assert_eq!(outbox.len(), 3);
        let taken = outbox.take(10);
        let seqs: Vec<_> = taken.iter().map(|m| (m.channel, m.sequence)).collect();
        assert_eq!(seqs, [(2, 1), (2, 2), (1, 2)]);
        assert_eq!(outbox.len(), 0);
    }

    #[test]
    fn the_byte_bound_holds_but_one_message_always_fits() {
        let mut outbox = Outbox::new(100, 15);
        assert_eq!(outbox.push(message(1, false, 1)), Pushed::Queued);
        assert_eq!(outbox.push(message(1, false, 2)), Pushed::Dropped);
        outbox.take(1);
        assert_eq!(outbox.push(message(1, false, 3)), Pushed::Queued);
    }
}
