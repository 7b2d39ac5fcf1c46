//! How long the network thread may sleep while the game may be holding
//! sends back.
//!
//! A game answering a batch event by event has its sends signalled
//! together when it is done with the batch (`host::signal`). If it takes a
//! batch's last event and then stops calling the host, what it sent before
//! has not been signalled; the network thread finds it by looking at the
//! command queue again soon, never by sleeping forever:
//!
//! - while the game has a batch open: within [`OPEN_BATCH`];
//! - while events wait that the game has not started on (it can open a
//!   batch at any moment): within [`WAITING_EVENTS`] at first, then, the
//!   longer the game stays away, up to [`LONGEST`], so a host whose game
//!   never reads events is not woken a hundred times a second. Sleeping
//!   past [`WAITING_EVENTS`] is announced (`sleeping_long`), and a game
//!   opening a batch then wakes the network thread itself;
//! - otherwise (no waiting events, no open batch) nothing can be held
//!   back, and an idle host sleeps until something happens.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::handoff::Handoff;

pub(crate) const OPEN_BATCH: Duration = Duration::from_millis(1);
pub(crate) const WAITING_EVENTS: Duration = Duration::from_millis(10);
pub(crate) const LONGEST: Duration = Duration::from_secs(1);

/// The network thread's view of how long the game has left events waiting.
#[derive(Default)]
pub(crate) struct Recheck {
    /// Waiting events as last seen, and since when they stood at that.
    seen: Option<(usize, Instant)>,
}

impl Recheck {
    /// The longest the next `poll` may sleep for the game's sake.
    pub(crate) fn before_sleep(&mut self, handoff: &Handoff) -> Option<Duration> {
        // Waiting events first: a game takes an event only after opening
        // its batch, so reading them in this order misses neither.
        let waiting = handoff.queued_events.load(Ordering::Acquire);
        if handoff.batch_open() {
            self.seen = None;
            return Some(OPEN_BATCH);
        }
        if waiting == 0 {
            self.seen = None;
            return None;
        }
        let now = Instant::now();
        let since = match self.seen {
            Some((count, since)) if count == waiting => since,
            _ => {
                self.seen = Some((waiting, now));
                now
            }
        };
        let away = now.saturating_duration_since(since);
        if away < WAITING_EVENTS {
            return Some(WAITING_EVENTS);
        }
        handoff.sleeping_long.store(true, Ordering::SeqCst);
        if handoff.batch_open() {
            handoff.sleeping_long.store(false, Ordering::SeqCst);
            return Some(OPEN_BATCH);
        }
        Some(away.min(LONGEST))
    }

    /// `poll` returned.
    pub(crate) fn woke(&self, handoff: &Handoff) {
        handoff.sleeping_long.store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use mio::{Events, Poll, Token, Waker};

    use super::{LONGEST, OPEN_BATCH, Recheck, WAITING_EVENTS};
    use crate::net::Handoff;

    fn handoff(poll: &Poll) -> Handoff {
        let waker = Waker::new(poll.registry(), Token(7)).expect("waker");
        Handoff::new(waker, 16, 1 << 20)
    }

    #[test]
    fn an_idle_host_sleeps_until_something_happens() {
        let poll = Poll::new().expect("poll");
        let handoff = handoff(&poll);
        assert_eq!(Recheck::default().before_sleep(&handoff), None);
    }

    #[test]
    fn an_open_batch_is_looked_at_again_soon() {
        let poll = Poll::new().expect("poll");
        let handoff = handoff(&poll);
        handoff.open_batch();
        assert_eq!(Recheck::default().before_sleep(&handoff), Some(OPEN_BATCH));
    }

    #[test]
    fn events_the_game_leaves_waiting_are_looked_at_less_and_less_often() {
        let mut poll = Poll::new().expect("poll");
        let handoff = handoff(&poll);
        let mut recheck = Recheck::default();
        handoff.queued_events.store(3, Ordering::Release);
        assert_eq!(recheck.before_sleep(&handoff), Some(WAITING_EVENTS));
        std::thread::sleep(WAITING_EVENTS * 3);
        let longer = recheck.before_sleep(&handoff).expect("a bound");
        assert!(longer >= WAITING_EVENTS * 3 && longer <= LONGEST);
        assert!(handoff.sleeping_long.load(Ordering::SeqCst));

        // A game that opens a batch now wakes the sleeping network thread.
        let mut events = Events::with_capacity(4);
        handoff.open_batch();
        poll.poll(&mut events, Some(Duration::ZERO)).expect("poll");
        assert!(events.iter().any(|e| e.token() == Token(7)));
        recheck.woke(&handoff);
        assert_eq!(recheck.before_sleep(&handoff), Some(OPEN_BATCH));
    }

    #[test]
    fn the_game_taking_events_starts_the_count_again() {
        let poll = Poll::new().expect("poll");
        let handoff = handoff(&poll);
        let mut recheck = Recheck::default();
        handoff.queued_events.store(3, Ordering::Release);
        recheck.before_sleep(&handoff);
        std::thread::sleep(WAITING_EVENTS * 2);
        handoff.queued_events.store(2, Ordering::Release);
        assert_eq!(recheck.before_sleep(&handoff), Some(WAITING_EVENTS));
    }
}
