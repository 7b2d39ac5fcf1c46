//! An in-memory pair of message queues: a link without a socket, for tests
//! of the session core and for tools that live in the game's own process.
//!
//! The host's end is a [`Link`] on the network thread; the other end is a
//! [`MemoryConnection`], used from any thread and blocking like a socket
//! does. Both directions are bounded: a client that sends faster than the
//! host reads waits in [`MemoryConnection::send`], and a client that does
//! not read is, past the bound, a slow consumer like any other.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mio::{Registry, Token};

use super::{Broken, Flow, Incoming, Link, Payload, Ring};
use crate::net::event::Peer;
use crate::protocol::CloseCode;

/// Messages either direction holds before the sender must wait.
const LANE_MESSAGES: usize = 256;
/// Bytes either direction holds before the sender must wait (one message
/// always fits, however large).
const LANE_BYTES: usize = 1 << 20;

/// Why a [`MemoryConnection`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryError {
    /// The host's end is gone (closed, or the host stopped).
    #[error("the host's end of the in-memory connection is gone")]
    HostGone,
    /// This end already sent its close.
    #[error("this end already closed the connection")]
    Closed,
    /// Nothing arrived, or no room came free, in time.
    #[error("timed out")]
    Timeout,
}

/// What a [`MemoryConnection`] receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryIncoming {
    /// One frame from the host.
    Frame(Bytes),
    /// The host's close: a WebSocket close code and its reason.
    Closed {
        /// The close code (the same numbers as over WebSocket).
        code: u16,
        /// Why.
        reason: String,
    },
    /// The host will send nothing more.
    Ended,
}

enum Item {
    Message(Payload),
    Close(u16, String),
}

impl Item {
    fn len(&self) -> usize {
        match self {
            Item::Message(p) => p.len(),
            Item::Close(_, reason) => reason.len(),
        }
    }
}

#[derive(Default)]
struct Lane {
    items: VecDeque<Item>,
    bytes: usize,
    /// The sender will put nothing more here.
    finished: bool,
}

impl Lane {
    fn push(&mut self, item: Item) {
        self.bytes += item.len();
        self.items.push_back(item);
    }

    fn pop(&mut self) -> Option<Item> {
        let item = self.items.pop_front()?;
        self.bytes -= item.len();
        Some(item)
    }

    fn full(&self) -> bool {
        self.items.len() >= LANE_MESSAGES || (self.bytes >= LANE_BYTES && !self.items.is_empty())
    }
}

#[derive(Default)]
struct State {
    to_host: Lane,
    to_client: Lane,
    /// The host read until empty; ring when something arrives.
    host_wants_read: bool,
    /// The host found the client's lane full; ring when it drains.
    host_wants_write: bool,
    /// A [`MemoryWaker`] asked the client's waiting `recv` to return.
    woken: bool,
    ring: Option<Ring>,
}

struct Pair {
    state: Mutex<State>,
    /// The client waits here for frames, or for room.
    changed: Condvar,
}

impl Pair {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the other end to change something, until `deadline`.
    fn wait<'a>(
        &self,
        state: MutexGuard<'a, State>,
        deadline: Instant,
    ) -> Result<MutexGuard<'a, State>, MemoryError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(MemoryError::Timeout);
        }
        Ok(self
            .changed
            .wait_timeout(state, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0)
    }
}

/// Makes a connected pair: the host's link and the client's end.
pub(crate) fn pair(max_message_size: usize) -> (MemoryLink, MemoryConnection) {
    let pair = Arc::new(Pair {
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
    });
    (
        MemoryLink {
            pair: Arc::clone(&pair),
            max_message_size,
            close_sent: false,
            close_received: false,
        },
        MemoryConnection {
            pair,
            closed: false,
        },
    )
}

/// The host's end.
pub(crate) struct MemoryLink {
    pair: Arc<Pair>,
    max_message_size: usize,
    close_sent: bool,
    close_received: bool,
}

impl MemoryLink {
    fn flow(state: &mut State) -> Flow {
        if state.to_client.full() {
            state.host_wants_write = true;
            Flow::Blocked
        } else {
            Flow::Ready
        }
    }

