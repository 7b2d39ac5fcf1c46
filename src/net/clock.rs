//! The time stamped on what the host sends.
//!
//! `Data.timestamp_ns` says when the host sent a message. The network
//! thread stamps the messages it encodes when it takes them from the game,
//! reading the clock once per loop turn however many it takes: the game's
//! thread then reads no clock per send, and the messages of one turn leave
//! within microseconds of each other anyway.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch; zero if the clock is before it.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The clock as read once for this loop turn.
#[derive(Default)]
pub(crate) struct TurnClock(Option<u64>);

impl TurnClock {
    pub(crate) fn now_ns(&mut self) -> u64 {
        *self.0.get_or_insert_with(now_ns)
    }

    /// A new turn: the next stamp reads the clock again.
    pub(crate) fn next_turn(&mut self) {
        self.0 = None;
    }
}
