//! Building frames into shareable buffers, and verifying received ones.
//!
//! Every encoder builds the whole frame once into an exactly sized buffer and
//! hands it out as [`Bytes`], so one encoded frame can go to any number of
//! connections without copying it again.

use std::sync::LazyLock;

use bytes::{BufMut, Bytes, BytesMut};
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, VerifierOptions, WIPOffset};

use super::hand_laid::{BODY_VTABLE, Head};
use super::{ChannelDescription, FILE_IDENTIFIER, ipc};

/// Why a received message is not an acceptable frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Too short to hold a root offset and a file identifier.
    #[error("message of {len} bytes is too short to be a frame (at least 8 bytes)")]
    TooShort {
        /// Length of the message.
        len: usize,
    },
    /// The four identifier bytes are not `SWBD`.
    #[error("wrong file identifier {found:?}: frames carry \"SWBD\" at offset 4")]
    WrongIdentifier {
        /// The bytes found at offset 4.
        found: String,
    },
    /// The FlatBuffers verifier rejected the buffer.
    #[error("frame failed verification: {0}")]
    Invalid(#[from] flatbuffers::InvalidFlatbuffer),
    /// A valid frame whose body is missing or of a type this side does not know.
    #[error("frame has no body this side understands")]
    NoBody,
}

/// The verifier limits used for every received frame. Frames are flat: a
/// handful of tables deep at most, so tight limits cost nothing and bound
/// the work a hostile buffer can cause. The apparent size (what the frame
/// would be with every shared reference copied out) is capped at a few
/// times the real size: honest frames stay near 1x, while a small frame
/// that points at one long string thousands of times would otherwise make
/// whoever reads it copy gigabytes.
fn verifier_options(len: usize) -> VerifierOptions {
    VerifierOptions {
        max_depth: 16,
        max_tables: 100_000,
        max_apparent_size: len.saturating_mul(4).saturating_add(4096),
        ..VerifierOptions::default()
    }
}

/// Checks that `buf` is a complete, well-formed frame and returns a zero-copy
/// view of it.
///
/// ```
/// use switchboard::protocol::{encode_error, ipc, verify_frame};
/// let bytes = encode_error(ipc::ErrorCode::Timeout, "too slow", 7, 0);
/// let frame = verify_frame(&bytes).unwrap();
/// assert_eq!(frame.body_as_error().unwrap().request_id(), 7);
/// assert!(verify_frame(b"not a frame").is_err());
/// ```
pub fn verify_frame(buf: &[u8]) -> Result<ipc::Frame<'_>, FrameError> {
    if buf.len() < 8 {
        return Err(FrameError::TooShort { len: buf.len() });
    }
    if &buf[4..8] != FILE_IDENTIFIER {
        return Err(FrameError::WrongIdentifier {
            found: String::from_utf8_lossy(&buf[4..8]).into_owned(),
        });
    }
    if super::fast_verify::is_data_frame(buf) {
        // SAFETY: `is_data_frame` applied the FlatBuffers verifier's own
        // checks to this Frame and its Data body (see `fast_verify`).
        return Ok(unsafe { flatbuffers::root_unchecked::<ipc::Frame>(buf) });
    }
    let frame = ipc::root_as_frame_with_opts(&verifier_options(buf.len()), buf)?;
    if frame.body_type() == ipc::Body::NONE || frame.body_type().variant_name().is_none() {
        return Err(FrameError::NoBody);
    }
    Ok(frame)
}

fn finish<'b>(
    mut fbb: FlatBufferBuilder<'b>,
    body_type: ipc::Body,
    body: WIPOffset<UnionWIPOffset>,
) -> Bytes {
    let frame = ipc::Frame::create(
        &mut fbb,
        &ipc::FrameArgs {
            body_type,
            body: Some(body),
        },
    );
    ipc::finish_frame_buffer(&mut fbb, frame);
    let (buf, head) = fbb.collapse();
    Bytes::from(buf).slice(head..)
}

