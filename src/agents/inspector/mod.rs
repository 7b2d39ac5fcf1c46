//! The entity inspector: the game's world over the same socket, by
//! reflection (the `inspector` feature).
//!
//! A remote editor lists entities, reads and changes their components and
//! the game's resources, reads the JSON Schema of every registered type,
//! and watches entities or components change, frame by frame. The requests
//! and their JSON are those of Bevy's own remote protocol (bevy_remote),
//! channel `world/query` for method `world.query` and so on, with values
//! in the reflection serializer's shapes; `docs/inspector.md` has the table.
//!
//! Only types registered for reflection are seen: `app.register_type::<T>()`
//! with `#[derive(Reflect)] #[reflect(Component)]` (or `Resource`).
//! Changing the world is off unless the game enables it ([`Writes`]).
//!
//! ```
//! use bevy_app::App;
//! use bevy_ecs::prelude::*;
//! use bevy_reflect::Reflect;
//! use switchboard::HostConfig;
//! use switchboard::agents::inspector::{InspectorPlugin, Writes};
//! use switchboard::bevy::IpcHostPlugin;
//!
//! #[derive(Component, Reflect)]
//! #[reflect(Component)]
//! struct Health(u32);
//!
//! let mut app = App::new();
//! app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
//!     .add_plugins(InspectorPlugin::default().writes(Writes::Local))
//!     .register_type::<Health>();
//! app.world_mut().spawn(Health(3));
//! app.update();
//! ```

mod access;
mod channels;
mod error;
mod events;
mod request;
mod resources;
mod schema;
mod systems;
mod values;
mod watch;
mod watched_list;
mod watched_resources;
mod world;

use std::fmt;
use std::sync::Arc;

use bevy_app::{App, Plugin, PostUpdate, Startup, Update};
use bevy_ecs::hierarchy::{ChildOf, Children};
use bevy_ecs::name::Name;
use bevy_ecs::prelude::*;

pub use access::{WriteRule, Writes};
pub use error::InspectorError;
pub use watch::watch_channel_name;

use crate::ClientInfo;
use crate::bevy::{ClientConnected, ClientDisconnected, FromRemote, IpcSet, ToRemote};

/// Adds the inspector's channels to an app with
/// [`IpcHostPlugin`](crate::bevy::IpcHostPlugin).
///
/// By default it only reads; [`writes`](Self::writes) opens the channels
/// that change the world, and [`write_rule`](Self::write_rule) adds the
/// game's own check.
#[derive(Clone)]
pub struct InspectorPlugin {
    writes: Writes,
    rule: Option<WriteRule>,
    max_watched_entities: usize,
    max_answer_bytes: usize,
}

impl Default for InspectorPlugin {
    fn default() -> Self {
        Self {
            writes: Writes::Off,
            rule: None,
            max_watched_entities: 10_000,
            max_answer_bytes: 8 << 20,
        }
    }
}

impl fmt::Debug for InspectorPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InspectorPlugin")
            .field("writes", &self.writes)
            .field("rule", &self.rule.is_some())
            .field("max_watched_entities", &self.max_watched_entities)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .finish()
    }
}

impl InspectorPlugin {
    /// Which clients may insert, mutate, remove, spawn, despawn and
    /// reparent (default [`Writes::Off`]).
    pub fn writes(mut self, writes: Writes) -> Self {
        self.writes = writes;
        self
    }

    /// The game's own check for every write [`writes`](Self::writes)
    /// allowed: `Err(why)` refuses it, and the client is told why.
    ///
    /// ```
    /// use switchboard::agents::inspector::{InspectorPlugin, Writes};
    /// let plugin = InspectorPlugin::default()
    ///     .writes(Writes::Any)
    ///     .write_rule(|client, channel| match client.name.as_str() {
    ///         "editor" => Ok(()),
    ///         other => Err(format!("{other} may not use {channel}")),
    ///     });
    /// # let _ = plugin;
    /// ```
    pub fn write_rule<F>(mut self, rule: F) -> Self
    where
        F: Fn(&ClientInfo, &str) -> Result<(), String> + Send + Sync + 'static,
    {
        self.rule = Some(Arc::new(rule));
        self
    }

    /// Most entities one watch covers (default 10,000); a watch of more
    /// sends the first ones and says `truncated`.
    pub fn max_watched_entities(mut self, count: usize) -> Self {
        self.max_watched_entities = count.max(1);
        self
    }

    /// Largest answer, and largest watch message, in bytes of JSON (default
    /// 8 MiB, within the host's default outbound queue of 16 MiB). A larger
    /// answer is refused with `too_large`; a larger watch message is
    /// replaced by `{"frame", "error"}` on the stream.
    pub fn max_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_answer_bytes = bytes.max(1024);
        self
    }
}

impl Plugin for InspectorPlugin {
    fn build(&self, app: &mut App) {
        app.add_message::<FromRemote>()
            .add_message::<ToRemote>()
            .add_message::<ClientConnected>()
            .add_message::<ClientDisconnected>()
            .register_type::<Name>()
            .register_type::<ChildOf>()
            .register_type::<Children>()
            .insert_resource(access::Access {
                writes: self.writes,
                rule: self.rule.clone(),
                clients: Default::default(),
                max_answer_bytes: self.max_answer_bytes,
            })
            .insert_resource(watch::Watches {
                by_client: Default::default(),
                max_entities: self.max_watched_entities,
            })
            .init_resource::<channels::Routes>()
            .add_systems(Startup, systems::advertise)
            .add_systems(
                Update,
                (systems::track_clients, systems::handle_requests).chain(),
            )
            .add_systems(
                PostUpdate,
                watch::publish_watches
                    .run_if(watch::anyone_watches)
                    .before(IpcSet::Send),
            );
    }
}
