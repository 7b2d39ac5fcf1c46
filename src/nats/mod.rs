//! A fleet of games on NATS: [`NatsBridge`] puts a game's channels on NATS
//! subjects and serves NATS requests into them; [`Gateway`] is a WebSocket
//! host that shows every instance's channels under `fleet/<instance>/…`.
//! Behind the `nats` feature.
//!
//! # Subjects
//!
//! | subject | what |
//! |---|---|
//! | `switchboard.instances` | each instance's [`Announcement`] (JSON): id, name, version, session id, channels, counters; every heartbeat, when channels change, and a goodbye (`online: false`) when the bridge stops |
//! | `switchboard.discover` | anything published here makes every bridge announce itself at once |
//! | `switchboard.<instance>.<channel, / as .>` | a published channel's messages, with the headers in [`subject::headers`]: channel name, encoding, delivery, sequence |
//! | `switchboard.<instance>.rpc.<channel, / as .>` | NATS requests into the game's channel, where the bridge's `serve` patterns allow; the reply carries `Switchboard-Status: ok` or `failed` (with the reason as payload) |
//! | `switchboard.<instance>._bridge.status` | the bridge's [`BridgeStats`] (JSON), every heartbeat and when a loss is counted |
//!
//! # Delivery policies over NATS
//!
//! The bridge is a client of the host, so the host's policies apply to it
//! first. On the way to NATS, a latest-value channel holds at most one
//! value waiting (a newer one replaces it: `conflated`); reliable channels
//! share a bounded queue ([`NatsBridgeConfig::reliable_queue`]), and while
//! NATS is down or slow a message that does not fit is dropped, counted in
//! `reliable_dropped`, logged, and reported on the status subject, in the
//! announcement and on the game's own [`STATUS_CHANNEL`]. NATS core itself
//! delivers at most once: messages handed to the NATS client just before
//! the connection dropped may be lost without the bridge knowing.

mod announce;
mod bridge;
mod config;
mod game_side;
mod gateway;
mod nats_side;
mod outbox;
mod shared;
pub mod subject;

#[cfg(feature = "bevy")]
mod plugin;

pub use announce::{Announcement, BridgeStats, BridgedChannel};
pub use bridge::{NatsBridge, STATUS_CHANNEL};
pub use config::{NatsAuth, NatsBridgeConfig, NatsConnect, NatsTls};
pub use gateway::{Gateway, GatewayConfig, INSTANCES_CHANNEL};
#[cfg(feature = "bevy")]
pub use plugin::{NatsBridgePlugin, NatsBridgeResource};

use std::path::PathBuf;

/// What can go wrong starting a bridge or a gateway. Once running, nothing
/// from NATS is an error: the bridge reconnects and counts.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// The instance id is not one NATS subject token.
    #[error(
        "invalid instance id {0:?}: one subject token (no '.', '*', '>', '/', spaces), at most 64 bytes"
    )]
    InvalidInstance(String),
    /// A channel pattern did not parse.
    #[error("invalid channel pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// Another setting is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The creds file could not be read.
    #[error("cannot read the NATS creds file {path}: {source}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// async-nats refused the URL or the options.
    #[error("cannot connect to NATS: {0}")]
    Connect(String),
    /// The host refused something.
    #[error(transparent)]
    Host(#[from] crate::HostError),
    /// The host refused the bridge as a client.
    #[error("the host refused the bridge: {0}")]
    Client(#[from] crate::client::ClientError),
    /// A thread or the runtime could not start.
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
}
