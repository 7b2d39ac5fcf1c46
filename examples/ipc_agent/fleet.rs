//! `--nats URL --instance NAME`: the demo's telemetry and scene channels on
//! NATS through the library's bridge, so `switchboard fleet` can show many
//! demos at once. Without the nats feature the flags are refused with the
//! command that has it.

use bevy_app::App;
use bevy_ecs::prelude::*;

use crate::options::Options;

/// The announcement's NATS line.
#[derive(Resource)]
pub struct NatsLine(pub String);

#[cfg(feature = "nats")]
pub type BridgeConfig = switchboard::nats::NatsBridgeConfig;
#[cfg(not(feature = "nats"))]
pub type BridgeConfig = ();

/// The bridge the flags ask for, or why they cannot be used.
#[cfg(feature = "nats")]
pub fn bridge_config(options: &Options) -> Result<Option<BridgeConfig>, String> {
    let Some(url) = &options.nats else {
        return Ok(None);
    };
    let instance = options
        .instance
        .clone()
        .unwrap_or_else(|| "demo".to_owned());
    if !switchboard::nats::subject::is_instance_id(&instance) {
        return Err(format!(
            "--instance {instance:?}: one NATS subject token (letters, digits, - and _), at most 64 bytes"
        ));
    }
    Ok(Some(
        switchboard::nats::NatsBridgeConfig::new(url.clone(), instance)
            .publish("telemetry/**")
            .publish("scene/**")
            .serve("scene/**"),
    ))
}

#[cfg(not(feature = "nats"))]
pub fn bridge_config(options: &Options) -> Result<Option<BridgeConfig>, String> {
    if options.nats.is_some() {
        return Err("this demo was built without nats: \
             cargo run --example ipc_agent --features hardware,nats -- --nats URL"
            .into());
    }
    Ok(None)
}

#[cfg(feature = "nats")]
pub fn add_bridge(app: &mut App, config: Option<BridgeConfig>) {
    let Some(config) = config else { return };
    let line = format!(
        "switchboard.{}.* on {} (telemetry/**, scene/**)",
        config.instance, config.connect.url
    );
    app.add_plugins(switchboard::nats::NatsBridgePlugin::new(config))
        .insert_resource(NatsLine(line));
}

#[cfg(not(feature = "nats"))]
pub fn add_bridge(_app: &mut App, _config: Option<BridgeConfig>) {}
