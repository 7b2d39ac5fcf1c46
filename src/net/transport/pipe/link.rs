//! A plugin's two pipes as a [`Link`]: frames in from the plugin's write
//! end, frames out to its read end, both non-blocking and watched by mio.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use bytes::Bytes;
use mio::unix::pipe::{Receiver, Sender};
use mio::{Interest, Registry, Token};

use super::framing::{self, Decoded, Decoder};
use super::watch::PipeWatch;
use crate::net::event::Peer;
use crate::net::transport::{Admission, Broken, Flow, Incoming, Link, Payload, Ring};
use crate::protocol::{ClientId, CloseCode};

/// Bytes read from the pipe at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The host's end of a plugin's pipes.
pub(crate) struct PipeLink {
    reader: Receiver,
    /// `None` once our direction is shut.
    writer: Option<Sender>,
    pid: u32,
    decoder: Decoder,
    inbuf: Box<[u8]>,
    /// Unconsumed input is `inbuf[start..end]`.
    start: usize,
    end: usize,
    /// Encoded messages not yet written, oldest first; a partly written one
    /// has been advanced past its written bytes.
    out: VecDeque<Bytes>,
    /// After a framing error the stream cannot be parsed any more.
    poisoned: bool,
    close_sent: bool,
    close_received: bool,
    /// The session asked to end our direction once everything is out.
    shutdown_pending: bool,
    admission: Admission,
    watch: Arc<PipeWatch>,
}

impl PipeLink {
    /// Wraps the host's ends of a plugin's pipes: `from_plugin` is read,
    /// `to_plugin` written. Both are made non-blocking.
    pub(crate) fn new(
        from_plugin: OwnedFd,
        to_plugin: OwnedFd,
        pid: u32,
        max_message_size: usize,
        admission: Admission,
        watch: Arc<PipeWatch>,
    ) -> io::Result<Self> {
        let reader = Receiver::from(from_plugin);
        reader.set_nonblocking(true)?;
        let writer = Sender::from(to_plugin);
        writer.set_nonblocking(true)?;
        Ok(Self {
            reader,
            writer: Some(writer),
            pid,
            decoder: Decoder::new(max_message_size),
            inbuf: vec![0; READ_CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            out: VecDeque::new(),
            poisoned: false,
            close_sent: false,
            close_received: false,
            shutdown_pending: false,
            admission,
            watch,
        })
    }

    fn violation(&mut self, code: CloseCode, reason: String) -> Incoming {
        self.poisoned = true;
        self.start = self.end;
        Incoming::Violation(code, reason)
    }

    /// Reads and drops raw bytes until the plugin closes its end.
    fn discard_input(&mut self) -> Incoming {
        loop {
            match self.reader.read(&mut self.inbuf) {
                Ok(0) => return Incoming::Ended(None),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Incoming::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Incoming::Ended(Some(format!("pipe read failed: {e}"))),
            }
        }
    }

    /// What one decoded message means to the session; `None` for a pong,
    /// which is only the supervisor's business.
    fn on_decoded(&mut self, decoded: Decoded) -> Option<Incoming> {
        match decoded {
            Decoded::Frame(frame) => Some(Incoming::Message(Payload::Binary(frame))),
            Decoded::Ping(nonce) => {
                self.out.push_back(framing::encode_pong(nonce));
                Some(Incoming::Control)
            }
            Decoded::Pong(nonce) => {
                self.watch.pong(nonce);
                None
            }
            Decoded::Close(code, reason) => {
                self.close_received = true;
                if !self.close_sent {
                    // Answer the close as a WebSocket does, with its code.
                    self.close_sent = true;
                    self.out.push_back(framing::encode_close(code, ""));
                }
                Some(Incoming::CloseReceived(format!(
                    "plugin closed ({code} {reason})"
                )))
            }
        }
    }

    fn write_out(&mut self) -> Result<Flow, Broken> {
        if let Some(nonce) = self.watch.take_ping() {
            if !self.close_sent {
                self.out.push_back(framing::encode_ping(nonce));
            }
        }
        let Some(writer) = self.writer.as_mut() else {
            return if self.out.is_empty() {
                Ok(Flow::Ready)
            } else {
                Err(Broken::Closed)
            };
        };
        while let Some(front) = self.out.front_mut() {
            match writer.write(front) {
                Ok(n) if n == front.len() => {
                    self.out.pop_front();
                }
                Ok(n) => {
                    bytes::Buf::advance(front, n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flow::Blocked),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    self.out.clear();
                    return Err(Broken::Failed(
                        "the plugin closed its input pipe".to_owned(),
                    ));
                }
                Err(e) => return Err(Broken::Failed(format!("pipe write failed: {e}"))),
            }
        }
        if self.shutdown_pending {
            self.writer = None;
        }
        Ok(Flow::Ready)
    }
}

impl Drop for PipeLink {
    fn drop(&mut self) {
        self.watch.end();
    }
}

impl Link for PipeLink {
    fn peer(&self) -> Peer {
        Peer::Pipe(self.pid)
    }

