//! One client's session, whatever carries it: where it is in its life, its
//! subscriptions and requests in flight, its outbound queue, and moving
//! frames between that queue and its [`Link`].
//!
//! [`inbound`] decides what each frame the client sends does; [`outbound`]
//! queues frames for the client and closes it.

pub(crate) mod inbound;
pub(crate) mod outbound;
mod queue;

use std::time::Instant;

use bytes::Bytes;

pub(crate) use queue::{Class, OutboundQueue, Overflow};

use super::event::Peer;
use super::id_hash::IdMap;
use super::router::Subscriptions;
use super::transport::{Broken, Flow, Incoming, Link, Payload};
use crate::protocol::CloseCode;

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionState {
    /// Connected; only `Hello` is accepted.
    AwaitingHello,
    /// Welcomed.
    Open { name: String },
    /// A close was sent or received; waiting for the other side.
    Closing,
}

/// A request a client sent that the game has not answered yet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingInbound {
    pub channel: u32,
    pub deadline: Instant,
}

/// A request the game sent that the client has not answered yet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingOutbound {
    pub deadline: Instant,
}

/// What one read attempt produced, in the session's terms.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    Message(Payload),
    /// The link handled something itself (a ping, the peer's close); its
    /// reply may need flushing.
    Control,
    /// Nothing more to read right now.
    WouldBlock,
    /// The connection is finished; the string says why.
    Ended(String),
    /// The peer broke a rule; close with this code and reason.
    Violation(CloseCode, String),
}

pub(crate) struct Session {
    link: Box<dyn Link>,
    pub peer: Peer,
    pub state: SessionState,
    pub outbound: OutboundQueue,
    pub subscriptions: Subscriptions,
    pub pending_in: IdMap<u64, PendingInbound>,
    pub pending_out: IdMap<u64, PendingOutbound>,
    /// The link refused the last write; wait for it to become writable.
    write_blocked: bool,
    /// Why the session is ending, for the Disconnected event.
    pub close_reason: Option<String>,
    /// The handshake completed, so the game knows this client.
    pub welcomed: bool,
    /// When the handshake completed; an outbound connection that lasted
    /// long enough resets its reconnect backoff.
    pub welcomed_at: Option<Instant>,
    /// Listed in the loop's write list.
    pub listed_for_write: bool,
    /// Past the close grace, kept only to deliver the close frame.
    pub lingering: bool,
    /// Our direction is shut; kept only so the peer can read what we sent.
    pub draining: bool,
}

impl Session {
    pub(crate) fn new(link: Box<dyn Link>, outbound: OutboundQueue) -> Self {
        Self {
            peer: link.peer(),
            link,
            state: SessionState::AwaitingHello,
            outbound,
            subscriptions: Subscriptions::default(),
            pending_in: IdMap::default(),
            pending_out: IdMap::default(),
            write_blocked: false,
            close_reason: None,
            welcomed: false,
            welcomed_at: None,
            listed_for_write: false,
            lingering: false,
            draining: false,
        }
    }

    pub(crate) fn link(&self) -> &dyn Link {
        self.link.as_ref()
    }

