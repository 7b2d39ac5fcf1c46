//! The `Response` frame, laid out by hand: every answer to a request is
//! one, so the general builder's cost (its vtable search and growing field
//! list) is paid once per request on the network thread otherwise.

use bytes::Bytes;

use super::hand_laid::{BODY_VTABLE, Head};
use super::ipc;

// Offsets in the buffer, front to back: the frame's head up to 32
// (`hand_laid`), 32 Response vtable (5 fields), 48 its table (8-aligned
// for request_id), 76 the content vector or the error string.
const TABLE: usize = 48;
const TABLE_SIZE: usize = 28;
const PAYLOAD: usize = TABLE + TABLE_SIZE;

// Where each field sits in the table.
const AT_CHANNEL: u16 = 4;
const AT_REQUEST_ID: u16 = 8;
const AT_CONTENT: u16 = 16;
const AT_ERROR: u16 = 20;
const AT_STATUS: u16 = 24;

/// Encodes a `Response` frame: `Ok(content)` or `Err(reason)`.
///
/// ```
/// use switchboard::protocol::{encode_response, ipc, verify_frame};
///
/// let frame = encode_response(7, 3, Err("no such device"));
/// let response = verify_frame(&frame)?.body_as_response().unwrap();
/// assert_eq!((response.request_id(), response.channel()), (7, 3));
/// assert_eq!(response.status(), ipc::ResponseStatus::Failed);
/// assert_eq!(response.error(), Some("no such device"));
/// # Ok::<(), switchboard::protocol::FrameError>(())
/// ```
///
/// # Panics
/// When the content or the reason is larger than 4 GiB, which no message
/// size limit allows.
pub fn encode_response(request_id: u64, channel: u32, result: Result<&[u8], &str>) -> Bytes {
    let (status, payload, content_slot, error_slot, terminator) = match result {
        Ok(content) => (ipc::ResponseStatus::Ok, content, AT_CONTENT, 0, 0),
        // FlatBuffers strings end with a NUL after their bytes.
        Err(reason) => (
            ipc::ResponseStatus::Failed,
            reason.as_bytes(),
            0,
            AT_ERROR,
            1,
        ),
    };
    let len = u32::try_from(payload.len()).expect("response larger than 4 GiB");
    let mut head = Head::<{ PAYLOAD + 4 }>::frame(ipc::Body::Response, TABLE);
    // Response vtable, fields in schema order: request_id, channel,
    // status, content, error.
    head.u16s(&[
        14,
        TABLE_SIZE as u16,
        AT_REQUEST_ID,
        AT_CHANNEL,
        AT_STATUS,
        content_slot,
        error_slot,
    ]);
    head.put(&[0; 2]);
    head.vtable_at(BODY_VTABLE);
    head.put(&channel.to_le_bytes());
    head.put(&request_id.to_le_bytes());
    // Both offset slots point at the payload; the vtable says which holds.
    head.offset_to(PAYLOAD);
    head.offset_to(PAYLOAD);
    head.put(&[status.0, 0, 0, 0]);
    head.put(&len.to_le_bytes());
    head.finish(&[payload, &[0][..terminator]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::verify_frame;

    #[test]
    fn answers_and_failures_read_back() {
        let contents: [&[u8]; 5] = [b"", b"x", b"abc", b"four", &[9; 1000]];
        for content in contents {
            let frame = encode_response(u64::MAX - 3, 0xABCD_EF01, Ok(content));
            let r = verify_frame(&frame).unwrap().body_as_response().unwrap();
            assert_eq!((r.request_id(), r.channel()), (u64::MAX - 3, 0xABCD_EF01));
            assert_eq!(r.status(), ipc::ResponseStatus::Ok);
            assert_eq!(r.content().unwrap().bytes(), content);
            assert_eq!(r.error(), None);
        }
        for reason in ["", "n", "no such device", &"long ".repeat(300)] {
            let frame = encode_response(1, 2, Err(reason));
            let r = verify_frame(&frame).unwrap().body_as_response().unwrap();
            assert_eq!((r.request_id(), r.channel()), (1, 2));
            assert_eq!(r.status(), ipc::ResponseStatus::Failed);
            assert!(r.content().is_none());
            assert_eq!(r.error(), Some(reason));
        }
    }
}
