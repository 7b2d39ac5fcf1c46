//! What agents write for remote clients: a `MessageToRemote` FlatBuffer,
//! laid out so that a one-way message is already the wire frame.

use bevy_ecs::message::{MessageId, MessageWriter};
use bevy_ecs::prelude::Message;
use bytes::Bytes;
use flatbuffers::{FlatBufferBuilder, WIPOffset};

use crate::protocol::{
    FILE_IDENTIFIER, Stamp, TO_REMOTE_TABLE, ToRemoteFields, encode_to_remote, ipc, to_remote_stamp,
};
use crate::{Batch, ChannelId, ClientId, Host, HostError, RequestId};

/// A message for remote clients: a finished `MessageToRemote` FlatBuffer.
///
/// Build one with the closure API, as agents do with
/// [`write_builder`](ToRemoteWriter::write_builder), or with the shortcuts
/// [`publish`](Self::publish), [`send`](Self::send), [`respond`](Self::respond).
///
/// The table is built inside a wire `Frame`, as the body of a `Data` (the
/// schema keeps the two layouts compatible), so a publish or a direct send
/// reaches the sockets as these very bytes: the host only writes the
/// channel's sequence number and the time into them. Answers to requests
/// become `Response` frames, which have another layout.
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
/// // The wire frame a subscriber receives:
/// let frame = switchboard::protocol::verify_frame(message.frame_bytes())?;
/// assert_eq!(frame.body_as_data().unwrap().content().unwrap().bytes(), b"hello");
/// # Ok::<(), switchboard::protocol::FrameError>(())
/// ```
#[derive(Message, Debug, Clone)]
pub struct ToRemote {
    /// A finished `Frame` whose `Data` body is the `MessageToRemote` at `table`.
    frame: Bytes,
    table: usize,
    /// Where the host writes the sequence number and the time; `None` when
    /// the builder left those fields out (the frame is then rebuilt).
    stamp: Option<Stamp>,
    /// Channel, client and request id, when known without reading the
    /// table (the shortcuts that lay the frame out by hand).
    route: Option<Route>,
}

#[derive(Debug, Clone, Copy)]
struct Route {
    channel: ChannelId,
    client: ClientId,
    request: u64,
}

