//! The plugin's end of its pipes to the host: blocking, like a socket, with
//! a timeout on reads. Frames go out length-delimited as `docs/plugins.md`
//! describes; the host's pings are answered here, inside
//! [`recv`](PipeConnection::recv), so a plugin that stops reading stops
//! answering them (which is what the host's health check is for).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::net::transport::pipe::framing::{self, Decoded, Decoder};

/// The environment variable naming the plugin's descriptors: `"3,4"` (read
/// from 3, write to 4; the default the host uses) or `"stdio"` (read stdin,
/// write stdout).
pub const PLUGIN_FDS_ENV: &str = "SWITCHBOARD_PLUGIN_FDS";

/// Largest frame a plugin takes from the host.
const MAX_FROM_HOST: usize = 256 << 20;

/// What [`PipeConnection::recv`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipeIncoming {
    /// One frame from the host.
    Frame(bytes::Bytes),
    /// The host's close: a close code (the WebSocket numbers) and a reason.
    Closed {
        /// The code.
        code: u16,
        /// Why.
        reason: String,
    },
    /// The host closed its end of the pipe.
    Ended,
}

/// Why a [`PipeConnection`] call failed.
#[derive(Debug, thiserror::Error)]
pub enum PipeError {
    /// Reading or writing the pipe failed.
    #[error("pipe I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The host broke the framing (it never does; a wrong descriptor might).
    #[error("bad framing from the host: {0}")]
    Framing(String),
    /// Nothing arrived in time.
    #[error("timed out")]
    Timeout,
    /// [`PLUGIN_FDS_ENV`] is missing or not `"R,W"` / `"stdio"`.
    #[error("{PLUGIN_FDS_ENV} is {0:?}; expected \"R,W\" (descriptor numbers) or \"stdio\"")]
    BadEnvironment(String),
}

/// A plugin's connection to the host over its two pipes.
pub struct PipeConnection {
    reader: File,
    writer: File,
    decoder: Decoder,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl PipeConnection {
    /// Wraps the descriptors to read from and write to (made blocking).
    pub fn new(reader: OwnedFd, writer: OwnedFd) -> Self {
        set_blocking(reader.as_fd());
        set_blocking(writer.as_fd());
        Self {
            reader: File::from(reader),
            writer: File::from(writer),
            decoder: Decoder::new(MAX_FROM_HOST),
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The descriptors the host gave this process, as
    /// [`PLUGIN_FDS_ENV`] names them. Call it once: it takes ownership of
    /// the descriptors.
    pub fn from_env() -> Result<Self, PipeError> {
        let value = std::env::var(PLUGIN_FDS_ENV).unwrap_or_default();
        let (read_fd, write_fd) = parse_fds(&value)?;
        // SAFETY: the host opened these descriptors for this process, and
        // this call takes them once. Duplicating stdio keeps the process's
        // own stdin/stdout handles valid.
        let take = |fd: i32| -> Result<OwnedFd, PipeError> {
            let owned = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
            if fd > 2 {
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            Ok(owned)
        };
        Ok(Self::new(take(read_fd)?, take(write_fd)?))
    }

    /// Writes one frame (blocking while the pipe is full).
    pub fn send(&mut self, frame: &[u8]) -> Result<(), PipeError> {
        let header = framing::frame_header(frame.len())
            .ok_or_else(|| PipeError::Framing("frame too long for a pipe".to_owned()))?;
        let mut message = Vec::with_capacity(header.len() + frame.len());
        message.extend_from_slice(&header);
        message.extend_from_slice(frame);
        self.writer.write_all(&message)?;
        Ok(())
    }

    /// Writes raw bytes, framing or not (for tests of bad input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), PipeError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    /// Sends a close with a code and a reason.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), PipeError> {
        self.writer
            .write_all(&framing::encode_close(code, reason))?;
        Ok(())
    }

    /// Waits up to `timeout` for the next thing from the host, answering
    /// pings on the way.
    pub fn recv(&mut self, timeout: Duration) -> Result<PipeIncoming, PipeError> {
        let deadline = Instant::now() + timeout;
        loop {
            while self.start < self.end {
                let (used, result) = self.decoder.feed(&self.buf[self.start..self.end]);
                self.start += used;
                match result.map_err(|e| PipeError::Framing(e.reason))? {
                    Some(Decoded::Frame(frame)) => return Ok(PipeIncoming::Frame(frame)),
                    Some(Decoded::Close(code, reason)) => {
                        return Ok(PipeIncoming::Closed { code, reason });
                    }
                    Some(Decoded::Ping(nonce)) => {
                        self.writer.write_all(&framing::encode_pong(nonce))?;
                    }
                    Some(Decoded::Pong(_)) | None => {}
                }
            }
            wait_readable(self.reader.as_fd(), deadline)?;
            match self.reader.read(&mut self.buf) {
                Ok(0) => return Ok(PipeIncoming::Ended),
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl std::fmt::Debug for PipeConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeConnection")
            .field("reader", &self.reader.as_raw_fd())
            .field("writer", &self.writer.as_raw_fd())
            .finish_non_exhaustive()
    }
}

fn parse_fds(value: &str) -> Result<(i32, i32), PipeError> {
    if value == "stdio" {
        return Ok((0, 1));
    }
    let bad = || PipeError::BadEnvironment(value.to_owned());
    let (r, w) = value.split_once(',').ok_or_else(bad)?;
    let r: i32 = r.trim().parse().map_err(|_| bad())?;
    let w: i32 = w.trim().parse().map_err(|_| bad())?;
    if r < 0 || w < 0 || r == w {
        return Err(bad());
    }
    Ok((r, w))
}

/// Clears `O_NONBLOCK`: reads wait in `poll` with a deadline, writes
/// block while the host is not reading, which is the backpressure wanted.
fn set_blocking(fd: BorrowedFd<'_>) {
    // SAFETY: fcntl on a descriptor we hold; failure leaves flags as they were.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags >= 0 && flags & libc::O_NONBLOCK != 0 {
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

/// Blocks until `fd` is readable or `deadline` passes.
fn wait_readable(fd: BorrowedFd<'_>, deadline: Instant) -> Result<(), PipeError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(PipeError::Timeout);
        }
        let mut poll = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut poll, 1, ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_lists_parse_or_say_what_was_wrong() {
        assert_eq!(parse_fds("3,4").unwrap(), (3, 4));
        assert_eq!(parse_fds("stdio").unwrap(), (0, 1));
        for bad in ["", "3", "3,3", "a,b", "-1,4"] {
            let e = parse_fds(bad).unwrap_err();
            assert!(e.to_string().contains(PLUGIN_FDS_ENV), "{e}");
        }
    }
}
