//! The verifier's rules for the one frame on the hot path, a `Frame` whose
//! body is a `Data`, checked without the general verifier's bookkeeping
//! (error traces, depth and table counters, per-field dispatch).
//!
//! It applies the same checks as the FlatBuffers verifier run on such a
//! frame, in the same places: every offset, vtable and field in the
//! buffer and aligned as its type requires, the union's type and value both
//! present, the content vector's length within the buffer. Anything it does
//! not accept, including every other body, goes to the general verifier,
//! which then accepts it or says precisely what is wrong; so this can only
//! make acceptance faster, never wider. A unit test and the `frame` fuzz
//! target hold it to that: whatever this accepts, the general verifier
//! accepts, and every `Data` frame the general verifier accepts, this
//! accepts too. The depth, table and apparent-size limits cannot be reached
//! by a frame of two tables and one byte vector.

use super::ipc;

/// True when `buf` is a `Frame` with a `Data` body that the FlatBuffers
/// verifier accepts (identifier aside, which the caller checks).
pub(crate) fn is_data_frame(buf: &[u8]) -> bool {
    data_fields(buf).is_some()
}

/// A verified `Data` table's place in its frame and the fields the host
/// and the game read from every message, read once during the check so
/// neither thread walks the vtable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataFields {
    /// The table's position (for the FlatBuffers view).
    pub loc: usize,
    pub channel: u32,
    /// 0 for a one-way message.
    pub request_id: u64,
    /// Where the content's bytes are in the frame.
    pub content_start: usize,
    pub content_len: usize,
}

impl DataFields {
    /// The fields of a `Data` table the general verifier accepted.
    pub(crate) fn of(data: ipc::Data<'_>) -> Self {
        let frame = data._tab.buf();
        let (content_start, content_len) = match data.content() {
            Some(content) => {
                let bytes = content.bytes();
                // Both point into `frame`, the vector after the table.
                let start = (bytes.as_ptr() as usize).saturating_sub(frame.as_ptr() as usize);
                (start, bytes.len())
            }
            None => (0, 0),
        };
        Self {
            loc: data._tab.loc(),
            channel: data.channel(),
            request_id: data.request_id(),
            content_start,
            content_len,
        }
    }
}

/// [`DataFields`] of `buf` when it is a `Frame` with a `Data` body that the
/// FlatBuffers verifier accepts (identifier aside, which the caller checks).
pub(crate) fn data_fields(buf: &[u8]) -> Option<DataFields> {
    let b = Buffer(buf);
    let frame = b.table(b.uoffset(0)? as usize)?;
    let body = b.field(&frame, ipc::Frame::VT_BODY)?;
    let body_type = b.field(&frame, ipc::Frame::VT_BODY_TYPE)?;
    let (Some(body), Some(body_type)) = (body, body_type) else {
        return None;
    };
    if *buf.get(body_type)? != ipc::Body::Data.0 {
        return None;
    }
    let loc = (b.uoffset(body)? as usize).saturating_add(body);
    let data = b.table(loc)?;
    let mut fields = DataFields {
        loc,
        channel: 0,
        request_id: 0,
        content_start: 0,
        content_len: 0,
    };
    if let Some(at) = b.field(&data, ipc::Data::VT_CHANNEL)? {
        fields.channel = b.uoffset(at)?;
    }
    if let Some(at) = b.field(&data, ipc::Data::VT_REQUEST_ID)? {
        fields.request_id = b.u64(at)?;
    }
    for slot in [ipc::Data::VT_SEQUENCE, ipc::Data::VT_TIMESTAMP_NS] {
        if let Some(at) = b.field(&data, slot)? {
            b.holds(at, 8, 8)?;
        }
    }
    if let Some(at) = b.field(&data, ipc::Data::VT_CONTENT)? {
        let vector = (b.uoffset(at)? as usize).saturating_add(at);
        let len = b.uoffset(vector)? as usize;
        let start = vector.saturating_add(4);
        b.holds(start, len, 1)?;
        fields.content_start = start;
        fields.content_len = len;
    }
    Some(fields)
}

struct Buffer<'a>(&'a [u8]);

/// A table's position and its vtable's.
struct Table {
    pos: usize,
    vtable: usize,
    vtable_len: usize,
}

