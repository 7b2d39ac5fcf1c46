//! bevy_remote's side of the comparison, in a crate of its own because
//! bevy_remote 0.18 brings its own Bevy (0.18) while the library is on
//! 0.20: the same world shape (`Position {x, y}` and `Label(String)`,
//! both reflected, with the same type paths as the inspector's side) in a
//! Bevy 0.18 app served by `RemotePlugin` + `RemoteHttpPlugin` on
//! 127.0.0.1.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin, Update};
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::ReflectComponent;
use bevy_reflect::Reflect;
use bevy_remote::{RemotePlugin, http::RemoteHttpPlugin};

/// The type paths BRP sees, the same as the inspector side's.
pub const POSITION: &str = "brp_compare::Position";
/// See [`POSITION`].
pub const LABEL: &str = "brp_compare::Label";

#[derive(Component, Reflect, Clone, Copy)]
#[reflect(Component)]
#[type_path = "brp_compare"]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Reflect, Clone)]
#[reflect(Component)]
#[type_path = "brp_compare"]
struct Label(String);

/// Runs a Bevy 0.18 app with `entities` entities and BRP on `port` on its
/// own thread until `stop` (or two minutes); each frame's `app.update()`
/// time goes to `frame_times` when given. Returns once the app has run
/// its first frame.
pub fn spawn_app(
    port: u16,
    entities: usize,
    moving: bool,
    stop: Arc<AtomicBool>,
    frame_times: Option<mpsc::Sender<Duration>>,
) -> std::thread::JoinHandle<()> {
    let (ready_tx, ready) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut app = App::new();
        app.add_plugins(TaskPoolPlugin::default())
            .add_plugins(RemotePlugin::default())
            .add_plugins(RemoteHttpPlugin::default().with_port(port))
            .register_type::<Position>()
            .register_type::<Label>();
        if moving {
            app.add_systems(Update, |mut q: Query<&mut Position>| {
                for mut p in &mut q {
                    p.x += 0.5;
                }
            });
        }
        app.world_mut().spawn_batch((0..entities).map(|i| {
            (
                Position {
                    x: i as f64,
                    y: 0.0,
                },
                Label(format!("entity {i}")),
            )
        }));
        app.finish();
        app.cleanup();
        app.update();
        let _ = ready_tx.send(());
        let deadline = Instant::now() + Duration::from_secs(120);
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let start = Instant::now();
            app.update();
            if let Some(times) = &frame_times {
                let _ = times.send(start.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    let _ = ready.recv();
    handle
}
