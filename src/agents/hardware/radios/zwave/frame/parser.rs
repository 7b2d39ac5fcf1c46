//! The incremental parser: takes whatever chunks the port delivers and
//! yields frames, bad checksums and skipped noise.

use super::{ACK, CAN, DataFrame, Frame, FrameType, FunctionId, MIN_LENGTH, NAK, SOF, checksum};

/// What the [`FrameParser`] found in the bytes it was fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseEvent {
    /// A complete frame with a correct checksum (or a single-byte frame).
    Frame(Frame),
    /// A complete data frame whose checksum did not match; the receiver
    /// answers with `NAK`.
    BadChecksum {
        /// The `FUNC` byte of the damaged frame (it may itself be damaged).
        func_id: u8,
        /// The checksum byte that arrived.
        received: u8,
        /// The checksum computed over the bytes that arrived.
        computed: u8,
    },
    /// A data frame with a correct checksum but a `TYPE` that is neither
    /// request nor response. The receiver acknowledges and ignores it.
    UnknownType {
        /// The `TYPE` byte.
        frame_type: u8,
        /// The `FUNC` byte.
        func_id: u8,
    },
    /// Bytes that are not part of any frame were skipped: noise between
    /// frames, a `SOF` followed by an impossible length, or a partial frame
    /// dropped by [`FrameParser::reset`].
    Discarded {
        /// How many bytes were skipped.
        bytes: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParserState {
    /// Between frames, looking for SOF / ACK / NAK / CAN.
    Idle,
    /// Saw SOF, waiting for LEN.
    Length,
    /// Collecting the `remaining` bytes after LEN.
    Body { remaining: u8 },
}

/// An incremental Serial API frame parser.
///
/// Feed it whatever chunks the serial port delivers; it returns the frames
/// completed so far and keeps any partial frame for the next call. Bytes
/// that cannot start a frame are skipped and reported as
/// [`ParseEvent::Discarded`]; a `SOF` followed by a `LEN` below 3 or above
/// the parser's limit is treated as noise too, and scanning resumes at the
/// byte after that `SOF`.
///
/// ```
/// # use switchboard::agents::hardware::zwave::frame::{Frame, FrameParser, ParseEvent};
/// let mut parser = FrameParser::new();
/// assert!(parser.feed(&[0x06, 0x01, 0x03]).first() == Some(&ParseEvent::Frame(Frame::Ack)));
/// assert!(parser.in_frame());
/// let events = parser.feed(&[0x00, 0x15, 0xE9]);
/// assert!(matches!(&events[..], [ParseEvent::Frame(Frame::Data(_))]));
/// ```
#[derive(Debug, Clone)]
pub struct FrameParser {
    state: ParserState,
    /// LEN and the bytes after it, for the frame being collected.
    buf: Vec<u8>,
    pub(super) max_length: u8,
    /// Noise bytes not yet reported.
    garbage: usize,
}

impl Default for FrameParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameParser {
    /// A parser that accepts any legal `LEN` (3..=255).
    pub fn new() -> Self {
        Self::with_max_length(u8::MAX)
    }

    /// A parser that treats a `LEN` above `max_length` as noise (`max_length`
    /// is raised to at least 3).
    pub fn with_max_length(max_length: u8) -> Self {
        FrameParser {
            state: ParserState::Idle,
            buf: Vec::with_capacity(usize::from(max_length) + 1),
            max_length: max_length.max(MIN_LENGTH),
            garbage: 0,
        }
    }

    /// Whether a data frame has started (`SOF` seen) but not finished.
    pub fn in_frame(&self) -> bool {
        self.state != ParserState::Idle
    }

    /// Drops any partial frame (for example after the frame-receive timeout)
    /// and returns how many bytes were dropped.
    pub fn reset(&mut self) -> usize {
        let dropped = match self.state {
            ParserState::Idle => 0,
            ParserState::Length => 1,
            ParserState::Body { .. } => 1 + self.buf.len(),
        };
        self.state = ParserState::Idle;
        self.buf.clear();
        dropped
    }

    /// Parses `bytes` and returns what was completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ParseEvent> {
        let mut events = Vec::new();
        self.feed_into(bytes, &mut events);
        events
    }

    /// Parses `bytes`, appending what was completed to `events`.
    pub fn feed_into(&mut self, bytes: &[u8], events: &mut Vec<ParseEvent>) {
        for &byte in bytes {
            self.push(byte, events);
        }
        self.flush_garbage(events);
    }

    fn flush_garbage(&mut self, events: &mut Vec<ParseEvent>) {
        if self.garbage > 0 {
            events.push(ParseEvent::Discarded {
                bytes: self.garbage,
            });
            self.garbage = 0;
        }
    }

    fn push(&mut self, byte: u8, events: &mut Vec<ParseEvent>) {
        match self.state {
            ParserState::Idle => self.push_idle(byte, events),
            ParserState::Length => {
                if byte < MIN_LENGTH || byte > self.max_length {
                    // Not a frame after all: the SOF was noise. Rescan this
                    // byte, which may itself start a frame.
                    self.state = ParserState::Idle;
                    self.garbage += 1;
                    self.push_idle(byte, events);
                } else {
                    self.buf.clear();
                    self.buf.push(byte);
                    self.state = ParserState::Body { remaining: byte };
                }
            }
            ParserState::Body { remaining } => {
                self.buf.push(byte);
                if remaining == 1 {
                    self.state = ParserState::Idle;
                    self.finish(events);
                } else {
                    self.state = ParserState::Body {
                        remaining: remaining - 1,
                    };
                }
            }
        }
    }

    fn push_idle(&mut self, byte: u8, events: &mut Vec<ParseEvent>) {
        let frame = match byte {
            SOF => {
                // Noise before the SOF is reported with whatever the frame
                // turns out to be, so that a run of false starts is one event.
                self.state = ParserState::Length;
                return;
            }
            ACK => Frame::Ack,
            NAK => Frame::Nak,
            CAN => Frame::Can,
            _ => {
                self.garbage += 1;
                return;
            }
        };
        self.flush_garbage(events);
        events.push(ParseEvent::Frame(frame));
    }

    /// `buf` holds LEN, TYPE, FUNC, payload..., CHECKSUM.
    fn finish(&mut self, events: &mut Vec<ParseEvent>) {
        self.flush_garbage(events);
        let (received, covered) = self.buf.split_last().expect("LEN >= 3");
        let computed = checksum(covered);
        let (frame_type, func_id) = (self.buf[1], self.buf[2]);
        if computed != *received {
            events.push(ParseEvent::BadChecksum {
                func_id,
                received: *received,
                computed,
            });
            return;
        }
        let Some(frame_type) = FrameType::from_byte(frame_type) else {
            events.push(ParseEvent::UnknownType {
                frame_type,
                func_id,
            });
            return;
        };
        let payload = self.buf[3..self.buf.len() - 1].to_vec();
        events.push(ParseEvent::Frame(Frame::Data(DataFrame {
            frame_type,
            func_id: FunctionId(func_id),
            payload,
        })));
    }
}
