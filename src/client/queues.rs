//! The client's end of the message-queue transport: it makes the pair the
//! game looks for, cuts its frames into parts and joins the game's.
//!
//! Blocking like a socket: waits use `poll(2)` on the queue's descriptor,
//! in short slices so a game that exits is noticed.

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::decode::{Received, decode};
use super::{ClientError, Incoming};
use crate::net::config::MqueueConfig;
use crate::net::transport::mqueue::framing::{Kind, Reassembler, Side, Splitter, parse_part};
use crate::net::transport::mqueue::queue::{End, Identity, Queue, process_alive, unlink_if_same};

/// Longest single wait inside a blocking call, so a gone game is noticed.
const SLICE: Duration = Duration::from_millis(100);
/// How long a send waits for the game to make room.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest message the client takes from the game.
const MAX_INCOMING: usize = 64 << 20;

pub(super) struct QueueWire {
    /// The game reads it; we write.
    to_game: Queue,
    /// The game writes it; we read.
    from_game: Queue,
    to_identity: Identity,
    from_identity: Identity,
    game_pid: u32,
    own_pid: u32,
    slot: usize,
    read_buf: Vec<u8>,
    part_buf: Vec<u8>,
    reassembler: Reassembler,
    next_uniq: u64,
}

fn gone(pid: u32) -> ClientError {
    ClientError::Io(io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("the game (process {pid}) is gone"),
    ))
}

/// Waits until `fd` is ready for `events` or `wait` passes.
fn wait_fd(fd: i32, events: libc::c_short, wait: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = wait.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd, and its count.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0)
}

impl QueueWire {
    /// Makes the pair for the game with process id `game_pid`.
    pub(super) fn create(
        game_pid: u32,
        config: &MqueueConfig,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        if !process_alive(game_pid) {
            return Err(ClientError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no process {game_pid}"),
            )));
        }
        let (in_name, out_name) = config.names(game_pid);
        // A pair left by a client that died is removed by the game within
        // one look; wait a little for that rather than fail at once.
        let deadline = Instant::now() + timeout.min(Duration::from_secs(2));
        let to_game = loop {
            match Queue::create(&in_name, End::Write, None, None) {
                Ok(q) => break q,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(ClientError::Io(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!(
                            "{in_name} exists: another client is connected to process {game_pid} over the message queues"
                        ),
                    )));
                }
                Err(e) => return Err(ClientError::Io(e)),
            }
        };
        let to_identity = to_game.identity()?;
        let from_game = match Queue::create(&out_name, End::Read, None, None) {
            Ok(q) => q,
            Err(e) => {
                unlink_if_same(&in_name, to_identity);
                return Err(ClientError::Io(e));
            }
        };
        let from_identity = from_game.identity()?;
        let slot = to_game.slot_size()?;
        let read_slot = from_game.slot_size()?;
        Ok(Self {
            to_game,
            from_game,
            to_identity,
            from_identity,
            game_pid,
            own_pid: std::process::id(),
            slot,
            read_buf: vec![0; read_slot],
            part_buf: Vec::with_capacity(slot),
            reassembler: Reassembler::new(MAX_INCOMING),
            next_uniq: 1,
        })
    }

    fn send_message(&mut self, kind: Kind, bytes: &[u8]) -> Result<(), ClientError> {
        let uniq = self.next_uniq;
        self.next_uniq += 1;
        let mut splitter = Splitter::new(Side::Client, kind, uniq, Some(self.own_pid));
        let deadline = Instant::now() + SEND_TIMEOUT;
        while !splitter.done() {
            let used = splitter.next_part(bytes, self.slot, &mut self.part_buf);
            match self.to_game.send(&self.part_buf) {
                Ok(()) => splitter.advance(used, bytes.len()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ClientError::Timeout);
                    }
                    if !process_alive(self.game_pid) {
                        return Err(gone(self.game_pid));
                    }
                    wait_fd(self.to_game.fd(), libc::POLLOUT, left.min(SLICE))?;
                }
                Err(e) => return Err(ClientError::Io(e)),
            }
        }
        Ok(())
    }

    pub(super) fn send_frame(&mut self, frame: &Bytes) -> Result<(), ClientError> {
        self.send_message(Kind::Frame, frame)
    }

    pub(super) fn close(&mut self, code: u16, reason: &str) -> Result<(), ClientError> {
        self.send_message(Kind::Close(code), reason.as_bytes())
    }

    /// Reads parts until a whole message is here, or `timeout` passes.
    pub(super) fn read_one(&mut self, timeout: Duration) -> Result<Received, ClientError> {
        let deadline = Instant::now() + timeout;
        loop {
            let n = match self.from_game.receive(&mut self.read_buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ClientError::Timeout);
                    }
                    if !process_alive(self.game_pid) {
                        return Err(gone(self.game_pid));
                    }
                    wait_fd(self.from_game.fd(), libc::POLLIN, left.min(SLICE))?;
                    continue;
                }
                Err(e) => return Err(ClientError::Io(e)),
            };
            let (meta, part) = parse_part(&self.read_buf[..n], Side::Host)
                .map_err(|e| ClientError::Unexpected(format!("bad part from the game: {e}")))?;
            let fed = self.reassembler.feed(meta, part);
            if let Some(refused) = fed.refused {
                return Err(ClientError::Unexpected(format!(
                    "broken message from the game: {}",
                    refused.reason
                )));
            }
            let Some(whole) = fed.whole else {
                continue;
            };
            return match whole.kind {
                Kind::Frame => decode(&whole.bytes),
                Kind::Close(code) => Ok(Received::Other(Incoming::Closed {
                    code,
                    reason: String::from_utf8_lossy(&whole.bytes).into_owned(),
                })),
                Kind::Refusal(status) => Err(ClientError::QueueRefused {
                    status,
                    reason: String::from_utf8_lossy(&whole.bytes).into_owned(),
                }),
            };
        }
    }
}

impl Drop for QueueWire {
    fn drop(&mut self) {
        unlink_if_same(self.to_game.name(), self.to_identity);
        unlink_if_same(self.from_game.name(), self.from_identity);
    }
}
