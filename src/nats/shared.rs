//! What the bridge's two threads share: the outbox, the counters, the
//! channel list, and the bells that wake each side.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::announce::{BridgeStats, BridgedChannel};
use super::outbox::{Outbox, Outgoing, Pushed};

/// The channel list as last announced.
#[derive(Debug, Default)]
pub(crate) struct ChannelList {
    pub bridged: Vec<BridgedChannel>,
    pub unbridged: Vec<String>,
    /// Bumped on every change, so the NATS side knows to announce.
    pub version: u64,
}

pub(crate) struct Shared {
    outbox: Mutex<Outbox>,
    stats: Mutex<BridgeStats>,
    channels: Mutex<ChannelList>,
    /// Rung when the outbox has something, the channels changed, or the
    /// connection came back.
    pub wake_nats: Notify,
    /// Rung once, to stop the NATS side.
    pub stopping: Notify,
    stop: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(outbox: Outbox) -> Self {
        Self {
            outbox: Mutex::new(outbox),
            stats: Mutex::new(BridgeStats::default()),
            channels: Mutex::new(ChannelList::default()),
            wake_nats: Notify::new(),
            stopping: Notify::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// Queues a message for NATS and counts what the queue did with it.
    pub(crate) fn push(&self, message: Outgoing) {
        let name = message.name.clone();
        let pushed = lock(&self.outbox).push(message);
        let mut stats = lock(&self.stats);
        match pushed {
            Pushed::Queued => {}
            Pushed::Conflated => stats.conflated += 1,
            Pushed::Dropped => {
                stats.reliable_dropped += 1;
                // Loud, but not once per message in a long outage.
                if stats.reliable_dropped.is_power_of_two() {
                    tracing::warn!(
                        "NATS bridge: reliable queue full, dropped a message on {name} \
                         ({} dropped so far)",
                        stats.reliable_dropped
                    );
                }
            }
        }
        drop(stats);
        self.wake_nats.notify_one();
    }

    pub(crate) fn take(&self, max: usize) -> Vec<Outgoing> {
        lock(&self.outbox).take(max)
    }

    pub(crate) fn forget(&self, channel: u32) {
        lock(&self.outbox).forget(channel);
    }

    pub(crate) fn stats(&self) -> BridgeStats {
        let queued = lock(&self.outbox).len() as u64;
        let mut stats = lock(&self.stats).clone();
        stats.queued = queued;
        stats
    }

    pub(crate) fn count(&self, change: impl FnOnce(&mut BridgeStats)) {
        change(&mut lock(&self.stats));
    }

    pub(crate) fn set_channels(&self, bridged: Vec<BridgedChannel>, unbridged: Vec<String>) {
        let mut list = lock(&self.channels);
        if list.bridged != bridged || list.unbridged != unbridged {
            list.bridged = bridged;
            list.unbridged = unbridged;
            list.version += 1;
            drop(list);
            self.wake_nats.notify_one();
        }
    }

    /// The channel list and its version.
    pub(crate) fn channels(&self) -> (Vec<BridgedChannel>, Vec<String>, u64) {
        let list = lock(&self.channels);
        (list.bridged.clone(), list.unbridged.clone(), list.version)
    }

    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.stopping.notify_one();
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }
}
