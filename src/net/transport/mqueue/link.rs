//! A found queue pair as a [`Link`]: parts in, whole frames out, and the
//! host's frames cut into parts as slots come free.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::framing::{Fed, Kind, Reassembler, Refusal, Side, Splitter, Whole, parse_part};
use super::queue::{Identity, Queue, unlink_if_same};
use super::watch::Watch;
use crate::net::event::Peer;
use crate::net::transport::{Broken, Flow, Incoming, Link, Payload, Ring};
use crate::protocol::CloseCode;

/// One message waiting to go out, and how far it got.
struct Outgoing {
    bytes: Bytes,
    splitter: Splitter,
}

/// Both queues, held by the host.
pub(super) struct Pair {
    pub inbound: Queue,
    pub outbound: Queue,
    pub in_identity: Identity,
    pub out_identity: Identity,
    pub in_slot: usize,
    pub out_slot: usize,
}

pub(super) struct QueueLink {
    pair: Pair,
    watch: Arc<Watch>,
    reassembler: Reassembler,
    read_buf: Vec<u8>,
    part_buf: Vec<u8>,
    pending: VecDeque<Outgoing>,
    next_uniq: u64,
    /// Read before a refusal that had to go first.
    stashed: Option<Incoming>,
    close_sent: bool,
    close_received: bool,
    write_shut: bool,
}

impl QueueLink {
    pub(super) fn new(pair: Pair, watch: Arc<Watch>, max_message_size: usize) -> Self {
        Self {
            read_buf: vec![0; pair.in_slot],
            part_buf: Vec::with_capacity(pair.out_slot),
            pair,
            watch,
            reassembler: Reassembler::new(max_message_size),
            pending: VecDeque::new(),
            next_uniq: 1,
            stashed: None,
            close_sent: false,
            close_received: false,
            write_shut: false,
        }
    }

    fn queue(&mut self, kind: Kind, uniq: u64, bytes: Bytes) {
        self.pending.push_back(Outgoing {
            bytes,
            splitter: Splitter::new(Side::Host, kind, uniq, None),
        });
    }

    fn take_uniq(&mut self) -> u64 {
        let uniq = self.next_uniq;
        self.next_uniq += 1;
        uniq
    }

    fn refuse(&mut self, refusal: Refusal) {
        tracing::debug!(
            "message queue: refused message {} with {}: {}",
            refusal.uniq,
            refusal.status,
            refusal.reason
        );
        self.queue(
            Kind::Refusal(refusal.status),
            refusal.uniq,
            Bytes::from(refusal.reason),
        );
    }

    /// What a whole message means to the session.
    fn deliver(&mut self, whole: Whole) -> Option<Incoming> {
        match whole.kind {
            Kind::Frame if self.close_received => None,
            Kind::Frame => Some(Incoming::Message(Payload::Binary(Bytes::from(whole.bytes)))),
            Kind::Close(code) => {
                self.close_received = true;
                if !self.close_sent {
                    // Answer as a WebSocket does: the same code.
                    self.close_sent = true;
                    let uniq = self.take_uniq();
                    self.queue(Kind::Close(code), uniq, Bytes::new());
                }
                let reason = String::from_utf8_lossy(&whole.bytes);
                Some(Incoming::CloseReceived(format!(
                    "client closed ({code} {reason})"
                )))
            }
            // A client's part never parses as a refusal.
            Kind::Refusal(_) => None,
        }
    }

