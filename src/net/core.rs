//! The network thread's state apart from its connections, so a handler can
//! hold one session and this at the same time: the config, the router, the
//! timers, the list of sessions to write, and the game's event queue.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::{Sender, TrySendError};

use super::config::NetConfig;
use super::event::HostEvent;
use super::handoff::Handoff;
use super::router::Router;
use super::timers::Timers;
use crate::protocol::ClientId;

pub(crate) struct Core {
    pub config: Arc<NetConfig>,
    pub router: Router,
    pub timers: Timers,
    /// Sessions with something to write, written at the end of the turn.
    pub write_list: Vec<ClientId>,
    events: Sender<HostEvent>,
    backlog: VecDeque<HostEvent>,
    pub handoff: Arc<Handoff>,
    /// The game dropped its end of the event queue.
    pub game_gone: bool,
}

impl Core {
    pub(crate) fn new(
        config: Arc<NetConfig>,
        events: Sender<HostEvent>,
        handoff: Arc<Handoff>,
    ) -> Self {
        Self {
            config,
            router: Router::default(),
            timers: Timers::default(),
            write_list: Vec::new(),
            events,
            backlog: VecDeque::new(),
            handoff,
            game_gone: false,
        }
    }

    /// Hands an event to the game. When the game's queue is full the event
    /// waits in the backlog (in order) and reading stops until it drains.
    pub(crate) fn emit(&mut self, event: HostEvent) {
        if !self.backlog.is_empty() {
            self.backlog.push_back(event);
            return;
        }
        if let Err(event) = self.offer(event) {
            self.backlog.push_back(event);
            self.handoff
                .waiting_for_space
                .store(true, Ordering::Release);
            // The game may have drained between the failed offer and the
            // flag; try once more so no wake-up is lost.
            self.flush_backlog();
        }
    }

    /// Puts an event in the game's queue unless it is full (by count, or by
    /// bytes of client frames); gives the event back when it is.
    fn offer(&mut self, event: HostEvent) -> Result<(), HostEvent> {
        let size = event.queued_size();
        let queued = &self.handoff.queued_bytes;
        if size > 0 {
            let before = queued.fetch_add(size, Ordering::AcqRel);
            // One frame always fits in an empty queue, however large.
            if before > 0 && before + size > self.handoff.queued_bytes_limit {
                queued.fetch_sub(size, Ordering::AcqRel);
                return Err(event);
            }
        }
        match self.events.try_send(event) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(event)) => {
                queued.fetch_sub(size, Ordering::AcqRel);
                Err(event)
            }
            Err(TrySendError::Disconnected(_)) => {
                queued.fetch_sub(size, Ordering::AcqRel);
                self.game_gone = true;
                Ok(())
            }
        }
    }

    pub(crate) fn flush_backlog(&mut self) {
        while let Some(event) = self.backlog.pop_front() {
            if let Err(event) = self.offer(event) {
                self.backlog.push_front(event);
                self.handoff
                    .waiting_for_space
                    .store(true, Ordering::Release);
                return;
            }
            if self.game_gone {
                self.backlog.clear();
                return;
            }
        }
    }

    /// True while events wait for room in the game's queue.
    pub(crate) fn stalled(&self) -> bool {
        !self.backlog.is_empty()
    }
}