/// Encodes a `Data` frame.
///
/// Data frames are the hot path (every publish, send and request), so they
/// are laid out directly instead of through the general builder: one
/// exactly sized allocation, no vtable search. The layout is an ordinary
/// FlatBuffer that any reader and the verifier accept; the tests compare it
/// field by field with the builder's output.
///
/// ```
/// use switchboard::protocol::{encode_data, verify_frame};
/// let bytes = encode_data(3, 0, 1, 0, b"hi");
/// let data = verify_frame(&bytes).unwrap().body_as_data().unwrap();
/// assert_eq!(data.content().unwrap().bytes(), b"hi");
/// ```
pub fn encode_data(
    channel: u32,
    request_id: u64,
    sequence: u64,
    timestamp_ns: u64,
    content: &[u8],
) -> Bytes {
    let head = DataHead {
        channel,
        request_id,
        sequence,
        timestamp_ns,
    };
    let mut frame = Vec::with_capacity(DATA_HEAD_LEN + content.len());
    lay_out_data(&mut frame, head, content);
    Bytes::from(frame)
}

/// The fields of a `Data` frame beside its content.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataHead {
    pub channel: u32,
    pub request_id: u64,
    pub sequence: u64,
    pub timestamp_ns: u64,
}

/// [`encode_data`] into `buf`'s spare room: the frame shares `buf`'s
/// memory, which `buf` takes back for the next frame once the frame is
/// dropped (the network thread's answers, written as soon as they are
/// made, so no allocation per message).
pub(crate) fn encode_data_into(buf: &mut BytesMut, head: DataHead, content: &[u8]) -> Bytes {
    buf.clear();
    buf.reserve(DATA_HEAD_LEN + content.len());
    lay_out_data(buf, head, content);
    buf.split().freeze()
}

/// The head is the same for every `Data` frame but for its fields.
fn lay_out_data<B: BufMut + AsMut<[u8]>>(frame: &mut B, head: DataHead, content: &[u8]) {
    frame.put_slice(&DATA_HEAD);
    frame.put_slice(content);
    let frame = frame.as_mut();
    let len = u32::try_from(content.len()).expect("content larger than 4 GiB");
    let DataHead {
        channel,
        request_id,
        sequence,
        timestamp_ns,
    } = head;
    frame[DATA_CHANNEL..DATA_CHANNEL + 4].copy_from_slice(&channel.to_le_bytes());
    frame[DATA_REQUEST_ID..DATA_REQUEST_ID + 8].copy_from_slice(&request_id.to_le_bytes());
    frame[DATA_SEQUENCE..DATA_SEQUENCE + 8].copy_from_slice(&sequence.to_le_bytes());
    frame[DATA_TIMESTAMP..DATA_TIMESTAMP + 8].copy_from_slice(&timestamp_ns.to_le_bytes());
    frame[DATA_CONTENT_LEN..DATA_HEAD_LEN].copy_from_slice(&len.to_le_bytes());
}

// Offsets in a `Data` frame, front to back: the frame's head up to 32
// (`hand_laid`), 32 Data vtable, 48 Data table (8-aligned for its u64
// fields), 88 content vector (length, then the bytes).
const DATA_TABLE: usize = 48;
const DATA_CHANNEL: usize = DATA_TABLE + 4;
const DATA_REQUEST_ID: usize = DATA_TABLE + 8;
const DATA_SEQUENCE: usize = DATA_TABLE + 16;
const DATA_TIMESTAMP: usize = DATA_TABLE + 24;
const DATA_CONTENT_LEN: usize = 88;
const DATA_HEAD_LEN: usize = DATA_CONTENT_LEN + 4;

/// A `Data` frame from [`encode_data`] is this much longer than its content.
pub(crate) const DATA_FRAME_OVERHEAD: usize = DATA_HEAD_LEN;

/// Every `Data` frame's head with its fields zero, laid out once.
static DATA_HEAD: LazyLock<Bytes> = LazyLock::new(|| {
    let mut head = Head::<DATA_HEAD_LEN>::frame(ipc::Body::Data, DATA_TABLE);
    // Data vtable: fields channel, request_id, sequence, timestamp_ns, content.
    head.u16s(&[14, 40, 4, 8, 16, 24, 32]);
    head.put(&[0; 2]);
    head.vtable_at(BODY_VTABLE);
    head.put(&[0; DATA_CONTENT_LEN - DATA_CHANNEL - 8]);
    head.offset_to(DATA_CONTENT_LEN);
    head.put(&[0; 4]);
    head.put(&[0; 4]);
    head.finish(&[])
});

