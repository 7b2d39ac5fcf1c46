//! Serial API framing: the frame types, their encoding and an incremental
//! parser.
//!
//! A data frame on the wire is
//!
//! ```text
//! SOF  LEN  TYPE  FUNC  payload...  CHECKSUM
//! 0x01  |   0x00 request / 0x01 response
//!       +-- number of bytes after LEN: TYPE + FUNC + payload + CHECKSUM
//! ```
//!
//! `CHECKSUM` is `0xFF` XOR every byte from `LEN` through the last payload
//! byte. Besides data frames there are three single-byte frames: `ACK`
//! (0x06), `NAK` (0x15) and `CAN` (0x18).

use std::fmt;

/// Start of a data frame.
pub const SOF: u8 = 0x01;
/// Positive acknowledgement of a data frame.
pub const ACK: u8 = 0x06;
/// Negative acknowledgement: the data frame arrived with a bad checksum.
pub const NAK: u8 = 0x15;
/// Cancel: the data frame collided with one the other side was sending.
pub const CAN: u8 = 0x18;

/// Smallest legal `LEN`: `TYPE`, `FUNC` and `CHECKSUM` with no payload.
pub const MIN_LENGTH: u8 = 3;
/// Largest payload a frame can carry (`LEN` is one byte: 255 - 3).
pub const MAX_PAYLOAD: usize = u8::MAX as usize - MIN_LENGTH as usize;

/// The Serial API checksum of `bytes`: `0xFF` XOR every byte.
///
/// For a data frame, `bytes` runs from `LEN` through the last payload byte.
///
/// ```
/// # use switchboard::agents::hardware::zwave::frame::checksum;
/// // GetVersion request: 01 03 00 15 E9
/// assert_eq!(checksum(&[0x03, 0x00, 0x15]), 0xE9);
/// ```
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0xFF, |acc, b| acc ^ b)
}

/// A Serial API function identifier (the `FUNC` byte of a data frame).
///
/// The constants name the functions this module uses; any other byte is
/// just as valid on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionId(pub u8);

impl FunctionId {
    /// `SerialApiGetInitData`: API version, capabilities and node list.
    pub const GET_INIT_DATA: FunctionId = FunctionId(0x02);
    /// `ApplicationCommandHandler`: a command received from a node.
    pub const APPLICATION_COMMAND_HANDLER: FunctionId = FunctionId(0x04);
    /// `SerialApiGetCapabilities`: manufacturer, product and function list.
    pub const GET_CAPABILITIES: FunctionId = FunctionId(0x07);
    /// `SerialApiSoftReset`: restart the controller firmware (no response).
    pub const SOFT_RESET: FunctionId = FunctionId(0x08);
    /// `SendData`: send a command to a node; answered by a response and a
    /// transmit-status callback.
    pub const SEND_DATA: FunctionId = FunctionId(0x13);
    /// `GetVersion`: library version string and library type.
    pub const GET_VERSION: FunctionId = FunctionId(0x15);
    /// `MemoryGetId`: home id and the controller's own node id.
    pub const MEMORY_GET_ID: FunctionId = FunctionId(0x20);
    /// `GetNodeProtocolInfo`: a node's protocol information.
    pub const GET_NODE_PROTOCOL_INFO: FunctionId = FunctionId(0x41);
    /// `ApplicationUpdate`: node information frames and similar events.
    pub const APPLICATION_UPDATE: FunctionId = FunctionId(0x49);
    /// `ApplicationCommandHandler_Bridge`: a command received from a node,
    /// on bridge controller firmware.
    pub const APPLICATION_COMMAND_HANDLER_BRIDGE: FunctionId = FunctionId(0xA8);

