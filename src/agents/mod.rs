//! Agents that ship with the library: plugins of ordinary systems that own
//! channels and talk to remote clients through the IPC plugin.

#[cfg(feature = "hardware")]
pub mod hardware;
#[cfg(feature = "inspector")]
pub mod inspector;
mod telemetry;

pub use telemetry::{Metrics, TelemetryAgentPlugin, TelemetryChannels};