    fn push_to_client(&mut self, item: Item) -> Result<Flow, Broken> {
        let mut state = self.pair.lock();
        if state.to_client.finished {
            return Err(Broken::Closed);
        }
        state.to_client.push(item);
        let flow = Self::flow(&mut state);
        drop(state);
        self.pair.changed.notify_all();
        Ok(flow)
    }
}

impl MemoryLink {
    /// The host is done with this pair: the client sees the end.
    fn let_go(&mut self) {
        let mut state = self.pair.lock();
        state.ring = None;
        state.to_client.finished = true;
        drop(state);
        self.pair.changed.notify_all();
    }
}

impl Drop for MemoryLink {
    fn drop(&mut self) {
        self.let_go();
    }
}

impl Link for MemoryLink {
    fn peer(&self) -> Peer {
        Peer::Memory
    }

    fn register(&mut self, _registry: &Registry, _token: Token, doorbell: Ring) -> io::Result<()> {
        let mut state = self.pair.lock();
        // Frames sent before the host looked: the session reads them at
        // once, so no ring is needed for those.
        state.ring = Some(doorbell);
        Ok(())
    }

    fn deregister(&mut self, _registry: &Registry) {
        self.let_go();
    }

    fn read(&mut self) -> Incoming {
        let mut state = self.pair.lock();
        let item = state.to_host.pop();
        let took = item.is_some();
        let incoming = match item {
            Some(Item::Message(payload)) if payload.len() > self.max_message_size => {
                // The client's lane is dropped: after a violation the
                // session reads nothing more from this peer.
                state.to_host = Lane {
                    finished: true,
                    ..Lane::default()
                };
                Incoming::Violation(
                    CloseCode::MessageTooBig,
                    format!(
                        "message of {} bytes is larger than the limit of {} bytes",
                        payload.len(),
                        self.max_message_size
                    ),
                )
            }
            Some(Item::Message(payload)) => Incoming::Message(payload),
            Some(Item::Close(code, reason)) => {
                self.close_received = true;
                if !self.close_sent {
                    // Answer the close as a WebSocket does, with its code.
                    self.close_sent = true;
                    state.to_client.push(Item::Close(code, String::new()));
                }
                Incoming::CloseReceived(format!("client closed ({code} {reason})"))
            }
            None if state.to_host.finished || (self.close_received && self.close_sent) => {
                Incoming::Ended(None)
            }
            None => {
                state.host_wants_read = true;
                Incoming::WouldBlock
            }
        };
        drop(state);
        if took {
            // Room came free for a client waiting to send.
            self.pair.changed.notify_all();
        }
        incoming
    }

    fn send(&mut self, payload: Payload) -> Result<Flow, Broken> {
        self.push_to_client(Item::Message(payload))
    }

    fn flush(&mut self) -> Result<Flow, Broken> {
        let mut state = self.pair.lock();
        if state.to_client.finished && !self.close_sent {
            return Err(Broken::Closed);
        }
        Ok(Self::flow(&mut state))
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Flow {
        self.close_sent = true;
        self.push_to_client(Item::Close(code.code(), reason.to_owned()))
            .unwrap_or(Flow::Ready)
    }

    fn shutdown_write(&mut self) {
        self.pair.lock().to_client.finished = true;
        self.pair.changed.notify_all();
    }
}

/// The client's end of an in-memory connection to a host (see
/// [`Host::connect_in_memory`](crate::Host::connect_in_memory)). It carries
/// the same frames as a WebSocket would, under the same rules: `Hello`
/// first, the same limits, the same close codes.
pub struct MemoryConnection {
    pair: Arc<Pair>,
    closed: bool,
}

impl MemoryConnection {
    /// Sends one frame, waiting up to `timeout` while the host's side is
    /// full (the host stops reading while the game does not drain).
    pub fn send(&mut self, frame: impl Into<Bytes>, timeout: Duration) -> Result<(), MemoryError> {
        self.push(Item::Message(Payload::Binary(frame.into())), timeout)
    }

