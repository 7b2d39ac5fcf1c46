//! What every soak message carries, so the receiver can tell loss,
//! duplication, reordering and corruption apart.

/// Content: sender index, stream kind, sequence number, then filler that
/// depends on the sequence number, so corruption shows as well as loss.
const HEADER: usize = 16;
pub(super) const UP: u32 = 1;
pub(super) const BROADCAST: u32 = 2;
pub(super) const RPC: u32 = 3;
pub(super) const ASK: u32 = 4;

fn content_len(seq: u64, max: usize) -> usize {
    let spread = (max.max(HEADER + 1) - HEADER) as u64;
    HEADER + ((seq.wrapping_mul(7919)) % spread) as usize
}

pub(super) fn make_content(sender: u32, kind: u32, seq: u64, max: usize) -> Vec<u8> {
    let mut content = vec![seq as u8; content_len(seq, max)];
    content[..4].copy_from_slice(&sender.to_le_bytes());
    content[4..8].copy_from_slice(&kind.to_le_bytes());
    content[8..16].copy_from_slice(&seq.to_le_bytes());
    content
}

/// Reads a content back: `Ok(seq)` when sender, kind, length and filler
/// are as made by `make_content`.
pub(super) fn check_content(
    content: &[u8],
    sender: u32,
    kind: u32,
    max: usize,
) -> Result<u64, String> {
    if content.len() < HEADER {
        return Err(format!("content of {} bytes", content.len()));
    }
    let got_sender = u32::from_le_bytes(content[..4].try_into().unwrap());
    let got_kind = u32::from_le_bytes(content[4..8].try_into().unwrap());
    let seq = u64::from_le_bytes(content[8..16].try_into().unwrap());
    if got_sender != sender || got_kind != kind {
        return Err(format!(
            "expected sender {sender} kind {kind}, got sender {got_sender} kind {got_kind}"
        ));
    }
    if content.len() != content_len(seq, max) || content[HEADER..].iter().any(|&b| b != seq as u8) {
        return Err(format!("content of #{seq} corrupted"));
    }
    Ok(seq)
}

/// The game's sender index in contents.
pub(super) const GAME: u32 = u32::MAX;

/// Checks that `seq` is the next one expected and counts it.
pub(super) fn expect_next(what: &str, seq: u64, count: &mut u64) -> Result<(), String> {
    if seq != *count {
        let kind = if seq < *count {
            "duplicate or reordered"
        } else {
            "lost or reordered"
        };
        return Err(format!("{what}: got #{seq}, expected #{count} ({kind})"));
    }
    *count += 1;
    Ok(())
}
