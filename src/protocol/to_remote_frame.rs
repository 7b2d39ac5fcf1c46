//! A `Frame` whose body is a `MessageToRemote` table, laid out by hand.
//!
//! Agents answer most messages with a plain send, publish or response:
//! a channel, a client, a request id and some bytes. Building that with
//! the general `FlatBufferBuilder` costs more than the rest of the game
//! path together (its vtable search, its growing field list, its reallocs:
//! about 3,000 instructions per message, measured with callgrind). The
//! layout below is fixed, so it is written into one buffer of the right
//! size: one allocation, the content copied once.
//!
//! Every field is present, `sequence` and `timestamp_ns` included, so the
//! host can stamp the frame in place; the table shares `Data`'s first five
//! slots, so readers of `Data` read it as one (see `schema/ipc.fbs`).

use std::sync::LazyLock;

use bytes::Bytes;

use super::hand_laid::{BODY_VTABLE, Head};
use super::{Stamp, ipc};

// Offsets in the buffer, front to back: the frame's head up to 32
// (`hand_laid`), 32 MessageToRemote vtable (8 fields), 56 its table
// (8-aligned for the u64 fields), 104 the content vector, then the error
// string if any.
const TABLE: usize = 56;
const TABLE_SIZE: usize = 48;
const CONTENT: usize = TABLE + TABLE_SIZE;

// Where each field sits in the table.
const AT_CHANNEL: u16 = 4;
const AT_REQUEST_ID: u16 = 8;
const AT_SEQUENCE: u16 = 16;
const AT_TIMESTAMP: u16 = 24;
const AT_CONTENT: u16 = 32;
const AT_CLIENT: u16 = 36;
const AT_ERROR: u16 = 40;
const AT_STATUS: u16 = 44;

/// The offset of the `MessageToRemote` table in a frame from
/// [`encode_to_remote`].
pub(crate) const TO_REMOTE_TABLE: usize = TABLE;

/// What one `MessageToRemote` says, for [`encode_to_remote`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ToRemoteFields<'a> {
    pub channel: u32,
    pub client: u32,
    pub request_id: u64,
    pub content: &'a [u8],
    /// `Some`: status Failed with this reason.
    pub error: Option<&'a str>,
}

/// A finished `Frame` with a `Data` body that is this `MessageToRemote`.
///
/// # Panics
/// When the content or the error is larger than 4 GiB, which no message
/// size limit allows.
pub(crate) fn encode_to_remote(fields: ToRemoteFields<'_>) -> Bytes {
    let content_len = u32::try_from(fields.content.len()).expect("content larger than 4 GiB");
    if fields.error.is_none() {
        // The common case: the head is the same but for four fields.
        let mut frame = Vec::with_capacity(CONTENT + 4 + fields.content.len());
        frame.extend_from_slice(&PLAIN_HEAD);
        frame.extend_from_slice(fields.content);
        let put = |frame: &mut Vec<u8>, at: usize, bytes: &[u8]| {
            frame[at..at + bytes.len()].copy_from_slice(bytes);
        };
        put(
            &mut frame,
            TABLE + usize::from(AT_CHANNEL),
            &fields.channel.to_le_bytes(),
        );
        put(
            &mut frame,
            TABLE + usize::from(AT_REQUEST_ID),
            &fields.request_id.to_le_bytes(),
        );
        put(
            &mut frame,
            TABLE + usize::from(AT_CLIENT),
            &fields.client.to_le_bytes(),
        );
        put(&mut frame, CONTENT, &content_len.to_le_bytes());
        return Bytes::from(frame);
    }
    laid_out(fields, content_len)
}

/// The head of every frame without an error, with its fields zero.
static PLAIN_HEAD: LazyLock<Bytes> = LazyLock::new(|| {
    laid_out(
        ToRemoteFields {
            channel: 0,
            client: 0,
            request_id: 0,
            content: &[],
            error: None,
        },
        0,
    )
});

