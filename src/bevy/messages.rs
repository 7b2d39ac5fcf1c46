//! The ECS messages agents read and write.

use std::net::SocketAddr;
use std::ops::Deref;

use bevy_ecs::message::{MessageId, MessageWriter};
use bevy_ecs::prelude::Message;
use bytes::Bytes;
use flatbuffers::{FlatBufferBuilder, WIPOffset};

use crate::protocol::ipc;
use crate::{
    ChannelId, ClientId, ClientInfo, Host, HostError, RemoteMessage, RemoteResponse,
    RequestFailure, RequestId,
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

/// A message for remote clients: a finished `MessageToRemote` FlatBuffer.
///
/// Build one with the closure API, as agents do with
/// [`write_builder`](ToRemoteWriter::write_builder), or with the shortcuts
/// [`publish`](Self::publish), [`send`](Self::send), [`respond`](Self::respond).
///
/// ```
/// use switchboard::bevy::ToRemote;
/// use switchboard::protocol::ipc::{MessageToRemote, MessageToRemoteArgs};
///
/// let message = ToRemote::build(|fbb| {
///     let content = fbb.create_vector(b"hello");
///     MessageToRemote::create(fbb, &MessageToRemoteArgs {
///         channel: 3,
///         content: Some(content),
///         ..Default::default()
///     })
/// });
/// assert_eq!(message.message().channel(), 3);
/// ```
#[derive(Message, Debug, Clone)]
pub struct ToRemote {
    buf: Bytes,
}

impl ToRemote {
    /// Runs `build` on a fresh builder and finishes the buffer.
    pub fn build<F>(build: F) -> Self
    where
        F: for<'b> FnOnce(&mut FlatBufferBuilder<'b>) -> WIPOffset<ipc::MessageToRemote<'b>>,
    {
        let mut fbb = FlatBufferBuilder::with_capacity(256);
        let root = build(&mut fbb);
        fbb.finish_minimal(root);
        let (buf, head) = fbb.collapse();
        Self {
            buf: Bytes::from(buf).slice(head..),
        }
    }

    /// Wraps bytes that should hold a `MessageToRemote` (e.g. made by
    /// another language's FlatBuffers library); checks them first.
    pub fn from_bytes(buf: Bytes) -> Result<Self, flatbuffers::InvalidFlatbuffer> {
        flatbuffers::root::<ipc::MessageToRemote>(&buf)?;
        Ok(Self { buf })
    }

    /// Publish `content` to every subscriber of `channel`.
    pub fn publish(channel: ChannelId, content: &[u8]) -> Self {
        Self::simple(channel, ClientId(0), RequestId(0), content, None)
    }

    /// Send `content` on `channel` to one client.
    pub fn send(client: ClientId, channel: ChannelId, content: &[u8]) -> Self {
        Self::simple(channel, client, RequestId(0), content, None)
    }

    /// Answer a client's request.
    pub fn respond(
        client: ClientId,
        request: RequestId,
        channel: ChannelId,
        content: &[u8],
    ) -> Self {
        Self::simple(channel, client, request, content, None)
    }

    /// Refuse a client's request with a reason.
    pub fn respond_error(
        client: ClientId,
        request: RequestId,
        channel: ChannelId,
        reason: &str,
    ) -> Self {
        Self::simple(channel, client, request, &[], Some(reason))
    }

    fn simple(
        channel: ChannelId,
        client: ClientId,
        request: RequestId,
        content: &[u8],
        error: Option<&str>,
    ) -> Self {
        Self::build(|fbb| {
            let content = fbb.create_vector(content);
            let error = error.map(|e| fbb.create_string(e));
            ipc::MessageToRemote::create(
                fbb,
                &ipc::MessageToRemoteArgs {
                    channel: channel.0,
                    client: client.0,
                    request_id: request.0,
                    status: if error.is_some() {
                        ipc::ResponseStatus::Failed
                    } else {
                        ipc::ResponseStatus::Ok
                    },
                    content: Some(content),
                    error,
                },
            )
        })
    }

    /// The FlatBuffers view.
    pub fn message(&self) -> ipc::MessageToRemote<'_> {
        // SAFETY: `buf` was produced by the typed builder API in `build`, or
        // verified in `from_bytes`, and is immutable.
        unsafe { flatbuffers::root_unchecked::<ipc::MessageToRemote>(&self.buf) }
    }

    /// Hands the message to the host: a response, a direct send or a
    /// publish, as its fields say. The content is shared, not copied.
    pub fn dispatch(&self, host: &Host) -> Result<(), HostError> {
        let message = self.message();
        let content = message
            .content()
            .map(|c| self.buf.slice_ref(c.bytes()))
            .unwrap_or_default();
        let channel = ChannelId(message.channel());
        let client = ClientId(message.client());
        match (message.request_id(), message.client()) {
            (0, 0) => host.publish(channel, content),
            (0, _) => host.send_to(client, channel, content),
            (_, 0) => Err(HostError::InvalidMessage(
                "a response (request_id set) needs the client it answers".to_owned(),
            )),
            (request, _) if message.status() == ipc::ResponseStatus::Failed => host.respond_error(
                client,
                RequestId(request),
                message.error().unwrap_or("failed").to_owned(),
            ),
            (request, _) => host.respond(client, RequestId(request), content),
        }
    }
}

/// Adds the closure builder to `MessageWriter<ToRemote>`.
pub trait ToRemoteWriter {
    /// Builds a `MessageToRemote` with `build` and writes it.
    fn write_builder<F>(&mut self, build: F) -> MessageId<ToRemote>
    where
        F: for<'b> FnOnce(&mut FlatBufferBuilder<'b>) -> WIPOffset<ipc::MessageToRemote<'b>>;
}

impl ToRemoteWriter for MessageWriter<'_, ToRemote> {
    fn write_builder<F>(&mut self, build: F) -> MessageId<ToRemote>
    where
        F: for<'b> FnOnce(&mut FlatBufferBuilder<'b>) -> WIPOffset<ipc::MessageToRemote<'b>>,
    {
        self.write(ToRemote::build(build))
    }
}

/// A client finished the handshake.
#[derive(Message, Debug, Clone)]
pub struct ClientConnected(pub ClientInfo);

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