    /// Reads parts until one completes a message or needs an answer.
    fn read_parts(&mut self) -> Incoming {
        loop {
            let n = match self.pair.inbound.receive(&mut self.read_buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.close_received && self.close_sent && self.pending.is_empty() {
                        return Incoming::Ended(None);
                    }
                    return Incoming::WouldBlock;
                }
                Err(e) => return Incoming::Ended(Some(format!("message queue read failed: {e}"))),
            };
            let fed = match parse_part(&self.read_buf[..n], Side::Client) {
                Ok((meta, part)) => {
                    if let Some(pid) = meta.pid {
                        self.watch.saw_client(pid);
                    }
                    self.reassembler.feed(meta, part)
                }
                Err(e) => {
                    let dropped = self.reassembler.abort();
                    let reason = match dropped {
                        Some(uniq) => format!("{e}; message {uniq} in progress dropped"),
                        None => e.to_string(),
                    };
                    Fed {
                        refused: Some(Refusal {
                            status: e.status(),
                            uniq: 0,
                            reason,
                        }),
                        whole: None,
                    }
                }
            };
            let Fed { refused, whole } = fed;
            let delivered = whole.and_then(|w| self.deliver(w));
            match refused {
                Some(refusal) => {
                    self.refuse(refusal);
                    self.stashed = delivered;
                    // The refusal needs a flush before anything else.
                    return Incoming::Control;
                }
                None => {
                    if let Some(incoming) = delivered {
                        return incoming;
                    }
                }
            }
        }
    }
}

impl Link for QueueLink {
    fn peer(&self) -> Peer {
        Peer::MessageQueue
    }

    fn register(&mut self, registry: &Registry, token: Token, doorbell: Ring) -> io::Result<()> {
        registry.register(
            &mut SourceFd(&self.pair.inbound.fd()),
            token,
            Interest::READABLE,
        )?;
        registry.register(
            &mut SourceFd(&self.pair.outbound.fd()),
            token,
            Interest::WRITABLE,
        )?;
        self.watch.set_ring(doorbell);
        Ok(())
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut SourceFd(&self.pair.inbound.fd()));
        let _ = registry.deregister(&mut SourceFd(&self.pair.outbound.fd()));
    }

    fn read(&mut self) -> Incoming {
        if let Some(reason) = self.watch.gone() {
            return Incoming::Ended(Some(reason));
        }
        if self.write_shut && self.pending.is_empty() {
            return Incoming::Ended(Some(
                "closed; the client did not answer the close".to_owned(),
            ));
        }
        if let Some(incoming) = self.stashed.take() {
            return incoming;
        }
        self.read_parts()
    }

    fn send(&mut self, payload: Payload) -> Result<Flow, Broken> {
        if self.write_shut {
            return Err(Broken::Closed);
        }
        let bytes = match payload {
            Payload::Binary(b) | Payload::Text(b) => b,
        };
        let uniq = self.take_uniq();
        self.queue(Kind::Frame, uniq, bytes);
        self.flush()
    }

    fn flush(&mut self) -> Result<Flow, Broken> {
        if let Some(reason) = self.watch.gone() {
            return Err(Broken::Failed(reason));
        }
        while let Some(front) = self.pending.front_mut() {
            let used =
                front
                    .splitter
                    .next_part(&front.bytes, self.pair.out_slot, &mut self.part_buf);
            match self.pair.outbound.send(&self.part_buf) {
                Ok(()) => {
                    front.splitter.advance(used, front.bytes.len());
                    if front.splitter.done() {
                        self.pending.pop_front();
                    }
                }
                // Full: mio reports the queue writable once the client reads.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flow::Blocked),
                Err(e) => {
                    return Err(Broken::Failed(format!("message queue write failed: {e}")));
                }
            }
        }
        Ok(Flow::Ready)
    }

    fn close(&mut self, code: CloseCode, reason: &str) -> Flow {
        if self.close_sent {
            return Flow::Ready;
        }
        self.close_sent = true;
        let uniq = self.take_uniq();
        self.queue(
            Kind::Close(code.code()),
            uniq,
            Bytes::from(reason.to_owned()),
        );
        self.flush().unwrap_or(Flow::Ready)
    }

    fn shutdown_write(&mut self) {
        // Queues have no half-close, and need no lingering: what is in the
        // client's queue stays readable after the names are unlinked. Once
        // everything is out the link ends; a ring makes the loop read it.
        self.write_shut = true;
        self.watch.ring();
    }
}

impl Drop for QueueLink {
    fn drop(&mut self) {
        unlink_if_same(self.pair.inbound.name(), self.pair.in_identity);
        unlink_if_same(self.pair.outbound.name(), self.pair.out_identity);
        self.watch.ended();
    }
}
