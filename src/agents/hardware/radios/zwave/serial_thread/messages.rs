//! What crosses between the callers and the serial thread: the messages
//! into the thread (frames to send, callbacks to wait for), and the status
//! and counters it keeps for everyone to read.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::super::error::ZWaveError;
use super::super::frame::FunctionId;
use super::super::received::{Callback, Response};

/// Counters kept by the transport thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Data frames sent for the first time.
    pub frames_sent: u64,
    /// Data frames sent again after `NAK`, `CAN` or an `ACK` timeout.
    pub retransmissions: u64,
    /// Requests that failed for lack of an `ACK`.
    pub undelivered: u64,
    /// Valid data frames received (and acknowledged).
    pub frames_received: u64,
    /// Received data frames with a bad checksum (answered with `NAK`).
    pub checksum_errors: u64,
    /// Bytes skipped as noise or dropped as incomplete frames.
    pub bytes_discarded: u64,
    /// Callbacks dropped because an event receiver was full.
    pub events_dropped: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) frames_sent: AtomicU64,
    pub(crate) retransmissions: AtomicU64,
    pub(crate) undelivered: AtomicU64,
    pub(crate) frames_received: AtomicU64,
    pub(crate) checksum_errors: AtomicU64,
    pub(crate) bytes_discarded: AtomicU64,
    pub(crate) events_dropped: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> TransportStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TransportStats {
            frames_sent: get(&self.frames_sent),
            retransmissions: get(&self.retransmissions),
            undelivered: get(&self.undelivered),
            frames_received: get(&self.frames_received),
            checksum_errors: get(&self.checksum_errors),
            bytes_discarded: get(&self.bytes_discarded),
            events_dropped: get(&self.events_dropped),
        }
    }
}

pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// Whether the serial thread still runs (and why not), and its counters;
/// read by every handle without asking the thread.
#[derive(Default)]
pub(crate) struct SerialThreadStatus {
    /// Set once, when the thread stops.
    pub(crate) stopped: Mutex<Option<String>>,
    pub(crate) counters: Counters,
}

impl SerialThreadStatus {
    pub(crate) fn is_running(&self) -> bool {
        self.stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    pub(crate) fn record_stop(&self, reason: String) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
    }

    /// The error every call gets once the thread has stopped.
    pub(crate) fn disconnected(&self) -> ZWaveError {
        let reason = self
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "transport thread stopped".to_owned());
        ZWaveError::Disconnected { reason }
    }
}

/// Picks the callback a waiter is after.
pub(crate) type Matcher = Box<dyn FnMut(&Callback) -> bool + Send>;

/// Where the outcome of an outgoing frame goes.
pub(crate) enum ReplyTo {
    /// The frame has no response: done once acknowledged.
    Ack(Sender<Result<(), ZWaveError>>),
    /// The frame's response, matched by function id.
    Response(Sender<Result<Response, ZWaveError>>),
}

/// A data frame waiting for its turn on the wire, and who wants to know
/// how it went.
pub(crate) struct OutgoingFrame {
    pub(crate) func_id: FunctionId,
    pub(crate) bytes: Vec<u8>,
    /// `None`: the request has no response; done once acknowledged.
    pub(crate) response_timeout: Option<Duration>,
    /// Once past it, the frame is not sent (again): the caller gave up.
    pub(crate) give_up: Option<Instant>,
    pub(crate) reply: ReplyTo,
}

impl OutgoingFrame {
    pub(crate) fn fail(self, error: ZWaveError) {
        // A caller that gave up has dropped its receiver; nothing to do.
        match self.reply {
            ReplyTo::Ack(tx) => drop(tx.send(Err(error))),
            ReplyTo::Response(tx) => drop(tx.send(Err(error))),
        }
    }
}

/// Someone waiting for one callback.
pub(crate) struct CallbackWaiter {
    pub(crate) token: u64,
    /// Whether a matched callback is withheld from event subscribers.
    pub(crate) consume: bool,
    pub(crate) matcher: Matcher,
    pub(crate) reply: SyncSender<Callback>,
}

/// A message to the serial thread.
pub(crate) enum ToSerialThread {
    Send(OutgoingFrame),
    Expect(CallbackWaiter),
    /// Withdraws the waiter with this token.
    Cancel(u64),
    Subscribe(SyncSender<Callback>),
    Shutdown,
}

/// The sending half shared by the controller and its pending callbacks.
#[derive(Clone)]
pub(crate) struct SerialThreadHandle {
    pub(crate) sender: Sender<ToSerialThread>,
    pub(crate) waker: Arc<UnixStream>,
    pub(crate) status: Arc<SerialThreadStatus>,
}

impl SerialThreadHandle {
    pub(crate) fn send(&self, message: ToSerialThread) -> Result<(), ZWaveError> {
        self.sender
            .send(message)
            .map_err(|_| self.status.disconnected())?;
        // One byte wakes the thread's poll. If the socket buffer is full the
        // thread has plenty of wake-ups pending already.
        let _ = (&*self.waker).write(&[1]);
        Ok(())
    }
}