/// Encodes an `Error` frame.
pub fn encode_error(code: ipc::ErrorCode, message: &str, request_id: u64, channel: u32) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(message.len() + 64);
    let message = fbb.create_string(message);
    let error = ipc::Error::create(
        &mut fbb,
        &ipc::ErrorArgs {
            code,
            message: Some(message),
            request_id,
            channel,
        },
    );
    finish(fbb, ipc::Body::Error, error.as_union_value())
}

/// Encodes an `Advertise` frame listing `channels`.
pub fn encode_advertise<'c>(channels: impl IntoIterator<Item = &'c ChannelDescription>) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(256);
    let infos: Vec<_> = channels.into_iter().map(|c| c.write(&mut fbb)).collect();
    let channels = fbb.create_vector(&infos);
    let advertise = ipc::Advertise::create(
        &mut fbb,
        &ipc::AdvertiseArgs {
            channels: Some(channels),
        },
    );
    finish(fbb, ipc::Body::Advertise, advertise.as_union_value())
}

/// Encodes an `Unadvertise` frame.
pub fn encode_unadvertise(channel_ids: &[u32]) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(64 + 4 * channel_ids.len());
    let ids = fbb.create_vector(channel_ids);
    let body = ipc::Unadvertise::create(
        &mut fbb,
        &ipc::UnadvertiseArgs {
            channel_ids: Some(ids),
        },
    );
    finish(fbb, ipc::Body::Unadvertise, body.as_union_value())
}

/// What a client says in its `Hello`.
#[derive(Debug, Clone, Default)]
pub struct HelloArgs<'a> {
    /// A name for logs and for the game.
    pub client_name: &'a str,
    /// Every protocol version the client speaks.
    pub protocol_versions: &'a [u16],
    /// The shared secret, when the host needs one.
    pub token: Option<&'a str>,
}

/// Encodes a `Hello` frame (client side).
pub fn encode_hello(args: &HelloArgs<'_>) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(128);
    let client_name = fbb.create_string(args.client_name);
    let versions = fbb.create_vector(args.protocol_versions);
    let token = args.token.map(|t| fbb.create_string(t));
    let hello = ipc::Hello::create(
        &mut fbb,
        &ipc::HelloArgs {
            client_name: Some(client_name),
            protocol_versions: Some(versions),
            token,
        },
    );
    finish(fbb, ipc::Body::Hello, hello.as_union_value())
}

/// Encodes a `Subscribe` frame (client side).
pub fn encode_subscribe(request_id: u64, channel_ids: &[u32], patterns: &[&str]) -> Bytes {
    encode_subscription(true, request_id, channel_ids, patterns)
}

/// Encodes an `Unsubscribe` frame (client side).
pub fn encode_unsubscribe(request_id: u64, channel_ids: &[u32], patterns: &[&str]) -> Bytes {
    encode_subscription(false, request_id, channel_ids, patterns)
}

fn encode_subscription(
    subscribe: bool,
    request_id: u64,
    channel_ids: &[u32],
    patterns: &[&str],
) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(128);
    let ids = fbb.create_vector(channel_ids);
    let patterns: Vec<_> = patterns.iter().map(|p| fbb.create_string(p)).collect();
    let patterns = fbb.create_vector(&patterns);
    if subscribe {
        let body = ipc::Subscribe::create(
            &mut fbb,
            &ipc::SubscribeArgs {
                request_id,
                channel_ids: Some(ids),
                patterns: Some(patterns),
            },
        );
        finish(fbb, ipc::Body::Subscribe, body.as_union_value())
    } else {
        let body = ipc::Unsubscribe::create(
            &mut fbb,
            &ipc::UnsubscribeArgs {
                request_id,
                channel_ids: Some(ids),
                patterns: Some(patterns),
            },
        );
        finish(fbb, ipc::Body::Unsubscribe, body.as_union_value())
    }
}

