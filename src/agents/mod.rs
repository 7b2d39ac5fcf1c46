//! Agents that ship with the library: plugins of ordinary systems that own
//! channels and talk to remote clients through the IPC plugin.

mod telemetry;

pub use telemetry::{Metrics, TelemetryAgentPlugin, TelemetryChannels};
