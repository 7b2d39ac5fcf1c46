//! Errors from the host API.

use std::net::SocketAddr;

use crate::protocol::ChannelId;

/// What can go wrong when starting or using a [`Host`](crate::Host).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The listening socket could not be opened: port in use, address not on
    /// this machine, or no permission.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The event loop could not be set up.
    #[error("cannot start the network thread: {0}")]
    Start(#[source] std::io::Error),
    /// The configuration contradicts itself.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A channel name is not acceptable.
    #[error("invalid channel name {name:?}: {reason}")]
    InvalidChannelName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A channel with this name is already advertised.
    #[error("channel {0:?} is already advertised")]
    DuplicateChannel(String),
    /// No channel with this id is advertised.
    #[error("{0} is not advertised")]
    UnknownChannel(ChannelId),
    /// The network thread's command queue is full; try again next frame.
    #[error("the host's command queue is full ({0} commands); the network thread is behind")]
    QueueFull(usize),
    /// A message from an agent cannot be delivered as written.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The network thread has stopped (after shutdown, or a fatal error).
    #[error("the host has stopped")]
    Stopped,
}