    /// The function's name, if it is one of the constants above.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::GET_INIT_DATA => "SerialApiGetInitData",
            Self::APPLICATION_COMMAND_HANDLER => "ApplicationCommandHandler",
            Self::GET_CAPABILITIES => "SerialApiGetCapabilities",
            Self::SOFT_RESET => "SerialApiSoftReset",
            Self::SEND_DATA => "SendData",
            Self::GET_VERSION => "GetVersion",
            Self::MEMORY_GET_ID => "MemoryGetId",
            Self::GET_NODE_PROTOCOL_INFO => "GetNodeProtocolInfo",
            Self::APPLICATION_UPDATE => "ApplicationUpdate",
            Self::APPLICATION_COMMAND_HANDLER_BRIDGE => "ApplicationCommandHandler_Bridge",
            _ => return None,
        })
    }
}

impl From<u8> for FunctionId {
    fn from(id: u8) -> Self {
        FunctionId(id)
    }
}

impl fmt::Display for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:02X})", self.0),
            None => write!(f, "function 0x{:02X}", self.0),
        }
    }
}

impl fmt::Debug for FunctionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "FunctionId(0x{:02X} {name})", self.0),
            None => write!(f, "FunctionId(0x{:02X})", self.0),
        }
    }
}

/// The `TYPE` byte of a data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// `0x00`: a request (host to controller) or an unsolicited callback
    /// (controller to host).
    Request,
    /// `0x01`: the controller's response to a request.
    Response,
}

impl FrameType {
    /// The byte on the wire.
    pub fn to_byte(self) -> u8 {
        match self {
            FrameType::Request => 0x00,
            FrameType::Response => 0x01,
        }
    }

    /// The frame type for a wire byte, if it is one.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x00 => Some(FrameType::Request),
            0x01 => Some(FrameType::Response),
            _ => None,
        }
    }
}

/// A frame could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The payload does not fit in the one-byte length field.
    #[error("payload of {len} bytes does not fit in a Serial API frame (at most {MAX_PAYLOAD})")]
    PayloadTooLong {
        /// Length of the rejected payload.
        len: usize,
    },
}

/// A data frame: type, function and payload. Its length always fits the
/// wire format, so encoding cannot fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFrame {
    frame_type: FrameType,
    func_id: FunctionId,
    payload: Vec<u8>,
}

impl DataFrame {
    /// A data frame, or an error if `payload` is longer than
    /// [`MAX_PAYLOAD`].
    pub fn new(
        frame_type: FrameType,
        func_id: FunctionId,
        payload: impl Into<Vec<u8>>,
    ) -> Result<Self, FrameError> {
        let payload = payload.into();
        if payload.len() > MAX_PAYLOAD {
            return Err(FrameError::PayloadTooLong { len: payload.len() });
        }
        Ok(DataFrame {
            frame_type,
            func_id,
            payload,
        })
    }

    /// A request frame (`TYPE` 0x00).
    pub fn request(func_id: FunctionId, payload: impl Into<Vec<u8>>) -> Result<Self, FrameError> {
        Self::new(FrameType::Request, func_id, payload)
    }

    /// A response frame (`TYPE` 0x01).
    pub fn response(func_id: FunctionId, payload: impl Into<Vec<u8>>) -> Result<Self, FrameError> {
        Self::new(FrameType::Response, func_id, payload)
    }

    /// Request or response.
    pub fn frame_type(&self) -> FrameType {
        self.frame_type
    }

    /// The function this frame belongs to.
    pub fn func_id(&self) -> FunctionId {
        self.func_id
    }

    /// The bytes between `FUNC` and `CHECKSUM`.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload out of the frame.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// The value of the `LEN` byte: everything after it, checksum included.
    pub fn length_byte(&self) -> u8 {
        // Cannot truncate: `new` bounds the payload by MAX_PAYLOAD.
        (self.payload.len() + MIN_LENGTH as usize) as u8
    }

    /// Appends the frame's wire bytes (SOF through CHECKSUM) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.payload.len() + 5);
        out.push(SOF);
        let start = out.len();
        out.push(self.length_byte());
        out.push(self.frame_type.to_byte());
        out.push(self.func_id.0);
        out.extend_from_slice(&self.payload);
        let sum = checksum(&out[start..]);
        out.push(sum);
    }

    /// The frame's wire bytes, SOF through CHECKSUM.
    ///
    /// ```
    /// # use switchboard::agents::hardware::zwave::frame::{DataFrame, FunctionId};
    /// let frame = DataFrame::request(FunctionId::GET_VERSION, [])?;
    /// assert_eq!(frame.encode(), [0x01, 0x03, 0x00, 0x15, 0xE9]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

