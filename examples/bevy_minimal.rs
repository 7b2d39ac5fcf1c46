//! The smallest Bevy app with the IPC host: an echo agent on `echo`.
//! README.md quotes this file (below this header) verbatim; tests/readme.rs
//! keeps the two equal and checks that the app keeps running.

use std::time::Duration;

use bevy_app::ScheduleRunnerPlugin;
use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use switchboard::bevy::{FromRemote, IpcHost, IpcHostPlugin, ToRemote};
use switchboard::{ChannelSpec, HostConfig};

fn advertise(host: Option<Res<IpcHost>>) {
    // No IpcHost: the host did not start, and IpcStatus says why.
    let Some(host) = host else { return };
    if let Err(e) = host.advertise(ChannelSpec::new("echo").clients_may_publish()) {
        eprintln!("echo not advertised: {e}");
    }
}

fn echo(mut from: MessageReader<FromRemote>, mut to: MessageWriter<ToRemote>) {
    for message in from.read() {
        to.write(message.reply(message.content()));
    }
}

fn main() -> AppExit {
    App::new()
        // Something must keep the app looping: without a runner, run()
        // does one frame and returns. DefaultPlugins bring one (winit's
        // event loop); with only bevy_app, ScheduleRunnerPlugin runs a frame
        // every 16 ms (switchboard::bevy::on_demand_runner runs one when the
        // network has something).
        .add_plugins(ScheduleRunnerPlugin::run_loop(Duration::from_millis(16)))
        .add_plugins(IpcHostPlugin::new(HostConfig::default().port(9001)))
        .add_systems(Startup, advertise)
        .add_systems(Update, echo)
        .run()
}