impl ToRemote {
    /// Runs `build` on a fresh builder and finishes the buffer.
    pub fn build<F>(build: F) -> Self
    where
        F: for<'b> FnOnce(&mut FlatBufferBuilder<'b>) -> WIPOffset<ipc::MessageToRemote<'b>>,
    {
        let mut fbb = FlatBufferBuilder::with_capacity(256);
        // Fields at their default are written too, so `sequence` and
        // `timestamp_ns` have a place in the buffer for the host to fill.
        fbb.force_defaults(true);
        let message = build(&mut fbb);
        let frame = ipc::Frame::create(
            &mut fbb,
            &ipc::FrameArgs {
                body_type: ipc::Body::Data,
                body: Some(message.as_union_value()),
            },
        );
        let identifier = std::str::from_utf8(FILE_IDENTIFIER).ok();
        fbb.finish(frame, identifier);
        let (buf, head) = fbb.collapse();
        Self::from_frame(Bytes::from(buf).slice(head..))
    }

    fn from_frame(frame: Bytes) -> Self {
        // SAFETY: `frame` was just finished by the typed builder API, with
        // a `Frame` root whose body is the `MessageToRemote` table.
        let root = unsafe { flatbuffers::root_unchecked::<ipc::Frame>(&frame) };
        let (table, stamp) = match root.body() {
            Some(body) => (body.loc(), Stamp::locate(&body)),
            None => (0, None),
        };
        Self {
            frame,
            table,
            stamp,
            route: None,
        }
    }

    /// Wraps bytes that should hold a `MessageToRemote` as their root (e.g.
    /// made by another language's FlatBuffers library); checks them first,
    /// then lays them out as a frame (one copy).
    pub fn from_bytes(buf: Bytes) -> Result<Self, flatbuffers::InvalidFlatbuffer> {
        let m = flatbuffers::root::<ipc::MessageToRemote>(&buf)?;
        Ok(Self::build(|fbb| {
            let content = m.content().map(|c| fbb.create_vector(c.bytes()));
            let error = m.error().map(|e| fbb.create_string(e));
            ipc::MessageToRemote::create(
                fbb,
                &ipc::MessageToRemoteArgs {
                    channel: m.channel(),
                    request_id: m.request_id(),
                    sequence: 0,
                    timestamp_ns: 0,
                    content,
                    client: m.client(),
                    status: m.status(),
                    error,
                },
            )
        }))
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
        // The common shapes are laid out by hand (no builder); the result
        // is the same table `build` would make with every field written.
        let frame = encode_to_remote(ToRemoteFields {
            channel: channel.0,
            client: client.0,
            request_id: request.0,
            content,
            error,
        });
        Self {
            frame,
            table: TO_REMOTE_TABLE,
            stamp: Some(to_remote_stamp()),
            route: Some(Route {
                channel,
                client,
                request: request.0,
            }),
        }
    }

    /// The FlatBuffers view.
    pub fn message(&self) -> ipc::MessageToRemote<'_> {
        // SAFETY: `table` locates the `MessageToRemote` that the typed
        // builder API wrote into `frame` (see `build`), and `frame` is
        // immutable.
        unsafe {
            ipc::MessageToRemote::init_from_table(flatbuffers::Table::new(&self.frame, self.table))
        }
    }

    /// The wire frame this message travels in when it is a publish or a
    /// direct send (a `Data` frame; the host fills in its sequence number
    /// and timestamp when it sends).
    pub fn frame_bytes(&self) -> &Bytes {
        &self.frame
    }

    /// Hands the message to the host: a response, a direct send or a
    /// publish, as its fields say. A publish or a direct send goes out as
    /// this message's own bytes; they are changed in place, not copied,
    /// when nothing else holds them (the Bevy plugin's send system takes
    /// the frame's messages for that reason).
    pub fn dispatch(self, host: &Host) -> Result<(), HostError> {
        let mut batch = host.batch();
        self.add_to(&mut batch)?;
        batch.commit()
    }

    /// Adds the message to a [`Batch`], to leave with the others (the
    /// plugin's send system puts each frame's messages in one batch).
    pub fn add_to(self, batch: &mut Batch<'_>) -> Result<(), HostError> {
        let Route {
            channel,
            client,
            request,
        } = self.route.unwrap_or_else(|| {
            let message = self.message();
            Route {
                channel: ChannelId(message.channel()),
                client: ClientId(message.client()),
                request: message.request_id(),
            }
        });
        if request == 0 {
            if let Some(stamp) = self.stamp {
                // Moved, not cloned, so the host can write into it in place.
                let frame = self.frame;
                match client.0 {
                    0 => batch.publish_frame(channel, frame, stamp),
                    _ => batch.send_frame(client, channel, frame, stamp),
                }
                return Ok(());
            }
        }
        let message = self.message();
        let content = message
            .content()
            .map(|c| self.frame.slice_ref(c.bytes()))
            .unwrap_or_default();
        match (request, client.0) {
            (0, 0) => batch.publish(channel, content),
            (0, _) => batch.send_to(client, channel, content),
            (_, 0) => Err(HostError::InvalidMessage(
                "a response (request_id set) needs the client it answers".to_owned(),
            )),
            (request, _) if message.status() == ipc::ResponseStatus::Failed => {
                batch.respond_error(
                    client,
                    RequestId(request),
                    message.error().unwrap_or("failed").to_owned(),
                );
                Ok(())
            }
            (request, _) => {
                batch.respond(client, RequestId(request), content);
                Ok(())
            }
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
