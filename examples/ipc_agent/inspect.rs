//! The entity inspector in the demo, when it is built with the `inspector`
//! feature: every world channel, writes from this machine only (the demo
//! is a local tool; a client on another machine can read but not change),
//! and the scene's components registered so the editor can show them.

use bevy_app::{App, Plugin};
use switchboard::agents::inspector::{InspectorPlugin, Writes};

use crate::scene::{Label, Position, Velocity};

pub struct DemoInspectorPlugin;

impl Plugin for DemoInspectorPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(InspectorPlugin::default().writes(Writes::Local))
            .register_type::<Position>()
            .register_type::<Velocity>()
            .register_type::<Label>();
    }
}
