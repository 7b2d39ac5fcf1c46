//! The frames the transport hands to its callers: responses to requests,
//! and the unsolicited requests (callbacks) the controller sends.

use super::frame::FunctionId;

/// A response frame from the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The function it answers.
    pub func_id: FunctionId,
    /// The bytes after `FUNC`.
    pub payload: Vec<u8>,
}

/// An unsolicited request frame from the controller: a callback such as the
/// `SendData` transmit status, or a command a node sent
/// (`ApplicationCommandHandler`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The function that produced it.
    pub func_id: FunctionId,
    /// The bytes after `FUNC`.
    pub payload: Vec<u8>,
}
