//! One WebSocket connection after the upgrade: reading messages, the
//! outbound queue, writing without blocking, and closing.

use std::io::{self, Read};
use std::time::Instant;

use bytes::Bytes;
use tungstenite::protocol::{CloseFrame, Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};

use super::id_hash::IdMap;
use super::outbound::{Class, OutboundQueue, Overflow};
use super::router::Subscriptions;
use super::transport::Transport;
use crate::protocol::CloseCode;

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionState {
    /// Upgraded; only `Hello` is accepted.
    AwaitingHello,
    /// Welcomed.
    Open { name: String },
    /// A close frame was sent or received; waiting for the other side.
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

/// What one read attempt produced.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    Binary(Bytes),
    Text(tungstenite::Utf8Bytes),
    /// A control frame (ping, pong, close) that the WebSocket layer handled;
    /// its automatic reply may need flushing.
    Control,
    /// Nothing more to read right now.
    WouldBlock,
    /// The connection is finished; the string says why.
    Ended(String),
    /// The peer broke a rule; close with this code and reason.
    Violation(CloseCode, String),
}

pub(crate) struct Session {
    ws: WebSocket<Transport>,
    pub state: SessionState,
    pub outbound: OutboundQueue,
    pub subscriptions: Subscriptions,
    pub pending_in: IdMap<u64, PendingInbound>,
    pub pending_out: IdMap<u64, PendingOutbound>,
    /// The socket refused the last write; wait for a writable event.
    write_blocked: bool,
    /// After a framing error the byte stream cannot be parsed any more: only
    /// discard what arrives until the peer goes.
    read_poisoned: bool,
    /// Why the session is ending, for the Disconnected event.
    pub close_reason: Option<String>,
    /// The handshake completed, so the game knows this client.
    pub welcomed: bool,
    /// Listed in the loop's write list.
    pub listed_for_write: bool,
    /// Past the close grace, kept only to deliver the close frame.
    pub lingering: bool,
}

impl Session {
    pub(crate) fn new(
        stream: Transport,
        leftover: Vec<u8>,
        config: WebSocketConfig,
        outbound: OutboundQueue,
    ) -> Self {
        Self {
            ws: WebSocket::from_partially_read(stream, leftover, Role::Server, Some(config)),
            state: SessionState::AwaitingHello,
            outbound,
            subscriptions: Subscriptions::default(),
            pending_in: IdMap::default(),
            pending_out: IdMap::default(),
            write_blocked: false,
            read_poisoned: false,
            close_reason: None,
            welcomed: false,
            listed_for_write: false,
            lingering: false,
        }
    }

