//! # Switchboard
//!
//! A game embeds Switchboard so that other processes can talk to it while
//! it runs: a browser editor, telemetry dashboards, scripts, tools. A host
//! listens on its own network thread (mio + tungstenite), verifies every
//! frame clients send, and hands the game channel-tagged FlatBuffers
//! messages; the game answers, publishes and asks through the same host.
//! The wire protocol is in `docs/protocol/README.md`, the one schema in
//! `schema/ipc.fbs`, the design in `docs/architecture.md`.
//!
//! This page is a tour. Each part points to the item with the details.
//!
//! ## 1. A host without Bevy
//!
//! [`Host::start`] binds the port and starts the network thread. The game
//! drains [`HostEvent`]s once per frame, never blocking, and sends through
//! the host; every send is queued and returns at once. Any engine can drive
//! it from its own loop. The cheap way, and the one a game loop has anyway:
//! once per frame, [`Host::drain_events`] and answer everything in one
//! [`Host::batch`]. Answering each event the moment it arrives wakes the
//! network thread once per answer, which costs about twice the CPU per
//! message (BENCHMARKS.md).
//!
//! ```
//! use std::time::Duration;
//! use switchboard::{ChannelSpec, Host, HostConfig, HostEvent, client::Client};
//!
//! let host = Host::start(HostConfig::default().port(0))?;
//! let chat = host.advertise(ChannelSpec::new("chat").clients_may_publish())?;
//!
//! // Any WebSocket client speaking the protocol; here the crate's own.
//! let mut client = Client::connect(host.local_addr(), "doc-test")?;
//! client.publish(chat.0, b"hello game")?;
//!
//! loop {
//!     match host.wait_event(Duration::from_secs(5)) {
//!         Some(HostEvent::Message(m)) => {
//!             assert_eq!(m.content(), b"hello game"); // read in place, no copy
//!             host.send_to(m.client(), chat, &b"hello client"[..])?;
//!             break;
//!         }
//!         Some(_) => continue, // Connected, ...
//!         None => panic!("no message"),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## 2. The Bevy plugin and its system sets
//!
//! With the `bevy` feature (on by default), [`bevy::IpcHostPlugin`] starts
//! a host from a [`HostConfig`] and turns its events into ECS messages:
//! [`bevy::FromRemote`] in `PreUpdate` ([`bevy::IpcSet::Receive`]), and
//! every [`bevy::ToRemote`] the agents wrote goes out in `PostUpdate`
//! ([`bevy::IpcSet::Send`]). Agents are ordinary systems in between. An app
//! built from `bevy_app` alone needs a runner to keep running frames
//! (`ScheduleRunnerPlugin`, or [`bevy::on_demand_runner`]); a full Bevy app
//! has one.
//!
//! ```
//! # #[cfg(feature = "bevy")]
//! # fn main() {
//! use bevy_app::prelude::*;
//! use bevy_ecs::prelude::*;
//! use switchboard::HostConfig;
//! use switchboard::bevy::{FromRemote, IpcHostPlugin, IpcSet, ToRemote};
//!
//! fn echo(mut from: MessageReader<FromRemote>, mut to: MessageWriter<ToRemote>) {
//!     for message in from.read() {
//!         to.write(message.reply(message.content()));
//!     }
//! }
//!
//! let mut app = App::new();
//! app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
//!     .add_systems(Update, echo.after(IpcSet::Receive).before(IpcSet::Send));
//! app.update(); // one frame; a runner would loop
//! # }
//! # #[cfg(not(feature = "bevy"))]
//! # fn main() {}
//! ```
//!
//! ## 3. Agents
//!
//! An agent owns some channels. The crate ships these: the telemetry agent
//! ([`agents::TelemetryAgentPlugin`]: frame time, fps, entity count and
//! your own metrics on latest-value channels) and, with the `hardware`
//! feature, the hardware bridge (radios, their devices, their commands; see
//! `docs/hardware.md`), and with the `inspector` feature the entity
//! inspector (`agents::inspector`: the world by reflection, in bevy_remote's
//! shapes; `docs/inspector.md`). Your own agents are systems like `echo` above, or
//! code that calls [`Host`] directly.
//!
//! ## 4. Channels and delivery policies
//!
//! A channel has a name (`telemetry/fps`), an encoding, and a delivery
//! policy chosen by the agent that advertises it ([`ChannelSpec`]):
//!
//! - **reliable** (the default): every message reaches every subscriber in
//!   order. A client that cannot keep up is closed with 4000 and a reason,
//!   never silently skipped.
//! - **latest** ([`ChannelSpec::latest`]): a slow subscriber gets the
//!   newest value; older unsent ones are replaced, and sequence numbers
//!   show how many.
//!
//! Clients subscribe by id or by pattern (`telemetry/*`, `scene/**`). A
//! publish is encoded once and its bytes are shared by every subscriber.
//!
//! ```
//! use switchboard::{ChannelSpec, Host, HostConfig};
//!
//! let host = Host::start(HostConfig::default().port(0))?;
//! let fps = host.advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())?;
//! host.publish(fps, &br#"{"value":60}"#[..])?;
//! # Ok::<(), switchboard::HostError>(())
//! ```
//!
//! ## 5. Requests, both ways
//!
//! A client's `Data` with a request id is a request: the game answers it
//! with [`Host::respond`] (or [`Host::respond_error`]); an unanswered one
//! times out with an error to the client. The game asks a client with
//! [`Host::request`] and gets [`HostEvent::Response`], or
//! [`HostEvent::RequestFailed`] (timeout, client gone). Many requests may
//! be in flight in each direction; each side picks its own ids.
//!
//! ```
//! use std::time::Duration;
//! use switchboard::{ChannelSpec, Host, HostConfig, HostEvent, client::Client};
//!
//! let host = Host::start(HostConfig::default().port(0))?;
//! let rpc = host.advertise(ChannelSpec::new("rpc").clients_may_publish())?;
//! let mut client = Client::connect(host.local_addr(), "asker")?;
//! let id = client.request(rpc.0, b"2+2")?;
//! while let Some(event) = host.wait_event(Duration::from_secs(5)) {
//!     if let HostEvent::Message(m) = event {
//!         if let Some(request) = m.request_id() {
//!             host.respond(m.client(), request, &b"4"[..])?;
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(client.wait_response(id, Duration::from_secs(5))?, b"4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## 6. Backpressure, and what is bounded
//!
//! Nothing grows without bound and nothing is dropped silently. Events wait
//! for the game in a bounded queue; when the game stops draining (a pause,
//! a long frame) the host stops reading from clients, so their own
//! transport pushes back, and resumes when the game drains. Each client's
//! outbound queue is bounded too (the delivery policies above say what
//! happens when it fills). Every bound is in [`Limits`]; `docs/protocol/errors-and-limits.md`
//! section 9 describes them as clients see them.
//!
//! ## 7. Transports
//!
//! Clients connect over WebSocket (`ws://`, or `wss://` with the `tls`
//! feature); the host also serves the browser editor's files on the same
//! port ([`HostConfig::web_root`]). Inside the game's process,
//! [`Host::connect_in_memory`] gives a connection without a socket, under
//! the same rules, for tests and in-process tools. With the `mqueue`
//! feature (Linux), `HostConfig::message_queues` also lets a local client
//! reach the game through a pair of POSIX message queues named after its
//! process id (`Client::over_queues`, the `switchboard` program's PID
//! targets). Access control (the
//! `Host` and `Origin` checks, the token, TLS) is described in
//! `SECURITY.md`.
//!
//! ```
//! use switchboard::client::Client;
//! use switchboard::{Host, HostConfig};
//!
//! let host = Host::start(HostConfig::default().port(0).token("sesame"))?;
//! let mut options = switchboard::client::ClientOptions::new("in-process");
//! options.token = Some("sesame".into());
//! let client = Client::over_memory_with(host.connect_in_memory()?, options)?;
//! assert!(client.welcome().capabilities.iter().any(|c| c == "token"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The game can also open the connection itself: [`HostConfig::dial`]
//! takes `ws://` (and `wss://`) URLs of editors that listen; the host dials
//! them, reconnects with backoff, and reports each change as
//! [`HostEvent::Dial`]. The dialled peer then speaks as a client, so an
//! editor works both ways. Every host also publishes a record of itself
//! for local tools ([`discovery`], `switchboard ls`).
//!
//! ## 8. Features
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `bevy` | yes | [`bevy`] (the plugin, system sets, ECS messages, on-demand runner) and [`agents`]' telemetry agent; only `bevy_ecs` and `bevy_app` |
//! | `hardware` | no | the hardware-bridge agent (radios, YAML device types, SQLite registry) |
//! | `inspector` | no | the entity inspector agent: the world's entities, components and resources by reflection, BRP's requests as channels (`docs/inspector.md`) |
//! | `tls` | no | `wss://` through rustls: serving it ([`TlsConfig`]), dialling it ([`DialTlsConfig`]) and the blocking client's `wss://` ([`client::Client::connect_tls_with`]) |
//! | `discovery` | no | reading the records of running hosts ([`discovery::list`]); every host writes its record without it |
//! | `mqueue` | no | clients over POSIX message queues named after the game's PID (Linux; `MqueueConfig`) |
//! | `plugins` | no | [`plugins`]: plugin processes over pipes, registration, supervision (Unix; `docs/plugins.md`) |
//! | `fields` | no | [`fields`]: typed field rules and their checks (pulled in by `hardware` and `packages`) |
//! | `packages` | no | [`packages`]: plugin packages (`.lamp`): reading, packing, safe installing, the registry |
//! | `nats` | no | [`nats`]: the NATS bridge (a game's channels on NATS subjects, NATS requests into them) and the fleet gateway; async-nats on a current-thread tokio runtime |
//! | `fuzzing` | no | entry points for the fuzz targets; not an API |

#![warn(missing_docs)]

#[cfg(feature = "bevy")]
pub mod agents;
#[cfg(feature = "bevy")]
pub mod bevy;
pub mod client;
pub mod discovery;
#[cfg(feature = "fields")]
pub mod fields;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod host;
#[cfg(feature = "nats")]
pub mod nats;
mod net;
#[cfg(feature = "packages")]
pub mod packages;
#[cfg(all(unix, feature = "plugins"))]
pub mod plugin_sdk;
#[cfg(all(unix, feature = "plugins"))]
pub mod plugins;
pub mod protocol;

/// The in-memory transport's client end: a connection to a [`Host`] in the
/// same process, without a socket ([`Host::connect_in_memory`]).
pub mod memory {
    pub use crate::net::transport::memory::{
        MemoryConnection, MemoryError, MemoryIncoming, MemoryWaker,
    };
}

pub use host::{Batch, ChannelSpec, Host, HostError, MAX_CHANNEL_NAME_LEN, validate_channel_name};
#[cfg(feature = "mqueue")]
pub use net::MqueueConfig;
pub use net::{ClientInfo, DEFAULT_PORT, HostConfig, HostEvent, Limits, Peer, RequestFailure};
pub use net::{DialBackoff, DialState, DialStatus};
#[cfg(feature = "tls")]
pub use net::{DialTlsConfig, TlsConfig, TlsError};
pub use protocol::ipc::{DeliveryPolicy, ErrorCode, Publishers};
pub use protocol::{ChannelId, ClientId, RemoteMessage, RemoteResponse, RequestId};
