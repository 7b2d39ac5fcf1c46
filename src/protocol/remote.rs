//! Verified views of what a client sent: a `Data` table read in place as the
//! schema's `MessageFromRemote`, and a `Response`. The network thread makes
//! them only from tables the FlatBuffers verifier accepted
//! ([`verify_frame`](super::verify_frame)); the layout check that makes the
//! `MessageFromRemote` view sound sits in [`super`].

use bytes::Bytes;

use super::fast_verify::DataFields;
use super::ipc;
use super::{ChannelId, ClientId, RequestId};

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
        // network thread's session core), and `frame` is immutable.
        unsafe { flatbuffers::Table::new(&self.frame, self.loc) }
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
    /// Read once when the frame was checked: agents read these for every
    /// message, and each read through the view walks the vtable.
    channel: u32,
    request_id: u64,
    content_start: usize,
    content_len: usize,
}

impl RemoteMessage {
    /// `fields` must describe a verified `Data` table inside `frame`.
    pub(crate) fn from_verified(client: ClientId, frame: Bytes, fields: DataFields) -> Self {
        Self {
            client,
            table: VerifiedTable {
                frame,
                loc: fields.loc,
            },
            channel: fields.channel,
            request_id: fields.request_id,
            content_start: fields.content_start,
            content_len: fields.content_len,
        }
    }

    /// The same message (sender, channel, request id) with other content:
    /// the game hands a request that arrived inside another one (a
    /// plugin's device request on `plugins/control`) to the handler of the
    /// inner request, whose answer then goes to the original request.
    /// `None` only if the re-encoded frame failed verification.
    #[cfg_attr(not(all(unix, feature = "plugins")), allow(dead_code))]
    pub(crate) fn with_content(&self, content: &[u8]) -> Option<Self> {
        let message = self.message();
        let frame = super::encode_data(
            self.channel,
            self.request_id,
            message.sequence(),
            message.timestamp_ns(),
            content,
        );
        // Verified like any received frame, so the views stay sound.
        super::verify_frame(&frame).ok()?;
        let fields = super::fast_verify::data_fields(&frame)?;
        Some(Self::from_verified(self.client, frame, fields))
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
        ChannelId(self.channel)
    }

    /// Set when the client expects an answer.
    pub fn request_id(&self) -> Option<RequestId> {
        match self.request_id {
            0 => None,
            id => Some(RequestId(id)),
        }
    }

    /// The payload, borrowed from the receive buffer.
    pub fn content(&self) -> &[u8] {
        // Always in bounds: the verifier checked the vector against the frame.
        self.table
            .frame
            .get(self.content_range())
            .unwrap_or_default()
    }

    /// The payload as shared bytes (no copy).
    pub fn content_bytes(&self) -> Bytes {
        if self.table.frame.get(self.content_range()).is_none() {
            return Bytes::new();
        }
        self.table.frame.slice(self.content_range())
    }

    fn content_range(&self) -> std::ops::Range<usize> {
        self.content_start..self.content_start.saturating_add(self.content_len)
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

    /// The whole frame this answer arrived in.
    pub fn frame_bytes(&self) -> &Bytes {
        &self.table.frame
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
