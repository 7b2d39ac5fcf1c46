//! Serial API framing: the frame types and their encoding, and an
//! incremental parser ([`FrameParser`]).
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

mod parser;
#[cfg(test)]
mod tests;

use std::fmt;

pub use parser::{FrameParser, ParseEvent};

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
