//! Deadlines the network thread waits for, in one min-heap. Entries are
//! checked against the live state when they fire, so cancelling is cheap;
//! the heap is rebuilt when stale entries outnumber live ones.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::host::ClientId;

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
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Timer)>>,
    live: usize,
}

impl Timers {
    pub(crate) fn add(&mut self, at: Instant, timer: Timer) {
        self.heap.push(Reverse((at, timer)));
        self.live += 1;
    }

    /// Records that a timer will be ignored when it fires.
    pub(crate) fn cancelled(&mut self) {
        self.live = self.live.saturating_sub(1);
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes the next timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, Timer)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => {
                let Reverse(entry) = self.heap.pop()?;
                Some(entry)
            }
            _ => None,
        }
    }

    /// Marks a popped timer as handled (it was live).
    pub(crate) fn fired(&mut self) {
        self.live = self.live.saturating_sub(1);
    }

    /// Drops stale entries once they outnumber the live ones.
    pub(crate) fn compact(&mut self, is_live: impl Fn(Instant, &Timer) -> bool) {
        if self.heap.len() <= 2 * self.live + 1024 {
            return;
        }
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries
            .into_iter()
            .filter(|Reverse((at, timer))| is_live(*at, timer))
            .collect();
        self.live = self.heap.len();
    }
}
