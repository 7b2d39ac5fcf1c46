//! The message-queue framing, as pure functions: a queue slot holds
//! `<metadata JSON>\0<part>`, and a message larger than a slot travels as
//! several parts of one `uniq`, each saying how many bytes remain.
//!
//! `remain` counts the bytes from the start of this part to the end of the
//! message, so the first part announces the whole size (a message over the
//! limit is refused before any of it is kept) and each following part's
//! `remain` is the previous one minus the previous part's length: strictly
//! decreasing. A client's parts say `req` 1 while more follow and 0 on the
//! last; the host's say `status` 206 and then 200. A close is a message
//! whose metadata also holds `close` (the code) and whose bytes are the
//! reason. A refusal is one part from the host with `status` 400, 500 or
//! 501, the refused message's `uniq`, and the reason as its bytes.
//!
//! Nothing here touches a queue, so the fuzz target drives exactly this.

use serde::Deserialize;

/// Smallest slot the transport works with: room for the longest metadata
/// and a useful part. Queues with smaller slots are refused.
pub(crate) const MIN_SLOT: usize = 128;

/// Status of a host part that more parts follow.
pub(crate) const STATUS_PARTIAL: u16 = 206;
/// Status of a host message's last part.
pub(crate) const STATUS_OK: u16 = 200;
/// The sender broke the framing (bad metadata, broken sequence, too large).
pub(crate) const STATUS_BAD_REQUEST: u16 = 400;
/// The host failed to take a well-formed message. Reserved: this host
/// does not send it today, but clients treat it as any refusal.
#[allow(dead_code)]
pub(crate) const STATUS_INTERNAL: u16 = 500;
/// A `req` value the host does not implement.
pub(crate) const STATUS_NOT_IMPLEMENTED: u16 = 501;

/// Who wrote a part: the client's parts carry `req`, the host's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Host,
}

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A protocol frame.
    Frame,
    /// A close with this code; the bytes are the reason.
    Close(u16),
    /// The host refused a message with this status; the bytes say why.
    Refusal(u16),
}

/// One part's metadata, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub uniq: u64,
    pub remain: u64,
    /// More parts of this message follow.
    pub more: bool,
    pub kind: Kind,
    /// The sender's process id, when it gives one (clients do, so the
    /// host can tell when they are gone).
    pub pid: Option<u32>,
}

#[derive(Deserialize)]
struct RawMeta {
    req: Option<i64>,
    status: Option<i64>,
    uniq: u64,
    remain: u64,
    close: Option<u16>,
    pid: Option<u32>,
}

/// Why a slot could not be read as a part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PartError {
    #[error("no NUL byte ends the metadata")]
    NoSeparator,
    #[error("metadata is not the expected JSON object: {0}")]
    BadMetadata(String),
    #[error("req {0} is not implemented (0: last part, 1: more parts follow)")]
    UnknownReq(i64),
    #[error("status {0} is not a status this side sends")]
    UnknownStatus(i64),
}

impl PartError {
    /// The status a refusal of this part carries.
    pub(crate) fn status(&self) -> u16 {
        match self {
            PartError::UnknownReq(_) => STATUS_NOT_IMPLEMENTED,
            _ => STATUS_BAD_REQUEST,
        }
    }
}

/// Splits one slot into its checked metadata and its part.
pub(crate) fn parse_part(slot: &[u8], from: Side) -> Result<(Meta, &[u8]), PartError> {
    let nul = slot
        .iter()
        .position(|b| *b == 0)
        .ok_or(PartError::NoSeparator)?;
    let raw: RawMeta =
        serde_json::from_slice(&slot[..nul]).map_err(|e| PartError::BadMetadata(e.to_string()))?;
    let part = &slot[nul + 1..];
    let (more, refusal) = match from {
        Side::Client => match raw.req {
            Some(0) => (false, None),
            Some(1) => (true, None),
            Some(other) => return Err(PartError::UnknownReq(other)),
            None => return Err(PartError::BadMetadata("req is missing".to_owned())),
        },
        Side::Host => match raw.status {
            Some(200) => (false, None),
            Some(206) => (true, None),
            Some(s @ (400 | 500 | 501)) => (false, Some(s as u16)),
            Some(other) => return Err(PartError::UnknownStatus(other)),
            None => return Err(PartError::BadMetadata("status is missing".to_owned())),
        },
    };
    let kind = match (refusal, raw.close) {
        (Some(status), _) => Kind::Refusal(status),
        (None, Some(code)) => Kind::Close(code),
        (None, None) => Kind::Frame,
    };
    Ok((
        Meta {
            uniq: raw.uniq,
            remain: raw.remain,
            more,
            kind,
            pid: raw.pid,
        },
        part,
    ))
}

