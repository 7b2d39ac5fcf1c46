//! Writing the host's sequence number and clock into a finished `Data`
//! frame, so a frame an agent built goes to the sockets without being
//! decoded and encoded again.

use bytes::Bytes;

use super::ipc;

/// Where a finished frame's `sequence` and `timestamp_ns` fields lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    sequence_at: usize,
    timestamp_at: usize,
}

impl Stamp {
    /// Both fields at known offsets, for frames laid out by hand.
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    pub(crate) const fn at(sequence_at: usize, timestamp_at: usize) -> Self {
        Self {
            sequence_at,
            timestamp_at,
        }
    }

    /// Finds both fields in the `Data`-shaped table at `table`; `None` when
    /// either is absent (a builder that left them at their default).
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    pub(crate) fn locate(table: &flatbuffers::Table<'_>) -> Option<Self> {
        let vtable = table.vtable();
        let at = |slot| match vtable.get(slot) {
            0 => None,
            offset => Some(table.loc() + usize::from(offset)),
        };
        Some(Self {
            sequence_at: at(ipc::Data::VT_SEQUENCE)?,
            timestamp_at: at(ipc::Data::VT_TIMESTAMP_NS)?,
        })
    }

    /// Writes both fields. The bytes are changed in place when nothing else
    /// holds them (the usual case: the message was handed over); otherwise
    /// they are copied first, and the holder's copy stays as it was.
    pub(crate) fn write(self, frame: Bytes, sequence: u64, timestamp_ns: u64) -> Bytes {
        let mut frame = frame
            .try_into_mut()
            .unwrap_or_else(|shared| shared[..].into());
        frame[self.sequence_at..self.sequence_at + 8].copy_from_slice(&sequence.to_le_bytes());
        frame[self.timestamp_at..self.timestamp_at + 8]
            .copy_from_slice(&timestamp_ns.to_le_bytes());
        frame.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_data, verify_frame};

    fn stamp_of(frame: &Bytes) -> Stamp {
        let root = verify_frame(frame).unwrap();
        Stamp::locate(&root.body().unwrap()).expect("both fields present")
    }

    #[test]
    fn writes_in_place_when_unique_and_copies_when_shared() {
        let frame = encode_data(7, 0, 99, 99, b"content");
        let stamp = stamp_of(&frame);
        let before = frame.as_ptr();
        let stamped = stamp.write(frame, 5, 1234);
        assert_eq!(stamped.as_ptr(), before, "a unique frame is not copied");
        let data = verify_frame(&stamped).unwrap().body_as_data().unwrap();
        assert_eq!((data.sequence(), data.timestamp_ns()), (5, 1234));
        assert_eq!(data.content().unwrap().bytes(), b"content");

        let held = stamped.clone();
        let again = stamp.write(stamped, 6, 5678);
        assert_ne!(again.as_ptr(), held.as_ptr(), "a shared frame is copied");
        let kept = verify_frame(&held).unwrap().body_as_data().unwrap();
        assert_eq!(kept.sequence(), 5, "the holder's copy is untouched");
        let data = verify_frame(&again).unwrap().body_as_data().unwrap();
        assert_eq!((data.sequence(), data.timestamp_ns()), (6, 5678));
    }
}
