//! The network layer: one thread with one `mio::Poll`, woken by its links,
//! by a `mio::Waker` when the game sends commands, and by its own timers.
//! Nothing spins: an idle host sleeps in `poll` with no timeout (with the
//! message queues on, until its next look for a queue pair, every
//! `MqueueConfig::look_interval`).
//!
//! Inside, data flows one way:
//!
//! ```text
//! transport (ws, memory, ...)   moves whole messages, reports readiness
//!   -> session::inbound         verifies each frame; handshake, data, requests, subscriptions
//!   -> core                     router, timers, the game's bounded event queue
//!   -> session::outbound        per-client queues with delivery policies, error replies, close
//!   -> transport
//! ```
//!
//! `event_loop` drives it; `commands` carries out what the game asks;
//! `deadlines` handles timers. The layer owns its config ([`HostConfig`])
//! and the events it emits ([`HostEvent`]); the `host` layer above wraps it
//! in the `Host` handle.

mod clock;
mod command_queue;
mod commands;
pub(crate) mod config;
mod connections;
mod core;
mod deadlines;
pub(crate) mod event;
mod event_loop;
pub(crate) mod handoff;
mod id_hash;
mod recheck;
mod router;
mod scratch;
mod session;
mod timers;
pub(crate) mod transport;

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::Receiver;
use mio::Waker;

pub(crate) use clock::now_ns;
pub(crate) use command_queue::{CommandSender, TrySendError};
pub(crate) use commands::{Command, GameRequest};
#[cfg(feature = "mqueue")]
pub use config::MqueueConfig;
pub(crate) use config::NetConfig;
pub use config::{DEFAULT_PORT, DialBackoff, HostConfig, Limits};
#[cfg(feature = "tls")]
pub use config::{DialTlsConfig, TlsConfig, TlsError};
pub use event::{ClientInfo, DialState, DialStatus, HostEvent, Peer, RequestFailure};
pub(crate) use handoff::Handoff;

/// The game's ends of the queues, and the running thread.
pub(crate) struct NetHandle {
    pub commands: CommandSender,
    /// Events in batches, one per network loop turn that had any.
    pub events: Receiver<Vec<HostEvent>>,
    pub handoff: Arc<Handoff>,
    pub thread: JoinHandle<()>,
}

/// Starts the network thread on an already bound TCP listener.
pub(crate) fn spawn(
    config: NetConfig,
    listener: mio::net::TcpListener,
    dial: transport::dial::DialPlan,
) -> io::Result<NetHandle> {
    let poll = mio::Poll::new()?;
    let waker = Waker::new(poll.registry(), event_loop::WAKER_TOKEN)?;
    let limits = &config.host.limits;
    let handoff = Arc::new(Handoff::new(
        waker,
        limits.inbound_queue,
        limits.inbound_queue_bytes,
    ));
    let (command_tx, command_rx) = command_queue::command_queue(limits.command_queue);
    let (event_tx, event_rx) = crossbeam_channel::bounded(limits.inbound_queue);
    let config = Arc::new(config);
    let acceptors = transport::accepting(&config, listener);
    let finders = transport::finding(&config);
    let core = core::Core::new(config, event_tx, Arc::clone(&handoff));
    let net = event_loop::NetLoop::new(poll, acceptors, finders, command_rx, core, dial)?;
    let thread = std::thread::Builder::new()
        .name("switchboard-net".to_owned())
        .spawn(move || net.run())?;
    Ok(NetHandle {
        commands: command_tx,
        events: event_rx,
        handoff,
        thread,
    })
}
