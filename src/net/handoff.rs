//! What the game's thread and the network thread share besides the two
//! queues: the waker, and the gauges that bound the game's event queue.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mio::Waker;

use super::event::HostEvent;

/// State both threads touch.
pub(crate) struct Handoff {
    waker: Waker,
    /// A wake is on its way; saves a syscall per command.
    pub(crate) wake_pending: AtomicBool,
    /// The network thread holds events the game's queue had no room for,
    /// and has stopped reading until the game drains.
    pub(crate) waiting_for_space: AtomicBool,
    /// Events handed to the game and not yet taken (the queue carries them
    /// in batches, so its own length does not count them).
    pub(crate) queued_events: AtomicUsize,
    pub(crate) queued_events_limit: usize,
    /// Bytes of client frames in the game's event queue, so the queue is
    /// bounded in memory and not only in count.
    pub(crate) queued_bytes: AtomicUsize,
    pub(crate) queued_bytes_limit: usize,
    /// The game is working through a batch and may be holding back sends
    /// until it is done (see `host::signal`).
    batch_open: AtomicBool,
    /// The network thread sleeps past the usual recheck (the game has not
    /// taken events for a while), so a game that opens a batch wakes it.
    pub(crate) sleeping_long: AtomicBool,
}

impl Handoff {
    pub(crate) fn new(waker: Waker, queued_events_limit: usize, queued_bytes_limit: usize) -> Self {
        Self {
            waker,
            wake_pending: AtomicBool::new(false),
            waiting_for_space: AtomicBool::new(false),
            queued_events: AtomicUsize::new(0),
            queued_events_limit,
            queued_bytes: AtomicUsize::new(0),
            queued_bytes_limit,
            batch_open: AtomicBool::new(false),
            sleeping_long: AtomicBool::new(false),
        }
    }

    /// The game took an event; called before the event leaves
    /// `queued_events`, so the network thread, which reads that first,
    /// always sees one or the other.
    pub(crate) fn open_batch(&self) {
        if self.batch_open.load(Ordering::Relaxed) {
            return;
        }
        // Sequentially consistent with `net::recheck`: either it sees the
        // batch open, or this sees it sleeping long and wakes it.
        if !self.batch_open.swap(true, Ordering::SeqCst)
            && self.sleeping_long.load(Ordering::SeqCst)
        {
            self.wake();
        }
    }

    pub(crate) fn batch_open(&self) -> bool {
        self.batch_open.load(Ordering::SeqCst)
    }

    /// The game is done with its batch and has signalled what it held back.
    pub(crate) fn close_batch(&self) {
        self.batch_open.store(false, Ordering::Release);
    }

    /// Wakes the network thread unless a wake is already pending.
    pub(crate) fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            self.wake_now();
        }
    }

    fn wake_now(&self) {
        if let Err(e) = self.waker.wake() {
            tracing::error!("cannot wake the network thread: {e}");
        }
    }

    /// Called by the game for each event it takes off the queue.
    pub(crate) fn took(&self, event: &HostEvent) {
        self.queued_events.fetch_sub(1, Ordering::AcqRel);
        let size = event.queued_size();
        if size > 0 {
            self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        }
        self.drained();
    }

    /// Called by the game for `count` events (of `bytes` frame bytes)
    /// taken off the queue at once.
    pub(crate) fn took_many(&self, count: usize, bytes: usize) {
        if count == 0 {
            return;
        }
        self.queued_events.fetch_sub(count, Ordering::AcqRel);
        if bytes > 0 {
            self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        }
        self.drained();
    }

    /// Called by the game for events it took and put back unhandled.
    pub(crate) fn gave_back(&self, count: usize, bytes: usize) {
        self.queued_events.fetch_add(count, Ordering::AcqRel);
        if bytes > 0 {
            self.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        }
    }

    /// Called by the game after taking events off the queue.
    pub(crate) fn drained(&self) {
        if self.waiting_for_space.load(Ordering::Acquire)
            && self.waiting_for_space.swap(false, Ordering::AcqRel)
        {
            self.wake_pending.store(true, Ordering::Release);
            self.wake_now();
        }
    }
}
