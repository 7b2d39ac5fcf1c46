//! What an instance says about itself on `switchboard.instances`, and the
//! bridge's counters. Plain JSON, so any NATS client can read them.

use serde::{Deserialize, Serialize};

/// One instance's announcement, sent every heartbeat, when its channels
/// change, when a gateway asks (`switchboard.discover`), and once with
/// `online: false` when the bridge stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The instance id (a subject token).
    pub id: String,
    /// Its name for people.
    pub name: String,
    /// The switchboard version the game runs.
    pub version: String,
    /// The host's session id (changes when the game restarts).
    pub session: String,
    /// Milliseconds between heartbeats; a listener may forget the instance
    /// after missing a few.
    pub heartbeat_ms: u64,
    /// False in the goodbye sent when the bridge stops.
    pub online: bool,
    /// The channels on NATS.
    pub channels: Vec<BridgedChannel>,
    /// Channels the bridge cannot name as subjects, so not bridged.
    #[serde(default)]
    pub unbridged: Vec<String>,
    /// The bridge's counters.
    pub status: BridgeStats,
}

/// A channel as the bridge shares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgedChannel {
    /// The game's name for it.
    pub name: String,
    /// Its encoding.
    pub encoding: String,
    /// `latest` or `reliable`.
    pub delivery: String,
    /// Where its messages are published, when they are.
    pub subject: Option<String>,
    /// Where NATS requests for it go, when they may.
    pub rpc_subject: Option<String>,
}

/// What the bridge counted since it started. Nothing it dropped goes
/// uncounted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeStats {
    /// Connected to NATS now.
    pub connected: bool,
    /// Times the connection to NATS came back after a loss.
    pub reconnects: u64,
    /// Messages handed to NATS.
    pub published: u64,
    /// Latest-value messages replaced by a newer one before they left.
    pub conflated: u64,
    /// Reliable messages dropped because the bounded queue was full (NATS
    /// down or slow). Never silent: counted here and logged.
    pub reliable_dropped: u64,
    /// NATS requests answered by the game.
    pub requests_served: u64,
    /// NATS requests refused (no such channel, not allowed, busy, failed).
    pub requests_refused: u64,
    /// Messages waiting for NATS now.
    pub queued: u64,
    /// The host closed the bridge's connection (the bridge publishes
    /// nothing more), with the reason.
    pub host_closed: Option<String>,
}
