//! What the frames laid out by hand share: the root offset, the file
//! identifier and the `Frame` table in front of the body, written into a
//! fixed array, so each frame is one exactly sized allocation.

use bytes::Bytes;

use super::{FILE_IDENTIFIER, ipc};

/// Where the body's vtable starts in every hand-laid frame: after the root
/// offset (0), the identifier (4), the `Frame` vtable (8) and its table (16).
pub(crate) const BODY_VTABLE: usize = 32;

/// The front of a frame, written in order into an array of `N` bytes.
pub(crate) struct Head<const N: usize> {
    bytes: [u8; N],
    at: usize,
}

impl<const N: usize> Head<N> {
    /// A head for a frame whose body, of type `body`, is the table at
    /// `table`; the next bytes written are the body's vtable, at
    /// [`BODY_VTABLE`].
    pub(crate) fn frame(body: ipc::Body, table: usize) -> Self {
        const FRAME_VTABLE: usize = 8;
        const FRAME_TABLE: usize = 16;
        let mut head = Self {
            bytes: [0; N],
            at: 0,
        };
        head.put(&(FRAME_TABLE as u32).to_le_bytes());
        head.put(FILE_IDENTIFIER);
        // Frame vtable: its size, the table's size, then per field
        // (body_type, body) the field's position in the table.
        head.u16s(&[8, 12, 8, 4]);
        // Frame table: offset back to its vtable, body offset, body type.
        head.vtable_at(FRAME_VTABLE);
        head.offset_to(table);
        head.put(&[body.0, 0, 0, 0]);
        head.put(&[0; 4]);
        debug_assert_eq!(head.at, BODY_VTABLE);
        head
    }

    /// Writes `bytes` next.
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.bytes[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    /// Writes little-endian `u16`s next (a vtable).
    pub(crate) fn u16s(&mut self, values: &[u16]) {
        for v in values {
            self.put(&v.to_le_bytes());
        }
    }

    /// Starts a table: the signed offset back to its vtable at `vtable`.
    pub(crate) fn vtable_at(&mut self, vtable: usize) {
        let back = i32::try_from(self.at - vtable).unwrap_or(i32::MAX);
        self.put(&back.to_le_bytes());
    }

    /// An offset field, here, pointing forward to `to`.
    pub(crate) fn offset_to(&mut self, to: usize) {
        let forward = u32::try_from(to - self.at).unwrap_or(u32::MAX);
        self.put(&forward.to_le_bytes());
    }

    /// The frame: this head (all `N` bytes written), then `tail`.
    pub(crate) fn finish(self, tail: &[&[u8]]) -> Bytes {
        debug_assert_eq!(self.at, N, "the head is written to its end");
        let len = N + tail.iter().map(|t| t.len()).sum::<usize>();
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&self.bytes);
        for piece in tail {
            buf.extend_from_slice(piece);
        }
        Bytes::from(buf)
    }
}