    pub(crate) fn stream_mut(&mut self) -> &mut Transport {
        self.ws.get_mut()
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.state, SessionState::Open { .. })
    }

    /// Reads at most one message.
    pub(crate) fn read(&mut self) -> ReadOutcome {
        if self.read_poisoned {
            return self.discard_input();
        }
        match self.ws.read() {
            Ok(Message::Binary(bytes)) => ReadOutcome::Binary(bytes),
            Ok(Message::Text(text)) => ReadOutcome::Text(text),
            Ok(Message::Close(frame)) => {
                if self.close_reason.is_none() {
                    self.close_reason = Some(match frame {
                        Some(f) => format!("client closed ({} {})", u16::from(f.code), f.reason),
                        None => "client closed".to_owned(),
                    });
                }
                self.state = SessionState::Closing;
                ReadOutcome::Control
            }
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => ReadOutcome::Control,
            Err(e) => self.classify_read_error(e),
        }
    }

    fn classify_read_error(&mut self, error: WsError) -> ReadOutcome {
        match error {
            WsError::Io(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::WouldBlock,
            WsError::ConnectionClosed | WsError::AlreadyClosed => ReadOutcome::Ended(
                self.close_reason
                    .clone()
                    .unwrap_or_else(|| "connection closed".to_owned()),
            ),
            WsError::Io(e) => ReadOutcome::Ended(format!("I/O error: {e}")),
            // The peer went away (crash, killed mid-frame) without a close
            // frame: it is gone, not breaking rules, so nothing is sent back.
            WsError::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
                ReadOutcome::Ended("client went away without closing".to_owned())
            }
            WsError::Capacity(e) => {
                self.read_poisoned = true;
                ReadOutcome::Violation(CloseCode::MessageTooBig, e.to_string())
            }
            WsError::Utf8(e) => {
                self.read_poisoned = true;
                ReadOutcome::Violation(CloseCode::InvalidPayload, format!("invalid UTF-8: {e}"))
            }
            WsError::Protocol(e) => {
                self.read_poisoned = true;
                ReadOutcome::Violation(CloseCode::ProtocolError, e.to_string())
            }
            other => {
                self.read_poisoned = true;
                ReadOutcome::Violation(CloseCode::ProtocolError, other.to_string())
            }
        }
    }

    /// Reads and drops raw bytes until the peer closes.
    fn discard_input(&mut self) -> ReadOutcome {
        let mut sink = [0u8; 4096];
        loop {
            match self.ws.get_mut().read(&mut sink) {
                Ok(0) => {
                    return ReadOutcome::Ended(
                        self.close_reason
                            .clone()
                            .unwrap_or_else(|| "connection closed".to_owned()),
                    );
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadOutcome::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return ReadOutcome::Ended(format!("I/O error: {e}")),
            }
        }
    }

    /// Queues a frame for writing.
    /// Queues a WebSocket message (binary frames; text only in echo mode).
    pub(crate) fn queue_message(&mut self, class: Class, message: Message) -> Result<(), Overflow> {
        if self.state == SessionState::Closing {
            return Ok(());
        }
        self.outbound.push(class, message)
    }

    /// The socket refused our last write (data is waiting in our buffers).
    pub(crate) fn write_blocked(&self) -> bool {
        self.write_blocked
    }

    /// A writable event arrived.
    pub(crate) fn unblock(&mut self) {
        self.write_blocked = false;
    }

    /// Moves queued frames into the socket until it would block. Returns
    /// `Err(reason)` when the connection is finished.
    pub(crate) fn pump(&mut self) -> Result<(), String> {
        if self.write_blocked {
            return Ok(());
        }
        if self.state != SessionState::Closing {
            while let Some(message) = self.outbound.pop() {
                match self.ws.write(message) {
                    Ok(()) => {}
                    // The frame is buffered; the socket is full.
                    Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                        return Ok(());
                    }
                    Err(e) => return Err(self.write_failure(e)),
                }
            }
        }
        match self.ws.flush() {
            Ok(()) => {
                if self.read_poisoned && self.state == SessionState::Closing {
                    // Our close frame is out; tell the peer we are done
                    // writing and keep discarding until it hangs up.
                    self.ws.get_mut().shutdown_write();
                }
                Ok(())
            }
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
                Ok(())
            }
            Err(e) => Err(self.write_failure(e)),
        }
    }

    fn write_failure(&mut self, error: WsError) -> String {
        match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed => self
                .close_reason
                .clone()
                .unwrap_or_else(|| "connection closed".to_owned()),
            other => format!("write failed: {other}"),
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
                // Buffered even when the socket is full; bounded by the queue limits.
                match self.ws.write(message) {
                    Ok(()) => {}
                    Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.write_blocked = true;
                    }
                    Err(_) => break,
                }
            }
        }
        self.outbound.clear();
        self.close_reason = Some(format!("closed by host ({} {reason})", code.code()));
        self.state = SessionState::Closing;
        let frame = CloseFrame {
            code: code.into(),
            reason: truncate_reason(reason).into(),
        };
        match self.ws.close(Some(frame)) {
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                self.write_blocked = true;
            }
            // Any other failure surfaces in the next pump.
            _ => {}
        }
    }
}

/// Close reasons must fit a control frame: 123 bytes after the code.
fn truncate_reason(reason: &str) -> String {
    if reason.len() <= 123 {
        return reason.to_owned();
    }
    let mut end = 120;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &reason[..end])
}
