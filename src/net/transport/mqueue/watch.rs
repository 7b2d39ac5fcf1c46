//! Finding a client's queue pair, and noticing when its client is gone.
//!
//! A look is one `mq_open` that fails with `ENOENT` while nobody is there,
//! every `look_interval` on the network thread's timers. While a pair is
//! in use, the look checks instead that its client is still there: the
//! process id its parts carry still runs, and the names still lead to
//! the queues the host holds (a client that exits unlinks them).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::framing::MIN_SLOT;
use super::link::{Pair, QueueLink};
use super::queue::{End, Identity, Queue, effective_uid, process_alive};
use crate::net::config::MqueueConfig;
use crate::net::transport::{Finder, Link, Ring};

/// What the finder and the link of one pair share.
#[derive(Default)]
pub(super) struct Watch {
    /// The link is dropped (its queues unlinked).
    ended: AtomicBool,
    /// The client's process id, once a part gave it (0: not yet).
    client_pid: AtomicU32,
    /// Why the client is gone, once the finder noticed.
    gone: Mutex<Option<String>>,
    ring: Mutex<Option<Ring>>,
}

impl Watch {
    pub(super) fn saw_client(&self, pid: u32) {
        let _ = self
            .client_pid
            .compare_exchange(0, pid, Ordering::Relaxed, Ordering::Relaxed);
    }

    pub(super) fn set_ring(&self, ring: Ring) {
        *self.ring.lock().unwrap_or_else(PoisonError::into_inner) = Some(ring);
    }

    pub(super) fn gone(&self) -> Option<String> {
        self.gone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn ended(&self) {
        self.ended.store(true, Ordering::Release);
    }

    /// Makes the network thread read the link.
    pub(super) fn ring(&self) {
        if let Some(ring) = &*self.ring.lock().unwrap_or_else(PoisonError::into_inner) {
            ring.ring();
        }
    }

    /// The client is gone: the link ends at its next read.
    fn declare_gone(&self, reason: String) {
        let mut gone = self.gone.lock().unwrap_or_else(PoisonError::into_inner);
        if gone.is_none() {
            *gone = Some(reason);
            drop(gone);
            self.ring();
        }
    }
}

struct Current {
    watch: Arc<Watch>,
    in_identity: Identity,
}

pub(crate) struct QueueFinder {
    in_name: String,
    out_name: String,
    interval: Duration,
    max_message_size: usize,
    current: Option<Current>,
    /// A pair refused once (wrong owner, mode or size) is not reported on
    /// every look.
    refused_inode: Option<u64>,
}

impl QueueFinder {
    pub(crate) fn new(config: &MqueueConfig, game_pid: u32, max_message_size: usize) -> Self {
        let (in_name, out_name) = config.names(game_pid);
        tracing::info!("message queues: looking for {in_name} and {out_name}");
        Self {
            in_name,
            out_name,
            interval: config.look_interval,
            max_message_size,
            current: None,
            refused_inode: None,
        }
    }

    /// Checks the pair in use; `true` while it is still in use.
    fn check_current(&mut self) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        if current.watch.ended.load(Ordering::Acquire) {
            self.current = None;
            return false;
        }
        let pid = current.watch.client_pid.load(Ordering::Relaxed);
        if pid != 0 && !process_alive(pid) {
            current
                .watch
                .declare_gone(format!("client process {pid} is gone"));
            return true;
        }
        let same = match Queue::open(&self.in_name, End::Read).and_then(|q| q.identity()) {
            Ok(found) => found.inode == current.in_identity.inode,
            Err(e) => e.kind() != io::ErrorKind::NotFound,
        };
        if !same {
            current
                .watch
                .declare_gone("the client removed its queues".to_owned());
        }
        true
    }

    /// Opens a pair the client has made, if it is complete and safe.
    fn open_pair(&mut self) -> Option<Pair> {
        let inbound = match Queue::open(&self.in_name, End::Read) {
            Ok(q) => q,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::debug!("message queues: cannot open {}: {e}", self.in_name);
                return None;
            }
        };
        // The client makes In first; Out may follow a moment later.
        let outbound = Queue::open(&self.out_name, End::Write).ok()?;
        let in_identity = inbound.identity().ok()?;
        let out_identity = outbound.identity().ok()?;
        let in_slot = inbound.slot_size().ok()?;
        let out_slot = outbound.slot_size().ok()?;
        let uid = effective_uid();
        let problem = if in_identity.uid != uid || out_identity.uid != uid {
            Some("they belong to another user".to_owned())
        } else if (in_identity.mode | out_identity.mode) & 0o077 != 0 {
            Some("others may use them (mode must be 0600)".to_owned())
        } else if in_slot < MIN_SLOT || out_slot < MIN_SLOT {
            Some(format!("their slots are smaller than {MIN_SLOT} bytes"))
        } else {
            None
        };
        if let Some(problem) = problem {
            if self.refused_inode != Some(in_identity.inode) {
                self.refused_inode = Some(in_identity.inode);
                tracing::warn!(
                    "message queues {} and {} left alone: {problem}",
                    self.in_name,
                    self.out_name
                );
            }
            return None;
        }
        Some(Pair {
            inbound,
            outbound,
            in_identity,
            out_identity,
            in_slot,
            out_slot,
        })
    }
}

impl Finder for QueueFinder {
    fn interval(&self) -> Duration {
        self.interval
    }

    fn look(&mut self) -> Option<Box<dyn Link>> {
        if self.check_current() {
            return None;
        }
        let pair = self.open_pair()?;
        tracing::debug!("message queues: client found at {}", self.in_name);
        let watch = Arc::new(Watch::default());
        self.current = Some(Current {
            watch: Arc::clone(&watch),
            in_identity: pair.in_identity,
        });
        Some(Box::new(QueueLink::new(pair, watch, self.max_message_size)))
    }
}
