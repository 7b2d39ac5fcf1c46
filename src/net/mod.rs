//! The network thread: one `mio::Poll`, woken by sockets, by a `mio::Waker`
//! when the game sends commands, and by its own timers. Nothing spins: an
//! idle host sleeps in `poll` with no timeout.

mod access;
mod commands;
mod connection;
mod dispatch;
mod event_loop;
mod http;
mod id_hash;
mod outbound;
mod router;
mod session;
mod static_files;
mod timers;
mod transport;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use mio::Waker;
use tungstenite::protocol::WebSocketConfig;

use crate::host::{ChannelId, ClientId, HostConfig, HostEvent, RequestId};
use crate::protocol::ChannelDescription;

pub(crate) use event_loop::WAKER_TOKEN;

/// What the game asks the network thread to do.
#[derive(Debug)]
pub(crate) enum Command {
    Advertise(ChannelDescription),
    Unadvertise(ChannelId),
    Publish {
        channel: ChannelId,
        content: Bytes,
        timestamp_ns: u64,
    },
    SendTo {
        client: ClientId,
        channel: ChannelId,
        content: Bytes,
        timestamp_ns: u64,
    },
    Respond {
        client: ClientId,
        request_id: RequestId,
        result: Result<Bytes, String>,
    },
    Request {
        client: ClientId,
        channel: ChannelId,
        request_id: RequestId,
        content: Bytes,
        timeout: Duration,
        timestamp_ns: u64,
    },
    Disconnect {
        client: ClientId,
        reason: String,
    },
    Shutdown,
}

/// State both threads touch.
pub(crate) struct Shared {
    pub(crate) waker: Waker,
    /// A wake is on its way; saves a syscall per command.
    pub(crate) wake_pending: AtomicBool,
    /// The network thread holds events the game's queue had no room for,
    /// and has stopped reading sockets until the game drains.
    pub(crate) waiting_for_space: AtomicBool,
    /// Bytes of client frames in the game's event queue, so the queue is
    /// bounded in memory and not only in count.
    pub(crate) queued_bytes: AtomicUsize,
    pub(crate) queued_bytes_limit: usize,
}

impl Shared {
    /// Wakes the network thread unless a wake is already pending.
    pub(crate) fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            if let Err(e) = self.waker.wake() {
                tracing::error!("cannot wake the network thread: {e}");
            }
        }
    }

    /// Called by the game for each event it takes off the queue.
    pub(crate) fn took(&self, event: &HostEvent) {
        let size = event.queued_size();
        if size > 0 {
            self.queued_bytes.fetch_sub(size, Ordering::AcqRel);
        }
        self.drained();
    }

    /// Called by the game after taking events off the queue.
    pub(crate) fn drained(&self) {
        if self.waiting_for_space.load(Ordering::Acquire)
            && self.waiting_for_space.swap(false, Ordering::AcqRel)
        {
            self.wake_pending.store(true, Ordering::Release);
            if let Err(e) = self.waker.wake() {
                tracing::error!("cannot wake the network thread: {e}");
            }
        }
    }
}

/// Everything the network thread needs to know, fixed at start.
pub(crate) struct NetConfig {
    pub host: HostConfig,
    pub ws: WebSocketConfig,
    pub session_id: String,
}

impl NetConfig {
    pub(crate) fn new(host: HostConfig, session_id: String) -> Self {
        let limits = &host.limits;
        let ws = WebSocketConfig::default()
            .read_buffer_size(limits.read_buffer_size)
            // Frames collect in the WebSocket layer's buffer and go out in one
            // write per loop turn (or when this much has piled up).
            .write_buffer_size(64 << 10)
            .max_message_size(Some(limits.max_message_size))
            .max_frame_size(Some(limits.max_message_size));
        Self {
            host,
            ws,
            session_id,
        }
    }
}

/// The game's ends of the queues, and the running thread.
pub(crate) struct NetHandle {
    pub commands: Sender<Command>,
    pub events: Receiver<HostEvent>,
    pub shared: Arc<Shared>,
    pub thread: JoinHandle<()>,
}

/// Starts the network thread on an already bound listener.
pub(crate) fn spawn(config: NetConfig, listener: mio::net::TcpListener) -> io::Result<NetHandle> {
    let poll = mio::Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER_TOKEN)?;
    let shared = Arc::new(Shared {
        waker,
        wake_pending: AtomicBool::new(false),
        waiting_for_space: AtomicBool::new(false),
        queued_bytes: AtomicUsize::new(0),
        queued_bytes_limit: config.host.limits.inbound_queue_bytes,
    });
    let (command_tx, command_rx) = crossbeam_channel::bounded(config.host.limits.command_queue);
    let (event_tx, event_rx) = crossbeam_channel::bounded(config.host.limits.inbound_queue);
    let net = event_loop::NetLoop::new(
        poll,
        listener,
        Arc::new(config),
        command_rx,
        event_tx,
        Arc::clone(&shared),
    )?;
    let thread = std::thread::Builder::new()
        .name("switchboard-net".to_owned())
        .spawn(move || net.run())?;
    Ok(NetHandle {
        commands: command_tx,
        events: event_rx,
        shared,
        thread,
    })
}