    fn register(&mut self, registry: &Registry, token: Token, doorbell: Ring) -> io::Result<()> {
        // The supervisor rings to have a ping sent; the ring arrives as a
        // writable event, which flushes.
        self.watch.set_ring(doorbell);
        registry.register(&mut self.reader, token, Interest::READABLE)?;
        if let Some(writer) = self.writer.as_mut() {
            registry.register(writer, token, Interest::WRITABLE)?;
        }
        Ok(())
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.reader);
        if let Some(writer) = self.writer.as_mut() {
            let _ = registry.deregister(writer);
        }
    }

    fn read(&mut self) -> Incoming {
        if self.poisoned {
            return self.discard_input();
        }
        loop {
            while self.start < self.end {
                let (used, result) = self.decoder.feed(&self.inbuf[self.start..self.end]);
                self.start += used;
                match result {
                    Ok(Some(decoded)) => {
                        if let Some(incoming) = self.on_decoded(decoded) {
                            return incoming;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => return self.violation(e.code, e.reason),
                }
            }
            match self.reader.read(&mut self.inbuf) {
                Ok(0) if self.decoder.mid_message() => {
                    return Incoming::Ended(Some(
                        "the plugin's pipe ended in the middle of a message".to_owned(),
                    ));
                }
                Ok(0) if self.close_received => return Incoming::Ended(None),
                Ok(0) => {
                    return Incoming::Ended(Some(
                        "the plugin closed its pipe without a close".to_owned(),
                    ));
                }
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Incoming::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Incoming::Ended(Some(format!("pipe read failed: {e}"))),
            }
        }
    }

    fn send(&mut self, payload: Payload) -> Result<Flow, Broken> {
        if self.writer.is_none() || self.close_sent {
            return Err(Broken::Closed);
        }
        let bytes = match payload {
            Payload::Binary(bytes) => bytes,
            Payload::Text(_) => {
                return Err(Broken::Failed("pipes carry frames, not text".to_owned()));
            }
        };
        let header = framing::frame_header(bytes.len()).ok_or_else(|| {
            Broken::Failed(format!(
                "a frame of {} bytes is too long for a pipe",
                bytes.len()
            ))
        })?;
        self.out.push_back(Bytes::copy_from_slice(&header));
        self.out.push_back(bytes);
        self.write_out()
    }

    fn flush(&mut self) -> Result<Flow, Broken> {
        self.write_out()
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Flow {
        if !self.close_sent {
            self.close_sent = true;
            self.watch.host_closed(code.code(), reason);
            self.out
                .push_back(framing::encode_close(code.code(), reason));
        }
        self.write_out().unwrap_or(Flow::Ready)
    }

    fn shutdown_write(&mut self) {
        self.shutdown_pending = true;
        if self.out.is_empty() {
            self.writer = None;
        }
    }

    fn admission(&self) -> Option<&Admission> {
        Some(&self.admission)
    }

    fn welcomed(&mut self, client: ClientId) {
        self.watch.registered(client);
    }
}