/// What the host says in its `Welcome`.
#[derive(Debug, Clone)]
pub struct WelcomeArgs<'a> {
    /// The connection's id.
    pub client_id: u32,
    /// The game's name.
    pub host_name: &'a str,
    /// The host software's version.
    pub host_version: &'a str,
    /// The version chosen for this connection.
    pub protocol_version: u16,
    /// Feature names the host offers.
    pub capabilities: &'a [&'a str],
    /// Random per host start.
    pub session_id: &'a str,
    /// Named directories.
    pub directories: &'a [(String, String)],
    /// User preferences.
    pub preferences: &'a [(String, String)],
    /// Largest message the host accepts.
    pub max_message_size: u64,
    /// Most requests in flight per client.
    pub max_pending_requests: u32,
    /// How long agents have to answer, in milliseconds.
    pub request_timeout_ms: u32,
}

/// Encodes a `Welcome` frame listing `channels`.
pub fn encode_welcome<'c>(
    args: &WelcomeArgs<'_>,
    channels: impl IntoIterator<Item = &'c ChannelDescription>,
) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(1024);
    let host_name = fbb.create_string(args.host_name);
    let host_version = fbb.create_string(args.host_version);
    let capabilities: Vec<_> = args
        .capabilities
        .iter()
        .map(|c| fbb.create_string(c))
        .collect();
    let capabilities = fbb.create_vector(&capabilities);
    let session_id = fbb.create_string(args.session_id);
    let infos: Vec<_> = channels.into_iter().map(|c| c.write(&mut fbb)).collect();
    let channels = fbb.create_vector(&infos);
    let directories = write_key_values(&mut fbb, args.directories);
    let preferences = write_key_values(&mut fbb, args.preferences);
    let info = ipc::HostInfo::create(
        &mut fbb,
        &ipc::HostInfoArgs {
            directories: Some(directories),
            preferences: Some(preferences),
        },
    );
    let limits = ipc::Limits::create(
        &mut fbb,
        &ipc::LimitsArgs {
            max_message_size: args.max_message_size,
            max_pending_requests: args.max_pending_requests,
            request_timeout_ms: args.request_timeout_ms,
        },
    );
    let welcome = ipc::Welcome::create(
        &mut fbb,
        &ipc::WelcomeArgs {
            client_id: args.client_id,
            host_name: Some(host_name),
            host_version: Some(host_version),
            protocol_version: args.protocol_version,
            min_protocol_version: super::MIN_PROTOCOL_VERSION,
            max_protocol_version: super::MAX_PROTOCOL_VERSION,
            capabilities: Some(capabilities),
            session_id: Some(session_id),
            channels: Some(channels),
            info: Some(info),
            limits: Some(limits),
        },
    );
    finish(fbb, ipc::Body::Welcome, welcome.as_union_value())
}

