//! The ECS messages agents read and write.

use std::net::SocketAddr;
use std::ops::Deref;

use bevy_ecs::prelude::Message;

use super::to_remote::ToRemote;
use crate::{
    ClientId, ClientInfo, DialStatus, RemoteMessage, RemoteResponse, RequestFailure, RequestId,
};

/// A message from a remote client, read zero-copy: [`message`] is the
/// schema's `MessageFromRemote`, viewed in place in the buffer the socket
/// delivered.
///
/// [`message`]: RemoteMessage::message
#[derive(Message, Debug, Clone)]
pub struct FromRemote(pub RemoteMessage);

impl Deref for FromRemote {
    type Target = RemoteMessage;
    fn deref(&self) -> &RemoteMessage {
        &self.0
    }
}

impl FromRemote {
    /// An answer to this message: a `Response` when it was a request,
    /// otherwise a direct message back on the same channel.
    pub fn reply(&self, content: &[u8]) -> ToRemote {
        match self.request_id() {
            Some(request) => ToRemote::respond(self.client(), request, self.channel(), content),
            None => ToRemote::send(self.client(), self.channel(), content),
        }
    }

    /// A failure answer to this request (a direct message if it was not one).
    pub fn reply_error(&self, reason: &str) -> ToRemote {
        match self.request_id() {
            Some(request) => {
                ToRemote::respond_error(self.client(), request, self.channel(), reason)
            }
            None => ToRemote::send(self.client(), self.channel(), reason.as_bytes()),
        }
    }
}

/// A client finished the handshake.
#[derive(Message, Debug, Clone)]
pub struct ClientConnected(pub ClientInfo);

/// An outbound connection (`HostConfig::dial`) changed state: the
/// [`HostEvent::Dial`](crate::HostEvent::Dial) of the frame. A dialled peer
/// that says `Hello` also arrives as [`ClientConnected`].
#[derive(Message, Debug, Clone)]
pub struct DialChanged(pub DialStatus);

/// A known client left.
#[derive(Message, Debug, Clone)]
pub struct ClientDisconnected {
    /// Who.
    pub client: ClientId,
    /// Why.
    pub reason: String,
}

/// The outcome of a request the game sent to a client.
#[derive(Message, Debug, Clone)]
pub enum RemoteAnswer {
    /// The client answered.
    Response(RemoteResponse),
    /// No answer will come.
    Failed {
        /// Who was asked.
        client: ClientId,
        /// Which request.
        request_id: RequestId,
        /// Why.
        reason: RequestFailure,
    },
}

/// Whether the host is listening.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum HostStatus {
    /// Listening here.
    Listening(SocketAddr),
    /// Could not start; the app runs on without IPC.
    Failed(String),
}
