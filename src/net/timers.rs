//! Deadlines the network thread waits for, in one min-heap. Entries are
//! checked against the live state when they fire, so cancelling costs
//! nothing; when the heap has doubled since it was last cleaned, stale
//! entries are dropped (amortized O(1) per timer).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::protocol::ClientId;

/// Heap size below which cleaning is not worth it.
const MIN_COMPACT_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The client must have sent a valid `Hello` by now.
    Handshake(ClientId),
    /// A closing connection must be gone by now.
    CloseGrace(ClientId),
    /// The game must have answered this client request by now.
    InboundRequest(ClientId, u64),
    /// The client must have answered this game request by now.
    OutboundRequest(ClientId, u64),
    /// Outbound connection `n` (in `HostConfig::dial` order) may try again.
    Dial(usize),
    /// Finder `i` looks for new peers (and checks its current ones).
    Look(usize),
}

#[derive(Debug)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Timer)>>,
    compact_at: usize,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            compact_at: MIN_COMPACT_LEN,
        }
    }
}

impl Timers {
    pub(crate) fn add(&mut self, at: Instant, timer: Timer) {
        self.heap.push(Reverse((at, timer)));
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes the next timer due at or before `now`; the caller checks
    /// whether it still matters.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => {
                let Reverse(entry) = self.heap.pop()?;
                Some(entry)
            }
            _ => None,
        }
    }

    /// Drops entries `is_live` rejects, once the heap has doubled.
    pub(crate) fn compact(&mut self, is_live: impl Fn(Instant, &Timer) -> bool) {
        if self.heap.len() < self.compact_at {
            return;
        }
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries
            .into_iter()
            .filter(|Reverse((at, timer))| is_live(*at, timer))
            .collect();
        self.compact_at = (2 * self.heap.len()).max(MIN_COMPACT_LEN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_and_compacts() {
        let mut t = Timers::default();
        let now = Instant::now();
        t.add(
            now + Duration::from_millis(5),
            Timer::CloseGrace(ClientId(2)),
        );
        t.add(now, Timer::Handshake(ClientId(1)));
        assert_eq!(
            t.pop_due(now).map(|e| e.1),
            Some(Timer::Handshake(ClientId(1)))
        );
        assert!(t.pop_due(now).is_none());
        for i in 0..2000 {
            t.add(now, Timer::InboundRequest(ClientId(3), i));
        }
        t.compact(|_, timer| !matches!(timer, Timer::InboundRequest(..)));
        assert_eq!(t.heap.len(), 1);
    }
}
