//! The echo agent: whatever a client sends on `echo` comes back to it.

use bevy_app::{App, Plugin, Startup, Update};
use bevy_ecs::prelude::*;
use switchboard::ChannelSpec;
use switchboard::bevy::{FromRemote, IpcHost, IpcSet, ToRemote};

pub struct EchoAgentPlugin;

#[derive(Resource)]
struct EchoChannel(switchboard::ChannelId);

impl Plugin for EchoAgentPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, advertise)
            .add_systems(Update, echo.after(IpcSet::Receive));
    }
}

fn advertise(mut commands: Commands, host: Option<Res<IpcHost>>) {
    let Some(host) = host else { return };
    let spec = ChannelSpec::new("echo")
        .encoding("text")
        .clients_may_publish()
        .description("send anything; it comes back to you");
    match host.advertise(spec) {
        Ok(id) => commands.insert_resource(EchoChannel(id)),
        Err(e) => tracing::error!("echo agent: {e}"),
    }
}

fn echo(
    channel: Option<Res<EchoChannel>>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
) {
    let Some(channel) = channel else { return };
    for message in from.read() {
        if message.channel() == channel.0 {
            to.write(message.reply(message.content()));
        }
    }
}
