//! What the host tells the game: connections, messages, answers.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::protocol::{ClientId, RemoteMessage, RemoteResponse, RequestId};

/// Something that happened on the network, for the game to handle.
#[derive(Debug, Clone)]
pub enum HostEvent {
    /// A client finished the handshake.
    Connected(ClientInfo),
    /// A client that had finished the handshake is gone.
    Disconnected {
        /// Who left.
        client: ClientId,
        /// Why, in words (close code and reason, or the I/O error).
        reason: String,
    },
    /// A client sent `Data`: a one-way message, or a request when
    /// [`RemoteMessage::request_id`] is set (answer it with
    /// [`Host::respond`](crate::Host::respond)).
    Message(RemoteMessage),
    /// A client answered a [`Host::request`](crate::Host::request).
    Response(RemoteResponse),
    /// A [`Host::request`](crate::Host::request) will never be answered.
    RequestFailed {
        /// Who was asked.
        client: ClientId,
        /// Which request.
        request_id: RequestId,
        /// Why.
        reason: RequestFailure,
    },
    /// An outbound connection ([`HostConfig::dial`](crate::HostConfig::dial))
    /// changed state. Once it is [`DialState::Open`], the dialled peer is a
    /// client like any other: [`HostEvent::Connected`] follows its `Hello`.
    Dial(DialStatus),
}

impl HostEvent {
    /// Bytes this event holds on to (the client's frame), for the queue's
    /// memory bound.
    pub(crate) fn queued_size(&self) -> usize {
        match self {
            HostEvent::Message(m) => m.frame_bytes().len(),
            HostEvent::Response(r) => r.frame_bytes().len(),
            _ => 0,
        }
    }
}

/// Why a request from the game got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFailure {
    /// The client did not answer within the timeout.
    Timeout,
    /// The client disconnected (or was never connected).
    ClientGone,
    /// The client already has the maximum number of requests in flight.
    TooManyInFlight,
}

/// A client that completed the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its id.
    pub id: ClientId,
    /// The name it gave in `Hello`.
    pub name: String,
    /// Where it is connected from.
    pub peer: Peer,
    /// The protocol version chosen.
    pub protocol_version: u16,
}

impl ClientInfo {
    /// Its network address, for clients connected over TCP.
    pub fn addr(&self) -> Option<SocketAddr> {
        match self.peer {
            Peer::Tcp(addr) => Some(addr),
            Peer::Memory | Peer::MessageQueue | Peer::Pipe(_) => None,
        }
    }
}

/// Where a client is connected from: which transport, and its address there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Peer {
    /// A WebSocket over TCP (plain or TLS) from this address.
    Tcp(SocketAddr),
    /// The in-memory transport, inside this process.
    Memory,
    /// A pair of POSIX message queues named after the game's process id
    /// (feature `mqueue`).
    MessageQueue,
    /// A plugin process's pipes; the number is its process id.
    Pipe(u32),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(addr) => write!(f, "{addr}"),
            Peer::Memory => f.write_str("memory"),
            Peer::MessageQueue => f.write_str("message queue"),
            Peer::Pipe(pid) => write!(f, "pipe (pid {pid})"),
        }
    }
}

/// Where one outbound connection stands, sent as [`HostEvent::Dial`] on
/// every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialStatus {
    /// The URL as configured.
    pub url: String,
    /// What just happened.
    pub state: DialState,
}

/// The states of an outbound connection.
///
/// Each attempt goes `Connecting`, then `Open` or `Retrying`; an open
/// connection that ends goes to `Retrying`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialState {
    /// An attempt started: name lookup, TCP connect, TLS and WebSocket
    /// handshakes. `attempt` counts from 1 since the last healthy
    /// connection.
    Connecting {
        /// Which attempt this is.
        attempt: u32,
    },
    /// The WebSocket is open; the dialled peer speaks as a client under
    /// this id (it must send `Hello` within the handshake timeout).
    Open {
        /// The id its session has.
        client: ClientId,
    },
    /// There is no connection; the next attempt starts after `retry_in`.
    Retrying {
        /// Why the attempt failed or the connection ended.
        reason: String,
        /// The delay before the next attempt (backoff with jitter).
        retry_in: Duration,
        /// Failed attempts in a row (a healthy connection resets it).
        failures: u32,
    },
}