    /// Sends a close with a code and a reason; the host answers with its own.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), MemoryError> {
        self.push(Item::Close(code, reason.to_owned()), Duration::from_secs(5))?;
        self.closed = true;
        Ok(())
    }

    fn push(&mut self, item: Item, timeout: Duration) -> Result<(), MemoryError> {
        if self.closed {
            return Err(MemoryError::Closed);
        }
        let deadline = Instant::now() + timeout;
        let mut state = self.pair.lock();
        loop {
            if state.to_client.finished && state.ring.is_none() {
                return Err(MemoryError::HostGone);
            }
            if !state.to_host.full() {
                break;
            }
            state = self.pair.wait(state, deadline)?;
        }
        state.to_host.push(item);
        let inner = &mut *state;
        let ring = wake_host(&mut inner.host_wants_read, &inner.ring);
        drop(state);
        if let Some(ring) = ring {
            ring.ring();
        }
        Ok(())
    }

    /// Waits up to `timeout` for the next thing from the host.
    pub fn recv(&mut self, timeout: Duration) -> Result<MemoryIncoming, MemoryError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.pair.lock();
        loop {
            if let Some(item) = state.to_client.pop() {
                let inner = &mut *state;
                let ring = if inner.to_client.full() {
                    None
                } else {
                    wake_host(&mut inner.host_wants_write, &inner.ring)
                };
                drop(state);
                if let Some(ring) = ring {
                    ring.ring();
                }
                return Ok(match item {
                    Item::Message(Payload::Binary(frame) | Payload::Text(frame)) => {
                        MemoryIncoming::Frame(frame)
                    }
                    Item::Close(code, reason) => MemoryIncoming::Closed { code, reason },
                });
            }
            if state.to_client.finished {
                return Ok(MemoryIncoming::Ended);
            }
            if std::mem::take(&mut state.woken) {
                return Err(MemoryError::Timeout);
            }
            state = self.pair.wait(state, deadline)?;
        }
    }

    /// A handle another thread can use to make this end's waiting
    /// [`recv`](Self::recv) return early (with [`MemoryError::Timeout`],
    /// as if its time were up), so one thread can wait for the host and
    /// for work of its own at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use switchboard::memory::MemoryError;
    /// use switchboard::{Host, HostConfig};
    ///
    /// let host = Host::start(HostConfig::default().port(0))?;
    /// let mut connection = host.connect_in_memory()?;
    /// let waker = connection.waker();
    /// std::thread::spawn(move || waker.wake());
    /// // Returns as soon as the waker rings, not after an hour.
    /// assert_eq!(connection.recv(Duration::from_secs(3600)), Err(MemoryError::Timeout));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn waker(&self) -> MemoryWaker {
        MemoryWaker {
            pair: Arc::clone(&self.pair),
        }
    }
}

/// Wakes a [`MemoryConnection`]'s waiting `recv` from another thread (see
/// [`MemoryConnection::waker`]). A wake with nobody waiting makes the next
/// `recv` that finds nothing return at once.
#[derive(Clone)]
pub struct MemoryWaker {
    pair: Arc<Pair>,
}

impl MemoryWaker {
    /// Makes the waiting (or next) `recv` return.
    pub fn wake(&self) {
        self.pair.lock().woken = true;
        self.pair.changed.notify_all();
    }
}

impl std::fmt::Debug for MemoryWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryWaker").finish_non_exhaustive()
    }
}

/// Takes the host's interest, returning the bell to ring once the lock is
/// let go.
fn wake_host(wanted: &mut bool, ring: &Option<Ring>) -> Option<Ring> {
    if std::mem::take(wanted) {
        ring.clone()
    } else {
        None
    }
}

impl Drop for MemoryConnection {
    fn drop(&mut self) {
        let mut state = self.pair.lock();
        state.to_host.finished = true;
        let ring = state.ring.clone();
        drop(state);
        if let Some(ring) = ring {
            ring.ring();
        }
    }
}

impl std::fmt::Debug for MemoryConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryConnection")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}
