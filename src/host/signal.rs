//! When the network thread hears about the game's sends.
//!
//! Every send is queued at once; telling the network thread costs a
//! syscall, and on a machine where both threads share a core the woken
//! thread usually runs straight away, so a wake per answer turns a batch of
//! events into a context switch per event. A game thread that answers
//! events one by one from a batch it holds will be back for the rest of
//! that batch, so its sends are signalled together:
//!
//! - a send while the game holds no undelivered events of a batch (a
//!   publisher thread, the answer to a batch's last event, a lone request)
//!   wakes the network thread at once, carrying every send before it;
//! - a send while events of the batch are still waiting is counted, and
//!   signalled when the game takes the batch's last event (whether or not
//!   it answers that one), by any send that wakes at once, when a drain
//!   ends, or after [`MAX_UNSIGNALLED`] sends, whichever is first.
//!
//! So a batch costs at most two wake-ups however many events it holds.

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
    /// The game's batch now has `left` events still to hand out; with the
    /// last one taken, the answers held back so far go.
    pub(crate) fn holding(&self, left: usize, handoff: &Handoff) {
        self.held.store(left, Ordering::Release);
        if left == 0 {
            self.flush(handoff);
        }
    }

    /// A send was queued: wake the network thread now, or with the rest.
    pub(crate) fn sent(&self, handoff: &Handoff) {
        if self.held.load(Ordering::Acquire) > 0
            && self.unsignalled.fetch_add(1, Ordering::AcqRel) + 1 < MAX_UNSIGNALLED
        {
            return;
        }
        self.wake(handoff);
    }

    /// Wakes the network thread for everything queued so far.
    pub(crate) fn wake(&self, handoff: &Handoff) {
        self.unsignalled.store(0, Ordering::Release);
        handoff.wake();
    }

    /// Wakes the network thread if a send is still waiting for it.
    pub(crate) fn flush(&self, handoff: &Handoff) {
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
        signal.holding(0, &net.handoff);
        signal.sent(&net.handoff);
        assert!(net.woken());
    }

    #[test]
    fn sends_while_a_batch_is_held_wait_for_its_last_event() {
        let mut net = Net::new();
        let signal = Signal::default();
        signal.holding(2, &net.handoff);
        signal.sent(&net.handoff);
        signal.holding(1, &net.handoff);
        signal.sent(&net.handoff);
        assert!(!net.woken(), "answers to a batch's first events wait");
        signal.holding(0, &net.handoff);
        assert!(net.woken(), "taking the last event sends them");
        signal.sent(&net.handoff);
        assert!(net.woken(), "the answer to the last event goes at once");
        signal.flush(&net.handoff);
        assert!(!net.woken(), "nothing left to flush");
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
    }
}
