//! What carries the client's frames: a WebSocket over TCP, the host's
//! in-memory transport, or a pair of message queues.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use tungstenite::Message;
use tungstenite::protocol::WebSocket;

use super::decode::{Received, decode};
use super::{ClientError, Incoming};
use crate::memory::{MemoryConnection, MemoryError, MemoryIncoming};

/// How long a send over the in-memory transport waits for room.
const MEMORY_SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) enum Wire {
    WebSocket(Box<WebSocket<TcpStream>>),
    #[cfg(feature = "tls")]
    SecureWebSocket(Box<super::secure::SecureSocket>),
    Memory(MemoryConnection),
    #[cfg(all(feature = "mqueue", target_os = "linux"))]
    Queues(Box<super::queues::QueueWire>),
    #[cfg(all(unix, feature = "plugins"))]
    Pipe(Box<super::pipe::PipeConnection>),
}

impl Wire {
    pub(super) fn send(&mut self, message: Message) -> Result<(), ClientError> {
        match self {
            Wire::WebSocket(ws) => Ok(ws.send(message)?),
            #[cfg(feature = "tls")]
            Wire::SecureWebSocket(ws) => Ok(ws.send(message)?),
            Wire::Memory(memory) => match message {
                Message::Binary(frame) => memory
                    .send(frame, MEMORY_SEND_TIMEOUT)
                    .map_err(memory_error),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1000, String::new()));
                    memory.close(code, &reason).map_err(memory_error)
                }
                other => Err(ClientError::Unexpected(format!(
                    "the in-memory transport carries binary frames only, not {other:?}"
                ))),
            },
            #[cfg(all(feature = "mqueue", target_os = "linux"))]
            Wire::Queues(queues) => match message {
                Message::Binary(frame) => queues.send_frame(&frame),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1000, String::new()));
                    queues.close(code, &reason)
                }
                other => Err(ClientError::Unexpected(format!(
                    "the message queues carry binary frames only, not {other:?}"
                ))),
            },
            #[cfg(all(unix, feature = "plugins"))]
            Wire::Pipe(pipe) => match message {
                Message::Binary(frame) => pipe.send(&frame).map_err(pipe_error),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1000, String::new()));
                    pipe.close(code, &reason).map_err(pipe_error)
                }
                other => Err(ClientError::Unexpected(format!(
                    "pipes carry binary frames only, not {other:?}"
                ))),
            },
        }
    }

    pub(super) fn send_frame(&mut self, frame: Bytes) -> Result<(), ClientError> {
        self.send(Message::Binary(frame))
    }

    pub(super) fn close(&mut self) -> Result<(), ClientError> {
        match self {
            Wire::WebSocket(ws) => Ok(ws.close(None)?),
            #[cfg(feature = "tls")]
            Wire::SecureWebSocket(ws) => Ok(ws.close(None)?),
            Wire::Memory(memory) => memory.close(1000, "").map_err(memory_error),
            #[cfg(all(feature = "mqueue", target_os = "linux"))]
            Wire::Queues(queues) => queues.close(1000, ""),
            #[cfg(all(unix, feature = "plugins"))]
            Wire::Pipe(pipe) => pipe.close(1000, "").map_err(pipe_error),
        }
    }

    pub(super) fn read_one(&mut self, timeout: Duration) -> Result<Received, ClientError> {
        match self {
            Wire::WebSocket(ws) => {
                ws.get_mut().set_read_timeout(Some(at_least_1ms(timeout)))?;
                read_ws(ws)
            }
            #[cfg(feature = "tls")]
            Wire::SecureWebSocket(ws) => {
                ws.get_mut()
                    .sock
                    .set_read_timeout(Some(at_least_1ms(timeout)))?;
                read_ws(ws)
            }
            Wire::Memory(memory) => match memory.recv(timeout).map_err(memory_error)? {
                MemoryIncoming::Frame(frame) => decode(&frame),
                MemoryIncoming::Closed { code, reason } => {
                    Ok(Received::Other(Incoming::Closed { code, reason }))
                }
                MemoryIncoming::Ended => Err(ClientError::Io(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "the host ended the in-memory connection",
                ))),
            },
            #[cfg(all(feature = "mqueue", target_os = "linux"))]
            Wire::Queues(queues) => queues.read_one(timeout),
            #[cfg(all(unix, feature = "plugins"))]
            Wire::Pipe(pipe) => {
                use super::pipe::PipeIncoming;
                match pipe.recv(timeout).map_err(pipe_error)? {
                    PipeIncoming::Frame(frame) => decode(&frame),
                    PipeIncoming::Closed { code, reason } => {
                        Ok(Received::Other(Incoming::Closed { code, reason }))
                    }
                    PipeIncoming::Ended => Err(ClientError::Io(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "the host closed the pipe",
                    ))),
                }
            }
        }
    }
}

#[cfg(all(unix, feature = "plugins"))]
fn pipe_error(error: super::pipe::PipeError) -> ClientError {
    use super::pipe::PipeError;
    match error {
        PipeError::Timeout => ClientError::Timeout,
        PipeError::Io(e) => ClientError::Io(e),
        other => ClientError::Unexpected(other.to_string()),
    }
}

fn memory_error(error: MemoryError) -> ClientError {
    match error {
        MemoryError::Timeout => ClientError::Timeout,
        other => ClientError::Io(io::Error::new(io::ErrorKind::ConnectionReset, other)),
    }
}

/// A zero read timeout means "block forever" to the socket.
fn at_least_1ms(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

/// One message from a WebSocket whose read timeout is already set.
fn read_ws<S: io::Read + io::Write>(ws: &mut WebSocket<S>) -> Result<Received, ClientError> {
    let message = match ws.read() {
        Ok(message) => message,
        Err(tungstenite::Error::Io(e))
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return Err(ClientError::Timeout);
        }
        Err(e) => return Err(e.into()),
    };
    match message {
        Message::Binary(bytes) => decode(&bytes),
        Message::Close(frame) => Ok(Received::Other(match frame {
            Some(f) => Incoming::Closed {
                code: f.code.into(),
                reason: f.reason.to_string(),
            },
            None => Incoming::Closed {
                code: 1005,
                reason: String::new(),
            },
        })),
        Message::Text(_) => Err(ClientError::Unexpected("text message from host".to_owned())),
        _ => Ok(Received::Nothing),
    }
}
