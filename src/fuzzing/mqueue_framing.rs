//! The `mqueue_framing` target: the message-queue framing's parser and
//! reassembler on untrusted slots, and its splitter on any message.

use crate::net::transport::mqueue::framing::{
    Kind, MIN_SLOT, Reassembler, STATUS_BAD_REQUEST, STATUS_NOT_IMPLEMENTED, Side, Splitter,
    parse_part, split,
};

/// Reassembly limit while fuzzing: small, so the limit is exercised.
const LIMIT: usize = 1 << 16;

/// The first byte picks a side and a slot size; the rest is, first, a
/// sequence of slots (each a little-endian u16 length and its bytes) fed
/// to a reassembler as the host feeds a client's parts, and second, a
/// message cut into parts and joined again.
///
/// Checked: nothing is held beyond the limit, every whole message fits it
/// and came from parts whose remain fell by each part's length, refusals
/// carry a status the host sends; every cut part fits its slot, parses,
/// and the parts join to the message exactly.
pub fn mqueue_framing(bytes: &[u8]) {
    if bytes.len() > super::MAX_INPUT {
        return;
    }
    let Some((&control, rest)) = bytes.split_first() else {
        return;
    };
    let side = if control & 1 == 0 {
        Side::Client
    } else {
        Side::Host
    };
    let slot = MIN_SLOT + usize::from(control >> 1) * 61;

    let mut reassembler = Reassembler::new(LIMIT);
    let mut input = rest;
    while input.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([input[0], input[1]]));
        let end = (2 + len).min(input.len());
        let part = &input[2..end];
        input = &input[end..];
        match parse_part(part, side) {
            Ok((meta, body)) => {
                let fed = reassembler.feed(meta, body);
                if let Some(refused) = &fed.refused {
                    assert_eq!(refused.status, STATUS_BAD_REQUEST);
                }
                if let Some(whole) = &fed.whole {
                    assert!(whole.bytes.len() <= LIMIT);
                }
            }
            Err(e) => {
                assert!([STATUS_BAD_REQUEST, STATUS_NOT_IMPLEMENTED].contains(&e.status()));
                reassembler.abort();
            }
        }
        assert!(reassembler.held() <= LIMIT);
    }

    let message = rest;
    let parts = split(message, Splitter::new(side, Kind::Frame, 7, Some(9)), slot);
    let mut joiner = Reassembler::new(message.len().max(1));
    let mut joined = None;
    for (i, part) in parts.iter().enumerate() {
        assert!(
            part.len() <= slot,
            "part of {} bytes in a slot of {slot}",
            part.len()
        );
        let (meta, body) = parse_part(part, side).expect("a cut part parses");
        assert_eq!(meta.more, i + 1 < parts.len());
        let fed = joiner.feed(meta, body);
        assert!(fed.refused.is_none(), "{:?}", fed.refused);
        if let Some(whole) = fed.whole {
            joined = Some(whole.bytes);
        }
    }
    assert_eq!(joined.as_deref(), Some(message));
}
