//! [`Host::drain_events`](super::Host::drain_events): the game's per-frame
//! read of the event queue.
//!
//! A drain takes whole batches off the shared queue under one lock and
//! accounts for them with one update of the queue's gauges, then hands the
//! events out without touching anything shared: taking events one at a
//! time cost a lock and four atomic operations per event. While it runs,
//! the game's sends are signalled together (see `signal`), once when the
//! drain ends.

use std::collections::VecDeque;

use super::Host;
use crate::net::HostEvent;

pub(super) struct Drain<'a> {
    host: &'a Host,
    /// Taken off the shared queue, not handed out yet.
    local: VecDeque<HostEvent>,
    /// How many more events this drain may take (one queue's worth, so a
    /// flood cannot hold a frame forever).
    left: usize,
    done: bool,
}

impl<'a> Drain<'a> {
    pub(super) fn new(host: &'a Host, limit: usize) -> Self {
        // Sends from here on wait for the end of the drain (or the cap).
        host.signal.holding(1, &host.handoff);
        Self {
            host,
            local: VecDeque::new(),
            left: limit,
            done: false,
        }
    }

    /// Moves the next batch (what an earlier `try_event` left, or one
    /// batch from the network thread) into `local`.
    fn refill(&mut self) {
        let host = self.host;
        let mut taken = host.taken();
        if taken.is_empty() {
            match host.events.try_recv() {
                Ok(batch) => taken.extend(batch),
                Err(_) => return,
            }
        }
        if taken.len() > self.left {
            let rest = taken.split_off(self.left);
            std::mem::swap(&mut self.local, &mut taken);
            *taken = rest;
        } else {
            std::mem::swap(&mut self.local, &mut taken);
        }
        drop(taken);
        self.left -= self.local.len();
        let bytes = self.local.iter().map(HostEvent::queued_size).sum();
        host.handoff.took_many(self.local.len(), bytes);
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.host.signal.flush(&self.host.handoff);
        }
    }
}

impl Iterator for Drain<'_> {
    type Item = HostEvent;

    fn next(&mut self) -> Option<HostEvent> {
        if self.local.is_empty() && self.left > 0 && !self.done {
            self.refill();
        }
        let event = self.local.pop_front();
        if event.is_none() {
            self.finish();
        }
        event
    }
}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        if !self.local.is_empty() {
            // Left early: the events not handed out go back first in line.
            let host = self.host;
            let bytes = self.local.iter().map(HostEvent::queued_size).sum();
            host.handoff.gave_back(self.local.len(), bytes);
            let mut taken = host.taken();
            while let Some(event) = self.local.pop_back() {
                taken.push_front(event);
            }
        }
        self.finish();
    }
}
