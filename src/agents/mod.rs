//! Agents that ship with the library: plugins of ordinary systems that own
//! channels and talk to remote clients through the IPC plugin.

#[cfg(feature = "hardware")]
pub mod hardware;
#[cfg(feature = "inspector")]
pub mod inspector;
#[cfg(feature = "packages")]
pub mod packages;
mod telemetry;

pub use telemetry::{Metrics, TelemetryAgentPlugin, TelemetryChannels};
