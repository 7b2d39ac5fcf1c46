//! What the host tells the game: connections, messages, answers.

use std::net::SocketAddr;

use bytes::Bytes;

use super::{ChannelId, ClientId, RequestId};
use crate::protocol::ipc;

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
}

impl HostEvent {
    /// Bytes this event holds on to (the client's frame), for the queue's
    /// memory bound.
    pub(crate) fn queued_size(&self) -> usize {
        match self {
            HostEvent::Message(m) => m.table.frame.len(),
            HostEvent::Response(r) => r.table.frame.len(),
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
    /// Its address.
    pub addr: SocketAddr,
    /// The protocol version chosen.
    pub protocol_version: u16,
}

/// A verified frame received from a client, kept whole so views into it cost
/// nothing: the content is never copied out of the buffer it arrived in.
#[derive(Debug, Clone)]
struct VerifiedTable {
    frame: Bytes,
    loc: usize,
}

impl VerifiedTable {
    fn table(&self) -> flatbuffers::Table<'_> {
        // SAFETY: `loc` is the position of a table in `frame` that the
        // FlatBuffers verifier accepted (see `from_verified` callers in the
        // network thread), and `frame` is immutable.
        unsafe { flatbuffers::Table::new(&self.frame, self.loc) }
    }

    fn slice_of(&self, part: &[u8]) -> Bytes {
        self.frame.slice_ref(part)
    }
}

/// One `Data` message from a client, as agents see it.
///
/// The view is zero-copy: [`message`](Self::message) reads the client's
/// verified `Data` table in place as the schema's `MessageFromRemote`.
#[derive(Debug, Clone)]
pub struct RemoteMessage {
    client: ClientId,
    table: VerifiedTable,
}

impl RemoteMessage {
    /// `loc` must locate a verified `Data` table inside `frame`.
    pub(crate) fn from_verified(client: ClientId, frame: Bytes, loc: usize) -> Self {
        Self {
            client,
            table: VerifiedTable { frame, loc },
        }
    }

    /// Who sent it (taken from the connection, not from the message).
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// The FlatBuffers view of the message.
    pub fn message(&self) -> ipc::MessageFromRemote<'_> {
        // SAFETY: the table is a verified `Data`, and `MessageFromRemote`
        // has the same layout (checked at compile time in `protocol`).
        unsafe { ipc::MessageFromRemote::init_from_table(self.table.table()) }
    }

    /// The channel it was sent on.
    pub fn channel(&self) -> ChannelId {
        ChannelId(self.message().channel())
    }

    /// Set when the client expects an answer.
    pub fn request_id(&self) -> Option<RequestId> {
        match self.message().request_id() {
            0 => None,
            id => Some(RequestId(id)),
        }
    }

    /// The payload, borrowed from the receive buffer.
    pub fn content(&self) -> &[u8] {
        self.message().content().map(|v| v.bytes()).unwrap_or(&[])
    }

    /// The payload as shared bytes (no copy).
    pub fn content_bytes(&self) -> Bytes {
        self.table.slice_of(self.content())
    }

    /// The whole frame this message arrived in.
    pub fn frame_bytes(&self) -> &Bytes {
        &self.table.frame
    }
}

/// A client's answer to a request the game sent.
#[derive(Debug, Clone)]
pub struct RemoteResponse {
    client: ClientId,
    table: VerifiedTable,
}

impl RemoteResponse {
    /// `loc` must locate a verified `Response` table inside `frame`.
    pub(crate) fn from_verified(client: ClientId, frame: Bytes, loc: usize) -> Self {
        Self {
            client,
            table: VerifiedTable { frame, loc },
        }
    }

    /// Who answered.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// The FlatBuffers view of the answer.
    pub fn response(&self) -> ipc::Response<'_> {
        // SAFETY: the table is a verified `Response`.
        unsafe { ipc::Response::init_from_table(self.table.table()) }
    }

    /// The request this answers.
    pub fn request_id(&self) -> RequestId {
        RequestId(self.response().request_id())
    }

    /// `Ok(content)` or `Err(reason)` as the client said.
    pub fn result(&self) -> Result<&[u8], &str> {
        let response = self.response();
        if response.status() == ipc::ResponseStatus::Ok {
            Ok(response.content().map(|v| v.bytes()).unwrap_or(&[]))
        } else {
            Err(response.error().unwrap_or("failed without a reason"))
        }
    }
}