fn laid_out(fields: ToRemoteFields<'_>, content_len: u32) -> Bytes {
    let content_end = CONTENT + 4 + fields.content.len();
    let error_at = content_end.next_multiple_of(4);
    let mut head = Head::<{ CONTENT + 4 }>::frame(ipc::Body::Data, TABLE);
    // MessageToRemote vtable, fields in schema order.
    let error_slot = if fields.error.is_some() { AT_ERROR } else { 0 };
    head.u16s(&[
        20,
        TABLE_SIZE as u16,
        AT_CHANNEL,
        AT_REQUEST_ID,
        AT_SEQUENCE,
        AT_TIMESTAMP,
        AT_CONTENT,
        AT_CLIENT,
        AT_STATUS,
        error_slot,
    ]);
    head.put(&[0; 4]);
    head.vtable_at(BODY_VTABLE);
    head.put(&fields.channel.to_le_bytes());
    head.put(&fields.request_id.to_le_bytes());
    head.put(&[0; 16]); // sequence and timestamp, stamped by the host
    head.offset_to(CONTENT);
    head.put(&fields.client.to_le_bytes());
    match fields.error {
        Some(_) => head.offset_to(error_at),
        None => head.put(&[0; 4]),
    }
    let status = match fields.error {
        Some(_) => ipc::ResponseStatus::Failed,
        None => ipc::ResponseStatus::Ok,
    };
    head.put(&[status.0, 0, 0, 0]);
    head.put(&content_len.to_le_bytes());
    match fields.error {
        None => head.finish(&[fields.content]),
        Some(error) => {
            let error_len = u32::try_from(error.len()).expect("error larger than 4 GiB");
            let padding = [0u8; 3];
            head.finish(&[
                fields.content,
                &padding[..error_at - content_end],
                &error_len.to_le_bytes(),
                error.as_bytes(),
                // FlatBuffers strings end with a NUL after their bytes.
                &[0],
            ])
        }
    }
}

/// Where the host stamps a frame from [`encode_to_remote`].
pub(crate) fn to_remote_stamp() -> Stamp {
    Stamp::at(
        TABLE + usize::from(AT_SEQUENCE),
        TABLE + usize::from(AT_TIMESTAMP),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::verify_frame;

    fn to_remote(frame: &Bytes) -> ipc::MessageToRemote<'_> {
        // The general verifier accepts the frame as a Frame with a Data body...
        let data = verify_frame(frame).unwrap().body_as_data().unwrap();
        assert_eq!(data._tab.loc(), TO_REMOTE_TABLE);
        // ...and the same table, read as a MessageToRemote, passes the
        // verifier for that table too.
        let opts = flatbuffers::VerifierOptions::default();
        let mut verifier = flatbuffers::Verifier::new(&opts, frame);
        <ipc::MessageToRemote as flatbuffers::Verifiable>::run_verifier(
            &mut verifier,
            TO_REMOTE_TABLE,
        )
        .unwrap();
        unsafe { ipc::MessageToRemote::init_from_table(flatbuffers::Table::new(frame, TABLE)) }
    }

    #[test]
    fn every_field_reads_back() {
        for content in [&b""[..], b"x", b"abc", b"four", &[7u8; 1000][..]] {
            for error in [None, Some(""), Some("no"), Some("bad value")] {
                let frame = encode_to_remote(ToRemoteFields {
                    channel: 0xDEAD_BEEF,
                    client: 42,
                    request_id: u64::MAX - 1,
                    content,
                    error,
                });
                let m = to_remote(&frame);
                assert_eq!(m.channel(), 0xDEAD_BEEF);
                assert_eq!(m.client(), 42);
                assert_eq!(m.request_id(), u64::MAX - 1);
                assert_eq!((m.sequence(), m.timestamp_ns()), (0, 0));
                assert_eq!(m.content().unwrap().bytes(), content);
                assert_eq!(m.error(), error);
                let failed = error.is_some();
                assert_eq!(m.status() == ipc::ResponseStatus::Failed, failed);
            }
        }
    }

    #[test]
    fn the_shared_head_gives_the_same_bytes_as_laying_out() {
        for content in [&b""[..], b"x", b"abc", &[7u8; 300][..]] {
            let fields = ToRemoteFields {
                channel: 7,
                client: 9,
                request_id: 11,
                content,
                error: None,
            };
            let len = content.len() as u32;
            assert_eq!(encode_to_remote(fields), laid_out(fields, len));
        }
    }

    #[test]
    fn the_host_can_stamp_it() {
        let frame = encode_to_remote(ToRemoteFields {
            channel: 3,
            client: 0,
            request_id: 0,
            content: b"hi",
            error: None,
        });
        let data = verify_frame(&frame).unwrap().body_as_data().unwrap();
        let stamp = Stamp::locate(&data._tab).expect("stamp slots present");
        assert_eq!(stamp, to_remote_stamp());
        let stamped = stamp.write(frame.clone(), 9, 77);
        let data = verify_frame(&stamped).unwrap().body_as_data().unwrap();
        assert_eq!((data.sequence(), data.timestamp_ns()), (9, 77));
        assert_eq!(data.content().unwrap().bytes(), b"hi");
    }

    #[test]
    fn the_fast_data_check_accepts_it() {
        let frame = encode_to_remote(ToRemoteFields {
            channel: 1,
            client: 5,
            request_id: 0,
            content: b"payload",
            error: None,
        });
        assert!(crate::protocol::fast_verify::is_data_frame(&frame));
    }
}