    pub(crate) fn link_mut(&mut self) -> &mut dyn Link {
        self.link.as_mut()
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.state, SessionState::Open { .. })
    }

    fn ended_reason(&self) -> String {
        self.close_reason
            .clone()
            .unwrap_or_else(|| "connection closed".to_owned())
    }

    /// Reads at most one message.
    pub(crate) fn read(&mut self) -> ReadOutcome {
        match self.link.read() {
            Incoming::Message(payload) => ReadOutcome::Message(payload),
            Incoming::Control => ReadOutcome::Control,
            Incoming::CloseReceived(words) => {
                if self.close_reason.is_none() {
                    self.close_reason = Some(words);
                }
                self.state = SessionState::Closing;
                ReadOutcome::Control
            }
            Incoming::WouldBlock => ReadOutcome::WouldBlock,
            Incoming::Ended(None) => ReadOutcome::Ended(self.ended_reason()),
            Incoming::Ended(Some(words)) => ReadOutcome::Ended(words),
            Incoming::Violation(code, reason) => ReadOutcome::Violation(code, reason),
        }
    }

    /// Queues a message for writing; nothing is queued once closing.
    pub(crate) fn queue_message(&mut self, class: Class, message: Payload) -> Result<(), Overflow> {
        if self.state == SessionState::Closing {
            return Ok(());
        }
        self.outbound.push(class, message)
    }

    /// Whether a frame may go straight to the link instead of the queue:
    /// nothing is queued before it, the link is taking data, and it copies
    /// what it is given (so the frame's memory can be reused at once).
    pub(crate) fn writes_through(&self) -> bool {
        self.state != SessionState::Closing
            && !self.write_blocked
            && self.outbound.is_empty()
            && self.link.copies_payload()
    }

    /// Hands `frame` to the link now (see `writes_through`); the loop's
    /// end-of-turn write flushes it. `false` when the link is finished: the
    /// caller queues the frame, and the next write finds out and ends the
    /// session as usual.
    pub(crate) fn write_through(&mut self, frame: Bytes) -> bool {
        match self.link.send(Payload::Binary(frame)) {
            Ok(Flow::Ready) => true,
            Ok(Flow::Blocked) => {
                self.write_blocked = true;
                true
            }
            Err(_) => false,
        }
    }

    /// The link refused our last write (data is waiting in its buffers).
    pub(crate) fn write_blocked(&self) -> bool {
        self.write_blocked
    }

    /// The link became writable.
    pub(crate) fn unblock(&mut self) {
        self.write_blocked = false;
    }

    fn broken(&self, broken: Broken) -> String {
        match broken {
            Broken::Closed => self.ended_reason(),
            Broken::Failed(words) => words,
        }
    }

    /// Moves queued frames into the link until it would block. Returns
    /// `Err(reason)` when the connection is finished.
    pub(crate) fn pump(&mut self) -> Result<(), String> {
        if self.write_blocked {
            return Ok(());
        }
        if self.state != SessionState::Closing {
            while let Some(message) = self.outbound.pop() {
                match self.link.send(message) {
                    Ok(Flow::Ready) => {}
                    Ok(Flow::Blocked) => {
                        self.write_blocked = true;
                        return Ok(());
                    }
                    Err(e) => return Err(self.broken(e)),
                }
            }
        }
        match self.link.flush() {
            Ok(Flow::Ready) => Ok(()),
            Ok(Flow::Blocked) => {
                self.write_blocked = true;
                Ok(())
            }
            Err(e) => Err(self.broken(e)),
        }
    }

    /// Starts the closing handshake. With `send_queued`, frames already
    /// queued (such as the `Error` that explains the close) go out first;
    /// without it they are dropped, for a client that stopped reading.
    pub(crate) fn begin_close(&mut self, code: CloseCode, reason: &str, send_queued: bool) {
        if self.state == SessionState::Closing {
            return;
        }
        if send_queued {
            while let Some(message) = self.outbound.pop() {
                // Buffered even when the link is full; bounded by the queue limits.
                match self.link.send(message) {
                    Ok(Flow::Ready) => {}
                    Ok(Flow::Blocked) => self.write_blocked = true,
                    Err(_) => break,
                }
            }
        }
        self.outbound.clear();
        self.close_reason = Some(format!("closed by host ({} {reason})", code.code()));
        self.state = SessionState::Closing;
        if self.link.close(code, reason) == Flow::Blocked {
            self.write_blocked = true;
        }
    }

    /// Our close is out: end our direction but keep reading, so a peer
    /// that is still writing is not reset before it reads the close.
    pub(crate) fn shutdown_write(&mut self) {
        if !self.draining {
            self.draining = true;
            self.link.shutdown_write();
        }
    }
}
