//! One upgraded WebSocket connection as a [`Link`]: tungstenite over a
//! non-blocking TCP (or TLS) stream.

use std::io::{self, Read};
use std::net::SocketAddr;

use bytes::Bytes;
use mio::{Interest, Registry, Token};
use tungstenite::protocol::{CloseFrame, Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::stream::Stream;
use crate::net::event::Peer;
use crate::net::transport::{Broken, Flow, Incoming, Link, Payload, Ring};
use crate::protocol::CloseCode;

pub(crate) struct WsLink {
    ws: WebSocket<Stream>,
    addr: SocketAddr,
    /// After a framing error the byte stream cannot be parsed any more: only
    /// discard what arrives until the peer goes.
    read_poisoned: bool,
    /// Our close frame is queued.
    close_sent: bool,
}

impl WsLink {
    pub(crate) fn new(
        stream: Stream,
        leftover: Vec<u8>,
        config: WebSocketConfig,
        addr: SocketAddr,
    ) -> Self {
        // tungstenite's input buffer starts as this vector, and `BytesMut`
        // takes the capacity it starts with as the size of every buffer it
        // allocates later, while messages read earlier still hold the old
        // one: an empty leftover made those exactly as large as each
        // `reserve` asked (a header, then one frame), so each message cost a
        // `recv` or two of its own.
        let mut start = Vec::with_capacity(config.read_buffer_size.max(leftover.len()));
        start.extend_from_slice(&leftover);
        Self {
            ws: WebSocket::from_partially_read(stream, start, Role::Server, Some(config)),
            addr,
            read_poisoned: false,
            close_sent: false,
        }
    }

    /// A connection the host dialled, after its client handshake: the host
    /// masks its frames, as the WebSocket client role requires.
    pub(crate) fn dialled(ws: WebSocket<Stream>, addr: SocketAddr) -> Self {
        Self {
            ws,
            addr,
            read_poisoned: false,
            close_sent: false,
        }
    }

    fn classify_read_error(&mut self, error: WsError) -> Incoming {
        match error {
            WsError::Io(e) if e.kind() == io::ErrorKind::WouldBlock => Incoming::WouldBlock,
            WsError::ConnectionClosed | WsError::AlreadyClosed => Incoming::Ended(None),
            WsError::Io(e) => Incoming::Ended(Some(format!("I/O error: {e}"))),
            // The peer went away (crash, killed mid-frame) without a close
            // frame: it is gone, not breaking rules, so nothing is sent back.
            WsError::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
                Incoming::Ended(Some("client went away without closing".to_owned()))
            }
            WsError::Capacity(e) => self.violation(CloseCode::MessageTooBig, e.to_string()),
            WsError::Utf8(e) => {
                self.violation(CloseCode::InvalidPayload, format!("invalid UTF-8: {e}"))
            }
            WsError::Protocol(e) => self.violation(CloseCode::ProtocolError, e.to_string()),
            other => self.violation(CloseCode::ProtocolError, other.to_string()),
        }
    }

    fn violation(&mut self, code: CloseCode, reason: String) -> Incoming {
        self.read_poisoned = true;
        Incoming::Violation(code, reason)
    }

    /// Reads and drops raw bytes until the peer closes.
    fn discard_input(&mut self) -> Incoming {
        let mut sink = [0u8; 4096];
        loop {
            match self.ws.get_mut().read(&mut sink) {
                Ok(0) => return Incoming::Ended(None),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Incoming::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Incoming::Ended(Some(format!("I/O error: {e}"))),
            }
        }
    }
}

fn write_outcome(result: Result<(), WsError>) -> Result<Flow, Broken> {
    match result {
        Ok(()) => Ok(Flow::Ready),
        // The frame is buffered; the socket is full.
        Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(Flow::Blocked),
        Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => Err(Broken::Closed),
        Err(other) => Err(Broken::Failed(format!("write failed: {other}"))),
    }
}

impl Link for WsLink {
    fn peer(&self) -> Peer {
        Peer::Tcp(self.addr)
    }

    fn register(&mut self, registry: &Registry, token: Token, _doorbell: Ring) -> io::Result<()> {
        registry.register(
            self.ws.get_mut().tcp_mut(),
            token,
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(self.ws.get_mut().tcp_mut());
    }

    fn read(&mut self) -> Incoming {
        if self.read_poisoned {
            return self.discard_input();
        }
        match self.ws.read() {
            Ok(Message::Binary(bytes)) => Incoming::Message(Payload::Binary(bytes)),
            Ok(Message::Text(text)) => Incoming::Message(Payload::Text(Bytes::from(text))),
            Ok(Message::Close(frame)) => Incoming::CloseReceived(match frame {
                Some(f) => format!("client closed ({} {})", u16::from(f.code), f.reason),
                None => "client closed".to_owned(),
            }),
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => Incoming::Control,
            Err(e) => self.classify_read_error(e),
        }
    }

    fn send(&mut self, payload: Payload) -> Result<Flow, Broken> {
        let message = match payload {
            Payload::Binary(bytes) => Message::Binary(bytes),
            Payload::Text(bytes) => Message::Text(
                Utf8Bytes::try_from(bytes)
                    .map_err(|e| Broken::Failed(format!("text is not UTF-8: {e}")))?,
            ),
        };
        write_outcome(self.ws.write(message))
    }

    fn copies_payload(&self) -> bool {
        // tungstenite formats every frame into its write buffer.
        true
    }

    fn flush(&mut self) -> Result<Flow, Broken> {
        let flow = write_outcome(self.ws.flush())?;
        if flow == Flow::Ready && self.read_poisoned && self.close_sent {
            // Our close frame is out; tell the peer we are done writing and
            // keep discarding until it hangs up.
            self.shutdown_write();
        }
        Ok(flow)
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Flow {
        self.close_sent = true;
        let frame = CloseFrame {
            code: code.into(),
            reason: truncate_reason(reason).into(),
        };
        match self.ws.close(Some(frame)) {
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Flow::Blocked,
            // Any other failure surfaces in the next flush.
            _ => Flow::Ready,
        }
    }

    fn shutdown_write(&mut self) {
        self.ws.get_mut().shutdown_write();
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