/// A whole message, reassembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Whole {
    pub uniq: u64,
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

/// A message the receiver dropped, and the answer the sender gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    /// The refused message's `uniq` (0 when the metadata could not be read).
    pub uniq: u64,
    pub reason: String,
}

/// What one part did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Fed {
    /// A message was refused and dropped (perhaps one begun earlier).
    pub refused: Option<Refusal>,
    /// A message is complete.
    pub whole: Option<Whole>,
}

struct Partial {
    uniq: u64,
    kind: Kind,
    /// The `remain` the next part must carry.
    expect: u64,
    bytes: Vec<u8>,
}

/// Joins parts into messages for one sender. It holds at most one partial
/// message, never more than `max_message` bytes.
pub(crate) struct Reassembler {
    max_message: usize,
    partial: Option<Partial>,
    /// The rest of this refused message is dropped as it arrives.
    discarding: Option<u64>,
}

fn refusal(uniq: u64, reason: String) -> Refusal {
    Refusal {
        status: STATUS_BAD_REQUEST,
        uniq,
        reason,
    }
}

impl Reassembler {
    pub(crate) fn new(max_message: usize) -> Self {
        Self {
            max_message,
            partial: None,
            discarding: None,
        }
    }

    /// Bytes held for the message in progress.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn held(&self) -> usize {
        self.partial.as_ref().map_or(0, |p| p.bytes.len())
    }

    /// Drops the message in progress (its metadata broke); returns its
    /// `uniq`, whose further parts are then dropped too.
    pub(crate) fn abort(&mut self) -> Option<u64> {
        let partial = self.partial.take()?;
        self.discarding = Some(partial.uniq);
        Some(partial.uniq)
    }

    /// Takes one part.
    pub(crate) fn feed(&mut self, meta: Meta, part: &[u8]) -> Fed {
        if let Some(uniq) = self.discarding {
            if uniq == meta.uniq {
                if !meta.more {
                    self.discarding = None;
                }
                return Fed::default();
            }
            self.discarding = None;
        }
        let mut fed = Fed::default();
        if let Some(partial) = self.partial.take() {
            if partial.uniq != meta.uniq {
                // The old message is broken; this part may well start a
                // good one, so it goes on below.
                self.discarding = Some(partial.uniq);
                fed.refused = Some(refusal(
                    partial.uniq,
                    format!(
                        "message {} dropped: a part of message {} arrived before its last part",
                        partial.uniq, meta.uniq
                    ),
                ));
            } else {
                match self.continue_partial(partial, meta, part) {
                    Ok(whole) => fed.whole = whole,
                    Err(refused) => fed.refused = Some(refused),
                }
                return fed;
            }
        }
        match self.start(meta, part) {
            Ok(whole) => fed.whole = whole,
            // A refusal of the new message replaces none: the old one's
            // refusal, if any, was about another uniq and is kept first.
            Err(refused) if fed.refused.is_none() => fed.refused = Some(refused),
            Err(_) => {}
        }
        fed
    }

    fn fail(&mut self, meta: &Meta, reason: String) -> Refusal {
        if meta.more {
            self.discarding = Some(meta.uniq);
        }
        refusal(meta.uniq, reason)
    }

    fn start(&mut self, meta: Meta, part: &[u8]) -> Result<Option<Whole>, Refusal> {
        if meta.remain > self.max_message as u64 {
            let reason = format!(
                "message {} of {} bytes is larger than the limit of {} bytes",
                meta.uniq, meta.remain, self.max_message
            );
            return Err(self.fail(&meta, reason));
        }
        let partial = Partial {
            uniq: meta.uniq,
            kind: meta.kind,
            expect: meta.remain,
            bytes: Vec::new(),
        };
        self.continue_partial(partial, meta, part)
    }

    fn continue_partial(
        &mut self,
        mut partial: Partial,
        meta: Meta,
        part: &[u8],
    ) -> Result<Option<Whole>, Refusal> {
        let len = part.len() as u64;
        if meta.remain != partial.expect {
            let reason = format!(
                "message {} dropped: remain {} where {} was due (remain falls by each part's length)",
                meta.uniq, meta.remain, partial.expect
            );
            return Err(self.fail(&meta, reason));
        }
        if meta.kind != partial.kind {
            let reason = format!(
                "message {} dropped: its parts disagree on what it is",
                meta.uniq
            );
            return Err(self.fail(&meta, reason));
        }
        if meta.more && len >= meta.remain {
            let reason = format!(
                "message {} dropped: more parts announced but its {} remaining bytes are all here",
                meta.uniq, meta.remain
            );
            return Err(self.fail(&meta, reason));
        }
        if !meta.more && len != meta.remain {
            let reason = format!(
                "message {} dropped: its last part holds {} bytes where remain says {}",
                meta.uniq, len, meta.remain
            );
            return Err(self.fail(&meta, reason));
        }
        if partial.bytes.is_empty() {
            // The announced size is within the limit; reserve a part's worth
            // now and let it grow with what actually arrives.
            partial.bytes.reserve(part.len());
        }
        partial.bytes.extend_from_slice(part);
        if meta.more {
            partial.expect = meta.remain - len;
            self.partial = Some(partial);
            return Ok(None);
        }
        Ok(Some(Whole {
            uniq: partial.uniq,
            kind: partial.kind,
            bytes: partial.bytes,
        }))
    }
}

