//! What can go wrong talking to a controller. In a file of its own so
//! the transport, the typed functions and the adapter can all name it
//! without depending on each other.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

#[cfg(doc)]
use super::ZWaveController;

use super::frame::{FrameError, FunctionId};
use super::transmit::TransmitStatus;

/// Why an attempt to deliver a frame failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckFailure {
    /// The controller answered `NAK` (it saw a bad checksum).
    Nak,
    /// The controller answered `CAN` (the frame collided with one it was
    /// sending).
    Can,
    /// No `ACK` arrived within the `ACK` timeout.
    Timeout,
}

impl fmt::Display for AckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckFailure::Nak => "controller sent NAK",
            AckFailure::Can => "controller sent CAN",
            AckFailure::Timeout => "no ACK before the timeout",
        })
    }
}

/// Everything that can go wrong talking to a Z-Wave controller.
#[derive(Debug, thiserror::Error)]
pub enum ZWaveError {
    /// The serial device could not be opened or configured.
    #[error("cannot open serial port {}: {source}", path.display())]
    Open {
        /// The device path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Setting up the transport failed.
    #[error("serial transport setup failed: {0}")]
    Io(#[from] io::Error),
    /// A frame could not be built (payload too long).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The controller never acknowledged the frame.
    #[error(
        "controller did not acknowledge {func_id} after {attempts} attempt(s); last attempt: {last}"
    )]
    NoAck {
        /// The function of the undelivered frame.
        func_id: FunctionId,
        /// How many times the frame was sent.
        attempts: u32,
        /// What happened to the last attempt.
        last: AckFailure,
    },
    /// The controller acknowledged the request but sent no response in time.
    #[error("no response to {func_id} within {timeout:?}")]
    ResponseTimeout {
        /// The function of the request.
        func_id: FunctionId,
        /// How long the transport waited after the `ACK`.
        timeout: Duration,
    },
    /// An expected callback (or node report) did not arrive in time.
    #[error("no {what} within {timeout:?}")]
    CallbackTimeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        timeout: Duration,
    },
    /// A response or callback did not have the expected layout.
    #[error("malformed {func_id} frame: {reason}")]
    Malformed {
        /// The function of the frame.
        func_id: FunctionId,
        /// What was wrong with it.
        reason: String,
    },
    /// The controller answered a request with "not accepted" (for
    /// `SendData`: its queue was full or the node id invalid).
    #[error("controller rejected {func_id}")]
    Rejected {
        /// The function of the rejected request.
        func_id: FunctionId,
    },
    /// The controller could not deliver a frame to a node.
    #[error("transmission to node {node_id} failed: {status}")]
    TransmitFailed {
        /// The destination node.
        node_id: u8,
        /// The controller's transmit status.
        status: TransmitStatus,
    },
    /// The caller's deadline passed before the controller acknowledged the
    /// request, so the transport stopped sending it (see
    /// [`ZWaveController::submit_request_by`]).
    #[error("gave up on {func_id} after {attempts} attempt(s): its deadline passed")]
    Abandoned {
        /// The function of the abandoned request.
        func_id: FunctionId,
        /// How many times the frame had been sent (0: never).
        attempts: u32,
    },
    /// The transport has stopped: the device went away, an I/O error
    /// occurred, or the controller was closed. Reopen it to continue.
    #[error("Z-Wave transport is down: {reason}")]
    Disconnected {
        /// Why the transport stopped.
        reason: String,
    },
}
