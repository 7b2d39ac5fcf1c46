//! When the network thread hears about the game's sends.
//!
//! Every send is queued at once; telling the network thread costs a
//! syscall, and on a machine where both threads share a core the woken
//! thread usually runs straight away, so a wake per answer turns a batch of
//! events into a context switch per event. A game thread that answers
//! events one by one from a batch it holds will be back for the rest of
//! that batch, and after its last event will either answer it or ask for
//! more, so its sends are signalled together:
//!
//! - taking an event opens the batch; it stays open until the game's next
//!   call after the batch's last event: a send (the last event's answer),
//!   a look for more events, or the end of a drain;
//! - a send while the batch is open and events of it are still waiting is
//!   counted, not signalled;
//! - the call that closes the batch wakes the network thread once for
//!   everything queued, and so does any send outside a batch (a publisher
//!   thread, a lone request), and the [`MAX_UNSIGNALLED`]th held-back send.
//!
//! So a batch answered event by event costs one wake-up. A game that takes
//! a batch's last event and then stops calling the host leaves its batch
//! open; the network thread does not sleep for long while a batch is open
//! or events wait for the game (`Handoff::recheck_after`), so what that
//! game sent earlier still goes within about a millisecond.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::net::Handoff;

/// Sends that may wait for one wake-up: bounds the extra latency for a game
/// that takes one event at a time and does something slow between them.
pub(crate) const MAX_UNSIGNALLED: usize = 64;

#[derive(Default)]
pub(crate) struct Signal {
    /// Events of the current batch not yet handed to the game.
    held: AtomicUsize,
    /// Sends queued since the network thread was last woken.
    unsignalled: AtomicUsize,
}

impl Signal {
    /// The game is taking an event of a batch that has `left` more still
    /// to hand out. Called before the event leaves the queue's gauges, so
    /// the network thread never sees neither (see `Handoff::recheck_after`).
    pub(crate) fn holding(&self, left: usize, handoff: &Handoff) {
        handoff.open_batch();
        self.held.store(left, Ordering::Release);
    }

    /// A send was queued: wake the network thread now, or with the rest.
    pub(crate) fn sent(&self, handoff: &Handoff) {
        if self.held.load(Ordering::Acquire) > 0 {
            if self.unsignalled.fetch_add(1, Ordering::AcqRel) + 1 < MAX_UNSIGNALLED {
                return;
            }
        } else {
            // The answer to the batch's last event, or a send outside one.
            handoff.close_batch();
        }
        self.wake(handoff);
    }

    /// Wakes the network thread for everything queued so far.
    pub(crate) fn wake(&self, handoff: &Handoff) {
        self.unsignalled.store(0, Ordering::Release);
        handoff.wake();
    }

    /// The game is back for more events, or its drain ended: the batch is
    /// over, and what it held back goes.
    pub(crate) fn flush(&self, handoff: &Handoff) {
        self.held.store(0, Ordering::Release);
        handoff.close_batch();
        if self.unsignalled.load(Ordering::Acquire) > 0 {
            self.wake(handoff);
        }
    }
}
#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use mio::{Events, Poll, Token, Waker};

    use super::{MAX_UNSIGNALLED, Signal};
    use crate::net::Handoff;

    /// A real waker on a real poll: `woken` says whether the network
    /// thread would have been woken since the last look.
    struct Net {
        poll: Poll,
        events: Events,
        handoff: Handoff,
    }

    impl Net {
        fn new() -> Self {
            let poll = Poll::new().expect("poll");
            let waker = Waker::new(poll.registry(), Token(7)).expect("waker");
            Self {
                poll,
                events: Events::with_capacity(4),
                handoff: Handoff::new(waker, 16, 1 << 20),
            }
        }

        fn woken(&mut self) -> bool {
            self.poll
                .poll(&mut self.events, Some(Duration::ZERO))
                .expect("poll");
            let woken = self.events.iter().any(|e| e.token() == Token(7));
            // What the network thread does after each turn.
            self.handoff.wake_pending.store(false, Ordering::Release);
            woken
        }
    }

    #[test]
    fn sends_outside_a_batch_wake_at_once() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.sent(&net.handoff);
        assert!(net.woken());
        assert!(!net.handoff.batch_open());
    }

    #[test]
    fn a_batch_answered_event_by_event_wakes_once() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.holding(2, &net.handoff);
        signal.sent(&net.handoff);
        signal.holding(1, &net.handoff);
        signal.sent(&net.handoff);
        assert!(!net.woken(), "answers to a batch's first events wait");
        signal.holding(0, &net.handoff);
        assert!(!net.woken(), "taking the last event leaves the batch open");
        assert!(
            net.handoff.batch_open(),
            "so the network thread rechecks soon"
        );
        signal.sent(&net.handoff);
        assert!(net.woken(), "the last event's answer sends them all");
        assert!(!net.handoff.batch_open());
        signal.flush(&net.handoff);
        assert!(!net.woken(), "nothing left to flush");
    }

    #[test]
    fn coming_back_for_more_ends_the_batch() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.holding(1, &net.handoff);
        signal.sent(&net.handoff);
        signal.holding(0, &net.handoff);
        assert!(!net.woken());
        signal.flush(&net.handoff);
        assert!(net.woken(), "what the batch held back goes");
        assert!(!net.handoff.batch_open());
    }

    #[test]
    fn a_drain_that_stops_early_flushes() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.holding(5, &net.handoff);
        signal.sent(&net.handoff);
        assert!(!net.woken());
        signal.flush(&net.handoff);
        assert!(net.woken());
    }

    #[test]
    fn a_game_that_never_comes_back_is_woken_for_after_the_cap() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.holding(1_000, &net.handoff);
        for _ in 1..MAX_UNSIGNALLED {
            signal.sent(&net.handoff);
        }
        assert!(!net.woken());
        signal.sent(&net.handoff);
        assert!(net.woken());
        assert!(net.handoff.batch_open(), "the batch is not over");
    }
}
