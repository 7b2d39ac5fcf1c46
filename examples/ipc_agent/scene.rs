//! The scene agent: remote clients spawn, move, despawn and list entities
//! (JSON requests on `scene/command`); every entity's position is published
//! on `scene/entities` ten times a second.

use std::time::{Duration, Instant};

use bevy_app::{App, Plugin, PostUpdate, Startup, Update};
use bevy_ecs::prelude::*;
#[cfg(feature = "inspector")]
use bevy_ecs::reflect::ReflectComponent;
use serde::{Deserialize, Serialize};
use switchboard::bevy::{FromRemote, IpcHost, IpcSet, ToRemote};
use switchboard::{ChannelId, ChannelSpec};

pub struct SceneAgentPlugin;

// Registered for reflection (inspect.rs) when the inspector is built in,
// so the editor's Inspector panel can show and edit them.
#[derive(Component, Debug, Clone, Copy, Serialize)]
#[cfg_attr(
    feature = "inspector",
    derive(bevy_reflect::Reflect),
    reflect(Component)
)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

#[derive(Component, Debug, Clone, Copy)]
#[cfg_attr(
    feature = "inspector",
    derive(bevy_reflect::Reflect),
    reflect(Component)
)]
pub struct Velocity {
    pub x: f64,
    pub y: f64,
}

#[derive(Component, Debug, Clone)]
#[cfg_attr(
    feature = "inspector",
    derive(bevy_reflect::Reflect),
    reflect(Component)
)]
pub struct Label(pub String);

#[derive(Resource)]
struct SceneChannels {
    command: ChannelId,
    entities: ChannelId,
    last_publish: Instant,
    last_step: Instant,
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum SceneCommand {
    Spawn {
        name: String,
        #[serde(default)]
        x: f64,
        #[serde(default)]
        y: f64,
        #[serde(default)]
        vx: f64,
        #[serde(default)]
        vy: f64,
    },
    Move {
        id: u64,
        x: f64,
        y: f64,
    },
    Despawn {
        id: u64,
    },
    List,
}

#[derive(Serialize)]
struct EntityView {
    id: u64,
    name: String,
    x: f64,
    y: f64,
}

/// Entities wrap around in a 20 x 20 area centred on the origin.
const HALF_EXTENT: f64 = 10.0;

impl Plugin for SceneAgentPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, setup)
            .add_systems(Update, (handle_commands.after(IpcSet::Receive), step))
            .add_systems(PostUpdate, publish_positions.before(IpcSet::Send));
    }
}

fn setup(mut commands: Commands, host: Option<Res<IpcHost>>) {
    commands.spawn((
        Name::new("orbiter"),
        Label("orbiter".into()),
        Position { x: 3.0, y: 0.0 },
        Velocity { x: 0.0, y: 1.5 },
    ));
    commands.spawn((
        Name::new("drifter"),
        Label("drifter".into()),
        Position { x: -4.0, y: 2.0 },
        Velocity { x: 0.7, y: -0.3 },
    ));
    let Some(host) = host else { return };
    let command = host.advertise(
        ChannelSpec::new("scene/command")
            .encoding("json")
            .description(r#"requests: {"op":"spawn","name":..,"x":..,"y":..} | {"op":"move","id":..,"x":..,"y":..} | {"op":"despawn","id":..} | {"op":"list"}"#),
    );
    let entities = host.advertise(
        ChannelSpec::new("scene/entities")
            .encoding("json")
            .latest()
            .description("every entity with its position, 10 times a second"),
    );
    match (command, entities) {
        (Ok(command), Ok(entities)) => commands.insert_resource(SceneChannels {
            command,
            entities,
            last_publish: Instant::now(),
            last_step: Instant::now(),
        }),
        (Err(e), _) | (_, Err(e)) => tracing::error!("scene agent: {e}"),
    }
}

fn handle_commands(
    mut commands: Commands,
    channels: Option<Res<SceneChannels>>,
    mut from: MessageReader<FromRemote>,
    mut to: MessageWriter<ToRemote>,
    mut positions: Query<(Entity, &Label, &mut Position)>,
) {
    let Some(channels) = channels else { return };
    for message in from.read().filter(|m| m.channel() == channels.command) {
        let command: SceneCommand = match serde_json::from_slice(message.content()) {
            Ok(command) => command,
            Err(e) => {
                to.write(message.reply_error(&format!("bad scene command: {e}")));
                continue;
            }
        };
        let answer = match command {
            SceneCommand::Spawn { name, x, y, vx, vy } => {
                let entity = commands
                    .spawn((
                        Name::new(name.clone()),
                        Label(name),
                        Position { x, y },
                        Velocity { x: vx, y: vy },
                    ))
                    .id();
                Ok(serde_json::json!({ "id": entity.to_bits() }))
            }
            SceneCommand::Move { id, x, y } => match find(&mut positions, id) {
                Some(mut position) => {
                    *position = Position { x, y };
                    Ok(serde_json::json!({ "ok": true }))
                }
                None => Err(format!("no entity {id}")),
            },
            SceneCommand::Despawn { id } => match Entity::try_from_bits(id) {
                Some(entity) if positions.get(entity).is_ok() => {
                    commands.entity(entity).despawn();
                    Ok(serde_json::json!({ "ok": true }))
                }
                _ => Err(format!("no entity {id}")),
            },
            SceneCommand::List => Ok(serde_json::json!({ "entities": list(&positions) })),
        };
        match answer {
            Ok(value) => to.write(message.reply(value.to_string().as_bytes())),
            Err(reason) => to.write(message.reply_error(&reason)),
        };
    }
}

fn find<'a>(
    positions: &'a mut Query<(Entity, &Label, &mut Position)>,
    id: u64,
) -> Option<Mut<'a, Position>> {
    let entity = Entity::try_from_bits(id)?;
    positions.get_mut(entity).ok().map(|(_, _, p)| p)
}

fn list(positions: &Query<(Entity, &Label, &mut Position)>) -> Vec<EntityView> {
    let mut views: Vec<EntityView> = positions
        .iter()
        .map(|(entity, label, position)| EntityView {
            id: entity.to_bits(),
            name: label.0.clone(),
            x: position.x,
            y: position.y,
        })
        .collect();
    views.sort_by_key(|v| v.id);
    views
}

fn step(channels: Option<ResMut<SceneChannels>>, mut moving: Query<(&mut Position, &Velocity)>) {
    let Some(mut channels) = channels else { return };
    let now = Instant::now();
    let dt = (now - channels.last_step).as_secs_f64().min(0.1);
    channels.last_step = now;
    for (mut position, velocity) in &mut moving {
        position.x = wrap(position.x + velocity.x * dt);
        position.y = wrap(position.y + velocity.y * dt);
    }
}

fn wrap(v: f64) -> f64 {
    (v + HALF_EXTENT).rem_euclid(2.0 * HALF_EXTENT) - HALF_EXTENT
}

fn publish_positions(
    channels: Option<ResMut<SceneChannels>>,
    positions: Query<(Entity, &Label, &mut Position)>,
    mut to: MessageWriter<ToRemote>,
) {
    let Some(mut channels) = channels else { return };
    if channels.last_publish.elapsed() < Duration::from_millis(100) {
        return;
    }
    channels.last_publish = Instant::now();
    let body = serde_json::json!({ "entities": list(&positions) }).to_string();
    to.write(ToRemote::publish(channels.entities, body.as_bytes()));
}