impl Buffer<'_> {
    /// `size` bytes at `pos`, aligned to `align` (relative to the buffer's
    /// start, as the verifier counts alignment).
    #[inline(always)]
    fn holds(&self, pos: usize, size: usize, align: usize) -> Option<()> {
        (pos % align == 0 && pos.saturating_add(size) <= self.0.len()).then_some(())
    }

    #[inline(always)]
    fn u16(&self, pos: usize) -> Option<u16> {
        self.holds(pos, 2, 2)?;
        Some(u16::from_le_bytes([self.0[pos], self.0[pos + 1]]))
    }

    #[inline(always)]
    fn bytes4(&self, pos: usize) -> Option<[u8; 4]> {
        self.holds(pos, 4, 4)?;
        Some([
            self.0[pos],
            self.0[pos + 1],
            self.0[pos + 2],
            self.0[pos + 3],
        ])
    }

    #[inline(always)]
    fn u64(&self, pos: usize) -> Option<u64> {
        self.holds(pos, 8, 8)?;
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.0[pos..pos + 8]);
        Some(u64::from_le_bytes(bytes))
    }

    #[inline(always)]
    fn uoffset(&self, pos: usize) -> Option<u32> {
        self.bytes4(pos).map(u32::from_le_bytes)
    }

    #[inline(always)]
    fn table(&self, pos: usize) -> Option<Table> {
        let soffset = i32::from_le_bytes(self.bytes4(pos)?);
        let distance = soffset.unsigned_abs() as usize;
        // Signed offsets point backwards when positive.
        let vtable = if soffset > 0 {
            pos.checked_sub(distance)?
        } else {
            pos.checked_add(distance)?
        };
        if vtable >= self.0.len() {
            return None;
        }
        let vtable_len = usize::from(self.u16(vtable)?);
        let end = vtable.saturating_add(vtable_len);
        (end % 2 == 0 && end <= self.0.len()).then_some(Table {
            pos,
            vtable,
            vtable_len,
        })
    }

    /// `Some(None)` when the field is absent, `None` when the vtable entry
    /// itself is out of bounds.
    #[inline(always)]
    fn field(&self, table: &Table, slot: u16) -> Option<Option<usize>> {
        let slot = usize::from(slot);
        if slot >= table.vtable_len {
            return Some(None);
        }
        match self.u16(table.vtable.saturating_add(slot))? {
            0 => Some(None),
            offset => Some(Some(table.pos.saturating_add(usize::from(offset)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{HelloArgs, encode_data, encode_error, encode_hello};
    use flatbuffers::FlatBufferBuilder;

    fn general(buf: &[u8]) -> bool {
        ipc::root_as_frame(buf).is_ok_and(|f| f.body_type() == ipc::Body::Data)
    }

    fn built_with_builder(content: &[u8], force_defaults: bool) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        fbb.force_defaults(force_defaults);
        let content = fbb.create_vector(content);
        let data = ipc::Data::create(
            &mut fbb,
            &ipc::DataArgs {
                channel: 3,
                request_id: 9,
                content: Some(content),
                ..Default::default()
            },
        );
        let frame = ipc::Frame::create(
            &mut fbb,
            &ipc::FrameArgs {
                body_type: ipc::Body::Data,
                body: Some(data.as_union_value()),
            },
        );
        ipc::finish_frame_buffer(&mut fbb, frame);
        fbb.finished_data().to_vec()
    }

    #[test]
    fn accepts_data_frames_from_every_encoder() {
        for content in [&b""[..], b"x", &[7u8; 300]] {
            assert!(is_data_frame(&encode_data(1, 2, 3, 4, content)));
            assert!(is_data_frame(&built_with_builder(content, false)));
            assert!(is_data_frame(&built_with_builder(content, true)));
        }
        assert!(!is_data_frame(&encode_error(
            ipc::ErrorCode::Timeout,
            "t",
            1,
            2
        )));
        assert!(!is_data_frame(&encode_hello(&HelloArgs {
            client_name: "x",
            protocol_versions: &[1],
            token: None,
        })));
    }

    /// The fields read during the check are the ones the generated
    /// accessors read, for every encoder and with fields left out.
    #[test]
    fn reads_the_same_fields_as_the_generated_code() {
        let frames = [
            encode_data(7, 0, 0, 0, b"").to_vec(),
            encode_data(u32::MAX, u64::MAX, 5, 6, &[0xAB; 70]).to_vec(),
            built_with_builder(b"content", false),
            built_with_builder(b"content", true),
            built_with_builder(b"", false),
        ];
        for frame in frames {
            let fields = data_fields(&frame).expect("a Data frame");
            let data = ipc::root_as_frame(&frame)
                .ok()
                .and_then(|f| f.body_as_data())
                .expect("a Data frame");
            assert_eq!(fields, DataFields::of(data));
            assert_eq!(fields.channel, data.channel());
            assert_eq!(fields.request_id, data.request_id());
            let content = data.content().map(|c| c.bytes()).unwrap_or_default();
            assert_eq!(
                &frame[fields.content_start..fields.content_start + fields.content_len],
                content
            );
        }
    }

    /// Byte flips, truncations and extensions of valid frames: this path
    /// and the general verifier agree on every one.
    #[test]
    fn agrees_with_the_general_verifier_on_mutations() {
        let seeds = [
            encode_data(1, 0, 0, 0, b"hello").to_vec(),
            encode_data(u32::MAX, u64::MAX, 5, 6, &[0xAB; 70]).to_vec(),
            built_with_builder(b"builder", false),
            built_with_builder(b"forced", true),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for round in 0..200_000 {
            let mut buf = seeds[round % seeds.len()].clone();
            for _ in 0..1 + next() % 3 {
                match next() % 4 {
                    0 | 1 => {
                        let i = (next() as usize) % buf.len();
                        buf[i] = next() as u8;
                    }
                    2 => buf.truncate((next() as usize) % (buf.len() + 1)),
                    _ => buf.extend((0..next() % 9).map(|_| next() as u8)),
                }
                if buf.is_empty() {
                    break;
                }
            }
            let fast = is_data_frame(&buf);
            assert_eq!(fast, general(&buf), "disagree on {buf:?}");
            accepted += usize::from(fast);
        }
        // The mutations must reach both outcomes for the test to mean anything.
        assert!(accepted > 1_000, "only {accepted} mutations stayed valid");
    }
}
