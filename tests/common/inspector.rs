//! The inspector tests' app, client and request helpers: a Bevy app with
//! the host and the inspector, reflected test types, and one request at a
//! time while the app runs frames.

use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use bevy_reflect::Reflect;
use bevy_reflect::std_traits::ReflectDefault;
use serde_json::Value;
use switchboard::HostConfig;
use switchboard::agents::inspector::{InspectorPlugin, Writes};
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus};
use switchboard::client::{Client, ClientError, Incoming};

use super::{PATIENCE, init_logs};

#[derive(Component, Reflect, Debug, Clone, Copy, PartialEq, Default)]
#[reflect(Component, Default)]
#[type_path = "inspector"]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

#[derive(Component, Reflect, Debug, Clone, PartialEq, Default)]
#[reflect(Component, Default)]
#[type_path = "inspector"]
pub struct Label(pub String);

#[derive(Component, Reflect, Debug, Clone, PartialEq, Default)]
#[reflect(Component, Default)]
#[type_path = "inspector"]
pub enum Mode {
    #[default]
    Idle,
    Moving {
        speed: f32,
    },
}

#[derive(Resource, Reflect, Debug, Clone, PartialEq, Default)]
#[reflect(Resource, Default)]
#[type_path = "inspector"]
pub struct Score {
    pub points: u32,
}

pub const POSITION: &str = "inspector::Position";
pub const LABEL: &str = "inspector::Label";
pub const MODE: &str = "inspector::Mode";
pub const SCORE: &str = "inspector::Score";
pub const NAME: &str = "bevy_ecs::name::Name";

pub fn app(writes: Writes) -> App {
    init_logs();
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
        .add_plugins(InspectorPlugin::default().writes(writes))
        .register_type::<Position>()
        .register_type::<Label>()
        .register_type::<Mode>()
        .register_type::<Score>()
        .insert_resource(Score { points: 7 });
    app.update(); // Startup: the channels are advertised
    app
}

pub fn connect(app: &mut App) -> Client {
    let addr = match &app.world().resource::<IpcStatus>().0 {
        HostStatus::Listening(addr) => *addr,
        HostStatus::Failed(reason) => panic!("host failed: {reason}"),
    };
    let client = Client::connect(addr, "inspector-test").unwrap();
    app.update(); // the plugin hears of the client
    client
}

/// One request, frames running until it is answered; `Err` carries the
/// refusal as JSON.
pub fn call(
    app: &mut App,
    client: &mut Client,
    channel: &str,
    body: Value,
) -> Result<Value, Value> {
    let id = client
        .channel_id(channel)
        .unwrap_or_else(|| panic!("no channel {channel}"));
    let request = client.request(id, body.to_string().as_bytes()).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        app.update();
        match client.wait_response(request, Duration::from_millis(2)) {
            Ok(bytes) => return Ok(serde_json::from_slice(&bytes).unwrap()),
            Err(ClientError::Failed(reason)) => {
                return Err(serde_json::from_str(&reason).unwrap_or(Value::String(reason)));
            }
            Err(ClientError::Timeout) => continue,
            Err(e) => panic!("client error: {e}"),
        }
    }
    panic!("no answer on {channel} within {PATIENCE:?}");
}

pub fn ok(app: &mut App, client: &mut Client, channel: &str, body: Value) -> Value {
    call(app, client, channel, body.clone())
        .unwrap_or_else(|e| panic!("{channel} {body} refused: {e}"))
}

pub fn refused(app: &mut App, client: &mut Client, channel: &str, body: Value) -> Value {
    match call(app, client, channel, body.clone()) {
        Ok(v) => panic!("{channel} {body} answered {v}, expected a refusal"),
        Err(e) => e,
    }
}

/// Reads the watch channel until a message `pick` accepts, without
/// running frames: what it finds was sent by the frames already run.
pub fn next_watch(
    client: &mut Client,
    channel: u32,
    mut pick: impl FnMut(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match client.recv(Duration::from_millis(50)) {
            Ok(Incoming::Data {
                channel: c,
                content,
                ..
            }) if c == channel => {
                let value: Value = serde_json::from_slice(&content).unwrap();
                if pick(&value) {
                    return value;
                }
            }
            Ok(_) | Err(ClientError::Timeout) => continue,
            Err(e) => panic!("client error: {e}"),
        }
    }
    panic!("no such watch message");
}

pub fn assert_no_watch_message(client: &mut Client, channel: u32) {
    let deadline = Instant::now() + Duration::from_millis(150);
    while Instant::now() < deadline {
        match client.recv(Duration::from_millis(20)) {
            Ok(Incoming::Data {
                channel: c,
                content,
                ..
            }) if c == channel => {
                panic!(
                    "unexpected watch message {}",
                    String::from_utf8_lossy(&content)
                );
            }
            Ok(_) | Err(ClientError::Timeout) => continue,
            Err(e) => panic!("client error: {e}"),
        }
    }
}

pub fn spawn_scene(app: &mut App) -> (u64, u64) {
    let world = app.world_mut();
    let a = world
        .spawn((
            Name::new("orbiter"),
            Position { x: 1.0, y: 2.0 },
            Label("a".into()),
        ))
        .id();
    let b = world
        .spawn((
            Name::new("drifter"),
            Position { x: -4.0, y: 0.5 },
            Mode::Moving { speed: 2.5 },
        ))
        .id();
    (a.to_bits(), b.to_bits())
}

pub fn entity(bits: u64) -> Entity {
    Entity::try_from_bits(bits).unwrap()
}
