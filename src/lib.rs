//! # Switchboard
//!
//! A WebSocket IPC host that a game embeds so other processes (a browser
//! editor, telemetry dashboards, scripts, plugin processes) can talk to it
//! while it runs.
//!
//! - [`Host`] is the engine-agnostic core: it listens, runs the network on
//!   its own thread, and hands the game [`HostEvent`]s to drain each frame.
//! - [`protocol`] holds the wire format: FlatBuffers frames generated from
//!   `schema/ipc.fbs`, described in `docs/protocol.md`.
//! - [`client`] is a small blocking client, for scripts, tools and tests.
//!
//! ```
//! use std::time::Duration;
//! use switchboard::{ChannelSpec, Host, HostConfig, HostEvent, client::Client};
//!
//! let host = Host::start(HostConfig::default().port(0))?;
//! let chat = host.advertise(ChannelSpec::new("chat").clients_may_publish())?;
//!
//! let mut client = Client::connect(host.local_addr(), "doc-test")?;
//! client.publish(chat.0, b"hello game")?;
//!
//! loop {
//!     match host.wait_event(Duration::from_secs(5)) {
//!         Some(HostEvent::Message(m)) => {
//!             assert_eq!(m.content(), b"hello game");
//!             break;
//!         }
//!         Some(_) => continue,
//!         None => panic!("no message"),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

#[cfg(feature = "bevy")]
pub mod agents;
#[cfg(feature = "bevy")]
pub mod bevy;
pub mod client;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod host;
mod net;
pub mod protocol;

/// The in-memory transport's client end: a connection to a [`Host`] in the
/// same process, without a socket ([`Host::connect_in_memory`]).
pub mod memory {
    pub use crate::net::transport::memory::{MemoryConnection, MemoryError, MemoryIncoming};
}

pub use host::{ChannelSpec, Host, HostError, MAX_CHANNEL_NAME_LEN, validate_channel_name};
pub use net::{ClientInfo, DEFAULT_PORT, HostConfig, HostEvent, Limits, Peer, RequestFailure};
#[cfg(feature = "tls")]
pub use net::{TlsConfig, TlsError};
pub use protocol::ipc::{DeliveryPolicy, ErrorCode, Publishers};
pub use protocol::{ChannelId, ClientId, RemoteMessage, RemoteResponse, RequestId};
