//! The network thread's state apart from its connections, so a handler can
//! hold one session and this at the same time: the config, the router, the
//! timers, the list of sessions to write, and the game's event queue.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::{Sender, TrySendError};

use super::clock::TurnClock;
use super::config::NetConfig;
use super::event::HostEvent;
use super::handoff::Handoff;
use super::router::Router;
use super::scratch::Scratch;
use super::timers::Timers;
use crate::protocol::ClientId;

pub(crate) struct Core {
    pub config: Arc<NetConfig>,
    pub router: Router,
    pub timers: Timers,
    /// Sessions with something to write, written at the end of the turn.
    pub write_list: Vec<ClientId>,
    events: Sender<Vec<HostEvent>>,
    /// This turn's events, handed to the game in one batch at its end: one
    /// queue operation and at most one wake-up of the game per turn, not
    /// one per event. They count against the queue's bounds already.
    batch: Vec<HostEvent>,
    batch_bytes: usize,
    /// Events that found no room, in order; reading stops while any wait.
    backlog: VecDeque<HostEvent>,
    pub handoff: Arc<Handoff>,
    /// The game dropped its end of the event queue.
    pub game_gone: bool,
    pub clock: TurnClock,
    pub scratch: Scratch,
}

impl Core {
    pub(crate) fn new(
        config: Arc<NetConfig>,
        events: Sender<Vec<HostEvent>>,
        handoff: Arc<Handoff>,
    ) -> Self {
        Self {
            config,
            router: Router::default(),
            timers: Timers::default(),
            write_list: Vec::new(),
            events,
            batch: Vec::new(),
            batch_bytes: 0,
            backlog: VecDeque::new(),
            handoff,
            game_gone: false,
            clock: TurnClock::default(),
            scratch: Scratch::default(),
        }
    }

    /// Hands an event to the game (at the end of this turn). When the
    /// game's queue has no room the event waits in the backlog, in order,
    /// and reading stops until the game drains.
    pub(crate) fn emit(&mut self, event: HostEvent) {
        if self.backlog.is_empty() && self.fits(&event) {
            self.add_to_batch(event);
            return;
        }
        self.backlog.push_back(event);
        self.handoff
            .waiting_for_space
            .store(true, Ordering::Release);
        // The game may have drained between the check and the flag; look
        // once more so no wake-up is lost.
        self.flush_backlog();
    }

    /// Whether the game's queue has room for `event` beside this turn's
    /// batch: bounded by count, and by bytes of client frames (one frame
    /// always fits in an empty queue, however large).
    fn fits(&self, event: &HostEvent) -> bool {
        let queued = self.handoff.queued_events.load(Ordering::Acquire) + self.batch.len();
        if queued >= self.handoff.queued_events_limit {
            return false;
        }
        let size = event.queued_size();
        let bytes = self.handoff.queued_bytes.load(Ordering::Acquire) + self.batch_bytes;
        size == 0 || bytes == 0 || bytes + size <= self.handoff.queued_bytes_limit
    }

    fn add_to_batch(&mut self, event: HostEvent) {
        self.batch_bytes += event.queued_size();
        self.batch.push(event);
    }

    /// Moves waiting events into the batch as far as the game made room.
    pub(crate) fn flush_backlog(&mut self) {
        while let Some(event) = self.backlog.pop_front() {
            if !self.fits(&event) {
                self.backlog.push_front(event);
                self.handoff
                    .waiting_for_space
                    .store(true, Ordering::Release);
                return;
            }
            self.add_to_batch(event);
        }
    }

    /// Hands this turn's events to the game, as one batch.
    pub(crate) fn send_batch(&mut self) {
        if self.batch.is_empty() || self.game_gone {
            self.batch.clear();
            self.batch_bytes = 0;
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let (count, bytes) = (batch.len(), std::mem::take(&mut self.batch_bytes));
        // Counted before they are visible, so the game's decrements never
        // run ahead of these.
        self.handoff
            .queued_events
            .fetch_add(count, Ordering::AcqRel);
        self.handoff.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        match self.events.try_send(batch) {
            Ok(()) => {}
            // Never full: a batch holds at least one event, and the queue
            // holds at most `inbound_queue` of them, so there are never more
            // batches than its capacity.
            Err(TrySendError::Full(batch)) => {
                tracing::error!(
                    "event queue full although counted: {} events held",
                    batch.len()
                );
                self.uncount(count, bytes);
                self.backlog.extend(batch);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.uncount(count, bytes);
                self.game_gone = true;
                self.backlog.clear();
            }
        }
    }

    fn uncount(&self, count: usize, bytes: usize) {
        self.handoff
            .queued_events
            .fetch_sub(count, Ordering::AcqRel);
        self.handoff.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// True while events wait for room in the game's queue.
    pub(crate) fn stalled(&self) -> bool {
        !self.backlog.is_empty()
    }
}