/// Writes one part's metadata.
fn write_meta(
    out: &mut Vec<u8>,
    side: Side,
    kind: Kind,
    uniq: u64,
    remain: usize,
    more: bool,
    pid: Option<u32>,
) {
    use std::io::Write;
    let _ = match (side, kind) {
        (_, Kind::Refusal(status)) => write!(
            out,
            r#"{{"status":{status},"uniq":{uniq},"remain":{remain}"#
        ),
        (Side::Client, _) => write!(
            out,
            r#"{{"req":{},"uniq":{uniq},"remain":{remain}"#,
            u8::from(more)
        ),
        (Side::Host, _) => write!(
            out,
            r#"{{"status":{},"uniq":{uniq},"remain":{remain}"#,
            if more { STATUS_PARTIAL } else { STATUS_OK }
        ),
    };
    if let Kind::Close(code) = kind {
        let _ = write!(out, r#","close":{code}"#);
    }
    if let Some(pid) = pid {
        let _ = write!(out, r#","pid":{pid}"#);
    }
    out.extend_from_slice(b"}\0");
}

/// How one message is cut into parts: [`next_part`](Self::next_part),
/// send it, [`advance`](Self::advance), until [`done`](Self::done).
#[derive(Debug, Clone)]
pub(crate) struct Splitter {
    side: Side,
    kind: Kind,
    uniq: u64,
    pid: Option<u32>,
    /// Bytes of the message already sent.
    offset: usize,
    /// Every part is sent (an empty message still makes one part).
    finished: bool,
}

impl Splitter {
    pub(crate) fn new(side: Side, kind: Kind, uniq: u64, pid: Option<u32>) -> Self {
        Self {
            side,
            kind,
            uniq,
            pid,
            offset: 0,
            finished: false,
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.finished
    }

    /// Writes the next part of `message` into `out` (cleared first), at
    /// most `slot` bytes (at least [`MIN_SLOT`]), and returns how many of
    /// the message's bytes it used. Nothing moves until
    /// [`advance`](Self::advance), so a part refused for lack of room is
    /// cut again the same way.
    pub(crate) fn next_part(&self, message: &[u8], slot: usize, out: &mut Vec<u8>) -> usize {
        let rest = &message[self.offset.min(message.len())..];
        out.clear();
        write_meta(
            out,
            self.side,
            self.kind,
            self.uniq,
            rest.len(),
            false,
            self.pid,
        );
        if out.len() + rest.len() <= slot {
            out.extend_from_slice(rest);
            return rest.len();
        }
        if matches!(self.kind, Kind::Refusal(_) | Kind::Close(_)) {
            // Closes and refusals are one part: the reason is cut to fit.
            let take = rest.len().min(slot.saturating_sub(out.len()));
            out.clear();
            write_meta(out, self.side, self.kind, self.uniq, take, false, self.pid);
            out.extend_from_slice(&rest[..take]);
            return rest.len();
        }
        out.clear();
        write_meta(
            out,
            self.side,
            self.kind,
            self.uniq,
            rest.len(),
            true,
            self.pid,
        );
        let take = slot.saturating_sub(out.len()).min(rest.len());
        out.extend_from_slice(&rest[..take]);
        take
    }

    /// The part [`next_part`](Self::next_part) wrote is sent.
    pub(crate) fn advance(&mut self, used: usize, message_len: usize) {
        self.offset += used;
        self.finished = self.offset >= message_len;
    }
}

/// Cuts a whole message into parts at once (tests, the fuzz target).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn split(message: &[u8], mut splitter: Splitter, slot: usize) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    while !splitter.done() {
        let mut out = Vec::new();
        let used = splitter.next_part(message, slot, &mut out);
        splitter.advance(used, message.len());
        parts.push(out);
    }
    parts
}

#[cfg(test)]
mod tests;
