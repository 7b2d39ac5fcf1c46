//! The buffer the network thread builds its direct answers in.
//!
//! An answer that can go straight to a link which copies what it is given
//! (`Session::writes_through`) is built here, handed over, and dropped by
//! the link before the next one is built, so the buffer is free again and
//! no answer costs an allocation of its own: in a busy loop turn those
//! allocations outgrew the allocator's per-thread cache (about 390
//! instructions per message, measured with callgrind).

use bytes::BytesMut;

/// What the buffer starts with; one frame of any size fits as it grows.
const START: usize = 4 << 10;

/// Frames larger than this get an allocation of their own (beside their
/// copy it costs nothing), so the buffer never stays that large.
const LARGEST: usize = 1 << 20;

pub(crate) struct Scratch(BytesMut);

impl Default for Scratch {
    fn default() -> Self {
        Self(BytesMut::with_capacity(START))
    }
}

impl Scratch {
    /// The buffer, for a frame of `len` bytes; `None` for a large one.
    pub(crate) fn for_frame(&mut self, len: usize) -> Option<&mut BytesMut> {
        (len <= LARGEST).then_some(&mut self.0)
    }
}