/// Any frame on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `ACK` (0x06).
    Ack,
    /// `NAK` (0x15).
    Nak,
    /// `CAN` (0x18).
    Can,
    /// A data frame.
    Data(DataFrame),
}

impl Frame {
    /// The frame's wire bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Frame::Ack => vec![ACK],
            Frame::Nak => vec![NAK],
            Frame::Can => vec![CAN],
            Frame::Data(data) => data.encode(),
        }
    }
}

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
enum State {
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
    state: State,
    /// LEN and the bytes after it, for the frame being collected.
    buf: Vec<u8>,
    max_length: u8,
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
            state: State::Idle,
            buf: Vec::with_capacity(usize::from(max_length) + 1),
            max_length: max_length.max(MIN_LENGTH),
            garbage: 0,
        }
    }

    /// Whether a data frame has started (`SOF` seen) but not finished.
    pub fn in_frame(&self) -> bool {
        self.state != State::Idle
    }

    /// Drops any partial frame (for example after the frame-receive timeout)
    /// and returns how many bytes were dropped.
    pub fn reset(&mut self) -> usize {
        let dropped = match self.state {
            State::Idle => 0,
            State::Length => 1,
            State::Body { .. } => 1 + self.buf.len(),
        };
        self.state = State::Idle;
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
            State::Idle => self.push_idle(byte, events),
            State::Length => {
                if byte < MIN_LENGTH || byte > self.max_length {
                    // Not a frame after all: the SOF was noise. Rescan this
                    // byte, which may itself start a frame.
                    self.state = State::Idle;
                    self.garbage += 1;
                    self.push_idle(byte, events);
                } else {
                    self.buf.clear();
                    self.buf.push(byte);
                    self.state = State::Body { remaining: byte };
                }
            }
            State::Body { remaining } => {
                self.buf.push(byte);
                if remaining == 1 {
                    self.state = State::Idle;
                    self.finish(events);
                } else {
                    self.state = State::Body {
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
                self.state = State::Length;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: &[ParseEvent]) -> Vec<DataFrame> {
        events
            .iter()
            .filter_map(|e| match e {
                ParseEvent::Frame(Frame::Data(d)) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    /// Small deterministic generator so the chunking tests need no crate.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn known_frames_encode_exactly() {
        // Requests every Serial API host sends at startup.
        let cases: [(FunctionId, &[u8], &[u8]); 4] = [
            (
                FunctionId::GET_VERSION,
                &[],
                &[0x01, 0x03, 0x00, 0x15, 0xE9],
            ),
            (
                FunctionId::MEMORY_GET_ID,
                &[],
                &[0x01, 0x03, 0x00, 0x20, 0xDC],
            ),
            (
                FunctionId::GET_INIT_DATA,
                &[],
                &[0x01, 0x03, 0x00, 0x02, 0xFE],
            ),
            (
                // SendData to node 2: Basic Set 0xFF, tx options 0x25,
                // callback id 1.
                FunctionId::SEND_DATA,
                &[0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01],
                &[
                    0x01, 0x0A, 0x00, 0x13, 0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01, 0x1D,
                ],
            ),
        ];
        for (func, payload, wire) in cases {
            let frame = DataFrame::request(func, payload).unwrap();
            assert_eq!(frame.encode(), wire, "{func}");
            assert_eq!(
                FrameParser::new().feed(wire),
                [ParseEvent::Frame(Frame::Data(frame))]
            );
        }
    }

    #[test]
    fn checksum_examples() {
        assert_eq!(checksum(&[]), 0xFF);
        assert_eq!(checksum(&[0x03, 0x00, 0x15]), 0xE9);
        assert_eq!(checksum(&[0x03, 0x01, 0x13]), 0xEE);
        // Covering the checksum byte as well always gives zero.
        let mut bytes = vec![0x0A, 0x00, 0x13, 0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01];
        bytes.push(checksum(&bytes));
        assert_eq!(checksum(&bytes), 0x00);
    }

    #[test]
    fn length_byte_counts_everything_after_it() {
        let frame = DataFrame::response(FunctionId(0x42), vec![1, 2, 3, 4]).unwrap();
        let wire = frame.encode();
        assert_eq!(wire[1] as usize, wire.len() - 2);
        assert_eq!(frame.length_byte(), 7);
        assert_eq!(wire[2], 0x01, "response type byte");
    }

    #[test]
    fn single_byte_frames() {
        let events = FrameParser::new().feed(&[ACK, NAK, CAN]);
        assert_eq!(
            events,
            [
                ParseEvent::Frame(Frame::Ack),
                ParseEvent::Frame(Frame::Nak),
                ParseEvent::Frame(Frame::Can)
            ]
        );
        assert_eq!(Frame::Ack.encode(), [ACK]);
        assert_eq!(Frame::Nak.encode(), [NAK]);
        assert_eq!(Frame::Can.encode(), [CAN]);
    }

    #[test]
    fn round_trip_every_payload_length() {
        let mut parser = FrameParser::new();
        for len in 0..=MAX_PAYLOAD {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let ty = if len % 2 == 0 {
                FrameType::Request
            } else {
                FrameType::Response
            };
            let frame = DataFrame::new(ty, FunctionId(len as u8), payload).unwrap();
            let events = parser.feed(&frame.encode());
            assert_eq!(events, [ParseEvent::Frame(Frame::Data(frame))]);
        }
    }

    #[test]
    fn payload_too_long_is_rejected() {
        assert!(DataFrame::request(FunctionId(1), vec![0; MAX_PAYLOAD]).is_ok());
        assert_eq!(
            DataFrame::request(FunctionId(1), vec![0; MAX_PAYLOAD + 1]),
            Err(FrameError::PayloadTooLong {
                len: MAX_PAYLOAD + 1
            })
        );
    }

    #[test]
    fn byte_by_byte() {
        let frame = DataFrame::request(FunctionId::SEND_DATA, [2, 3, 0x25, 1, 0xFF, 0x25, 9])
            .unwrap()
            .encode();
        let mut parser = FrameParser::new();
        for (i, b) in frame.iter().enumerate() {
            let events = parser.feed(&[*b]);
            if i + 1 < frame.len() {
                assert!(events.is_empty(), "early event at byte {i}: {events:?}");
                assert!(parser.in_frame());
            } else {
                assert_eq!(data(&events).len(), 1);
                assert!(!parser.in_frame());
            }
        }
    }

    #[test]
    fn bad_checksum_is_reported_and_parsing_continues() {
        let mut wire = DataFrame::request(FunctionId::GET_VERSION, [])
            .unwrap()
            .encode();
        *wire.last_mut().unwrap() ^= 0x55;
        wire.push(ACK);
        let events = FrameParser::new().feed(&wire);
        assert_eq!(
            events,
            [
                ParseEvent::BadChecksum {
                    func_id: 0x15,
                    received: 0xE9 ^ 0x55,
                    computed: 0xE9
                },
                ParseEvent::Frame(Frame::Ack)
            ]
        );
    }

    #[test]
    fn garbage_is_skipped_and_counted() {
        let good = DataFrame::request(FunctionId::GET_VERSION, []).unwrap();
        let mut wire = vec![0xFF, 0x00, 0x42];
        wire.extend(good.encode());
        wire.extend([0x99, 0x98]);
        wire.push(ACK);
        let events = FrameParser::new().feed(&wire);
        assert_eq!(
            events,
            [
                ParseEvent::Discarded { bytes: 3 },
                ParseEvent::Frame(Frame::Data(good)),
                ParseEvent::Discarded { bytes: 2 },
                ParseEvent::Frame(Frame::Ack),
            ]
        );
    }

    #[test]
    fn impossible_length_resyncs_on_the_next_byte() {
        let good = DataFrame::request(FunctionId::MEMORY_GET_ID, []).unwrap();
        // SOF with LEN 2 (too short), then SOF with LEN 1 which is itself an
        // SOF that starts the good frame.
        let mut wire = vec![SOF, 0x02, SOF];
        wire.extend(good.encode());
        let events = FrameParser::new().feed(&wire);
        assert_eq!(
            events,
            [
                ParseEvent::Discarded { bytes: 3 },
                ParseEvent::Frame(Frame::Data(good))
            ]
        );
    }

    #[test]
    fn max_length_limit() {
        let big = DataFrame::request(FunctionId(0x50), vec![0xAB; 40]).unwrap();
        let small = DataFrame::request(FunctionId(0x51), vec![0xCD; 4]).unwrap();
        let mut parser = FrameParser::with_max_length(16);
        let mut wire = big.encode();
        wire.extend(small.encode());
        let events = parser.feed(&wire);
        // The big frame's SOF is rejected and its remaining bytes are noise,
        // except that none of them looks like a frame start here.
        assert_eq!(data(&events), [small]);
        assert!(matches!(events[0], ParseEvent::Discarded { .. }));
        assert_eq!(FrameParser::with_max_length(0).max_length, MIN_LENGTH);
    }

    #[test]
    fn unknown_type_with_good_checksum() {
        let mut wire = vec![SOF, 0x03, 0x07, 0x15];
        wire.push(checksum(&wire[1..]));
        assert_eq!(
            FrameParser::new().feed(&wire),
            [ParseEvent::UnknownType {
                frame_type: 0x07,
                func_id: 0x15
            }]
        );
    }

    #[test]
    fn reset_drops_partial_frame() {
        let mut parser = FrameParser::new();
        assert!(parser.feed(&[SOF, 0x09, 0x00, 0x04]).is_empty());
        assert!(parser.in_frame());
        assert_eq!(parser.reset(), 4);
        assert!(!parser.in_frame());
        let good = DataFrame::request(FunctionId::GET_VERSION, []).unwrap();
        assert_eq!(data(&parser.feed(&good.encode())), [good]);
        assert_eq!(parser.reset(), 0);
    }

    #[test]
    fn random_chunks_with_garbage() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..200 {
            // A stream of frames separated by noise that never contains a
            // frame-start or single-byte frame value.
            let mut wire = Vec::new();
            let mut expected = Vec::new();
            let mut acks = 0;
            for _ in 0..(1 + rng.below(8)) {
                for _ in 0..rng.below(5) {
                    let noise = [0x00, 0x02, 0x7F, 0x80, 0xFE, 0xFF][rng.below(6)];
                    wire.push(noise);
                }
                if rng.below(4) == 0 {
                    wire.push(ACK);
                    acks += 1;
                }
                let len = rng.below(30);
                let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let ty = if rng.below(2) == 0 {
                    FrameType::Request
                } else {
                    FrameType::Response
                };
                let frame = DataFrame::new(ty, FunctionId(rng.next() as u8), payload).unwrap();
                frame.encode_into(&mut wire);
                expected.push(frame);
            }

            let mut parser = FrameParser::new();
            let mut events = Vec::new();
            let mut rest = &wire[..];
            while !rest.is_empty() {
                let n = 1 + rng.below(rest.len().min(17));
                parser.feed_into(&rest[..n], &mut events);
                rest = &rest[n..];
            }
            assert_eq!(data(&events), expected, "round {round}");
            let seen_acks = events
                .iter()
                .filter(|e| **e == ParseEvent::Frame(Frame::Ack))
                .count();
            assert_eq!(seen_acks, acks, "round {round}");
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, ParseEvent::BadChecksum { .. })),
                "round {round}"
            );
            assert!(!parser.in_frame());
        }
    }

    #[test]
    fn function_id_display() {
        assert_eq!(FunctionId::GET_VERSION.to_string(), "GetVersion (0x15)");
        assert_eq!(FunctionId(0xEE).to_string(), "function 0xEE");
        assert_eq!(
            format!("{:?}", FunctionId::SEND_DATA),
            "FunctionId(0x13 SendData)"
        );
    }
}