fn write_key_values<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    pairs: &[(String, String)],
) -> WIPOffset<flatbuffers::Vector<'b, flatbuffers::ForwardsUOffset<ipc::KeyValue<'b>>>> {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let tables: Vec<_> = sorted
        .into_iter()
        .map(|(k, v)| {
            let key = fbb.create_string(k);
            let value = fbb.create_string(v);
            ipc::KeyValue::create(
                fbb,
                &ipc::KeyValueArgs {
                    key: Some(key),
                    value: Some(value),
                },
            )
        })
        .collect();
    fbb.create_vector(&tables)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_response;

    #[test]
    fn data_round_trips_and_reads_as_message_from_remote() {
        let bytes = encode_data(3, 9, 11, 13, b"hello");
        let frame = verify_frame(&bytes).unwrap();
        let data = frame.body_as_data().unwrap();
        // SAFETY: the frame was verified as a Data body, and the two tables
        // share their layout (checked at compile time in protocol/mod.rs).
        let m = unsafe { ipc::MessageFromRemote::init_from_table(data._tab) };
        assert_eq!(m.channel(), 3);
        assert_eq!(m.request_id(), 9);
        assert_eq!(m.sequence(), 11);
        assert_eq!(m.timestamp_ns(), 13);
        assert_eq!(m.content().unwrap().bytes(), b"hello");
    }

    /// The general builder's Data frame, to hold the hand-laid one against.
    fn encode_data_with_builder(c: u32, r: u64, s: u64, t: u64, content: &[u8]) -> Bytes {
        let mut fbb = FlatBufferBuilder::new();
        let content = fbb.create_vector(content);
        let data = ipc::Data::create(
            &mut fbb,
            &ipc::DataArgs {
                channel: c,
                request_id: r,
                sequence: s,
                timestamp_ns: t,
                content: Some(content),
            },
        );
        finish(fbb, ipc::Body::Data, data.as_union_value())
    }

    #[test]
    fn frames_built_in_a_reused_buffer_are_the_same_and_take_no_allocation() {
        let mut buf = BytesMut::new();
        let first = encode_data_into(
            &mut buf,
            DataHead {
                channel: 3,
                request_id: 0,
                sequence: 0,
                timestamp_ns: 77,
            },
            b"hello",
        );
        assert_eq!(first, encode_data(3, 0, 0, 77, b"hello"));
        let at = first.as_ptr();
        drop(first);
        // With the first frame gone, the next one is built in its place.
        let second = encode_data_into(
            &mut buf,
            DataHead {
                channel: 4,
                request_id: 9,
                sequence: 0,
                timestamp_ns: 78,
            },
            b"again",
        );
        assert_eq!(second, encode_data(4, 9, 0, 78, b"again"));
        assert_eq!(second.as_ptr(), at);
        // While a frame is still held, the next one goes elsewhere.
        let third = encode_data_into(
            &mut buf,
            DataHead {
                channel: 5,
                request_id: 0,
                sequence: 0,
                timestamp_ns: 79,
            },
            &[1; 300],
        );
        assert_eq!(third, encode_data(5, 0, 0, 79, &[1; 300]));
        assert_ne!(third.as_ptr(), second.as_ptr());
        assert_eq!(&second[..], &encode_data(4, 9, 0, 78, b"again")[..]);
    }

    #[test]
    fn hand_laid_data_frames_read_like_the_builders() {
        let cases: [(u32, u64, u64, u64, usize); 5] = [
            (0, 0, 0, 0, 0),
            (1, 2, 3, 4, 1),
            (u32::MAX, u64::MAX, u64::MAX - 1, 1 << 62, 7),
            (9, 0, 1, 0, 64),
            (77, 5, 6, 7, 70_000),
        ];
        for (c, r, s, t, len) in cases {
            let content: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let fast = encode_data(c, r, s, t, &content);
            let slow = encode_data_with_builder(c, r, s, t, &content);
            let a = verify_frame(&fast).unwrap().body_as_data().unwrap();
            let b = verify_frame(&slow).unwrap().body_as_data().unwrap();
            assert_eq!(
                (a.channel(), a.request_id(), a.sequence(), a.timestamp_ns()),
                (b.channel(), b.request_id(), b.sequence(), b.timestamp_ns())
            );
            assert_eq!(a.content().unwrap().bytes(), b.content().unwrap().bytes());
            assert_eq!((a.channel(), a.request_id()), (c, r));
        }
    }

    #[test]
    fn rejects_short_foreign_and_truncated_buffers() {
        assert!(matches!(
            verify_frame(b"abc"),
            Err(FrameError::TooShort { len: 3 })
        ));
        assert!(matches!(
            verify_frame(b"\x08\0\0\0XXXXmore"),
            Err(FrameError::WrongIdentifier { .. })
        ));
        let bytes = encode_data(1, 0, 0, 0, &[7; 100]);
        for cut in 8..bytes.len() {
            assert!(verify_frame(&bytes[..cut]).is_err(), "cut at {cut} passed");
        }
    }

    #[test]
    fn response_carries_failure_text() {
        let bytes = encode_response(5, 2, Err("no such entity"));
        let r = verify_frame(&bytes).unwrap().body_as_response().unwrap();
        assert_eq!(r.status(), ipc::ResponseStatus::Failed);
        assert_eq!(r.error(), Some("no such entity"));
    }
}
