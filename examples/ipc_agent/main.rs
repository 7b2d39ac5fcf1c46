//! The demo app: a headless Bevy game with the IPC host, an echo agent, the
//! telemetry agent, a small scene agent and the hardware bridge (simulated
//! dongles, devices found and registered at start, registry kept in
//! `--registry FILE`), serving the browser editor.
//!
//! ```text
//! cargo run --example ipc_agent --features hardware -- [OPTIONS]
//! cargo run --example ipc_agent --features hardware -- --help
//! ```
//!
//! `options.rs` lists every flag; the listening and access flags (`--bind`,
//! `--token`, `--tls-cert`/`--tls-key`, `--allow-origin`, ...) fill in the
//! host's `HostConfig`, so the demo refuses what the library refuses.
//! docs/protocol/demo-and-worked-example.md describes the channels the agents advertise.

mod echo;
mod fleet;
#[cfg(feature = "inspector")]
mod inspect;
mod options;
#[cfg(all(unix, feature = "plugins"))]
mod plugins;
mod scene;

use std::time::Duration;

use bevy_app::{App, AppExit, Last, PostStartup, ScheduleRunnerPlugin};
use bevy_ecs::prelude::*;
use options::{Command, REMOTE_HINT, USAGE};
use switchboard::agents::TelemetryAgentPlugin;
use switchboard::agents::hardware::HardwareBridgePlugin;
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus, on_demand_runner};

/// Exit status for arguments that cannot be used; 1 is a refusal or failure
/// at run time.
const USAGE_ERROR: u8 = 2;

#[derive(Resource)]
struct FrameLimit(Option<u64>, u64);

fn count_frames(mut limit: ResMut<FrameLimit>, mut exit: MessageWriter<AppExit>) {
    limit.1 += 1;
    if limit.0.is_some_and(|max| limit.1 >= max) {
        exit.write(AppExit::Success);
    }
}

/// Whether the announced URLs are `wss://`/`https://`.
#[derive(Resource)]
struct Secure(bool);

/// The message queue a client creates to reach the demo, when they are on.
#[derive(Resource)]
struct QueueName(Option<String>);

fn announce(
    status: Res<IpcStatus>,
    secure: Res<Secure>,
    queues: Res<QueueName>,
    nats: Option<Res<fleet::NatsLine>>,
) {
    // A host that failed to start ended the demo before the first frame.
    if let HostStatus::Listening(addr) = &status.0 {
        let (http, ws) = if secure.0 {
            ("https", "wss")
        } else {
            ("http", "ws")
        };
        println!("Switchboard demo running.");
        println!("  editor:    {http}://{addr}/");
        println!("  websocket: {ws}://{addr}/");
        if let Some(name) = &queues.0 {
            println!("  queues:    {name} (pid {})", std::process::id());
        }
        if let Some(nats) = nats {
            println!("  nats:      {}", nats.0);
        }
    }
}

fn main() -> AppExit {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        // Logs on stderr; stdout carries only the announcement (or --help).
        .with_writer(std::io::stderr)
        .init();
    let options = match options::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return AppExit::Success;
        }
        Err(message) => {
            eprintln!("ipc_agent: {message} (try --help)");
            return AppExit::from_code(USAGE_ERROR);
        }
    };
    let config = match options.host_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("ipc_agent: {message}");
            return AppExit::from_code(USAGE_ERROR);
        }
    };
    let nats = match fleet::bridge_config(&options) {
        Ok(nats) => nats,
        Err(message) => {
            eprintln!("ipc_agent: {message}");
            return AppExit::from_code(USAGE_ERROR);
        }
    };
    let secure = Secure(config.tls_enabled());
    #[cfg(all(feature = "mqueue", target_os = "linux"))]
    let queue_name = QueueName(
        config
            .mqueue
            .as_ref()
            .map(|q| q.names(std::process::id()).0),
    );
    #[cfg(not(all(feature = "mqueue", target_os = "linux")))]
    let queue_name = QueueName(None);
    let frame = Duration::from_secs_f64(1.0 / options.hz);
    let mut app = App::new();
    if options.on_demand {
        // A frame when the network has something, else at the frame rate.
        app.set_runner(on_demand_runner(frame));
    } else {
        let wait = if options.uncapped {
            Duration::ZERO
        } else {
            frame
        };
        app.add_plugins(ScheduleRunnerPlugin::run_loop(wait));
    }
    // The host starts while the plugin is added; a refused configuration
    // ends the demo here, before the agents open radios and the registry.
    app.add_plugins(IpcHostPlugin::new(config));
    if let HostStatus::Failed(reason) = &app.world().resource::<IpcStatus>().0 {
        eprintln!("ipc_agent: cannot start the IPC host: {reason}");
        if !options.loopback() {
            eprintln!("ipc_agent: {REMOTE_HINT}");
        }
        return AppExit::error();
    }
    // Before the agents: their channels reach the bridge as they are
    // advertised, through its patterns.
    fleet::add_bridge(&mut app, nats);
    app.add_plugins((
        TelemetryAgentPlugin::default(),
        echo::EchoAgentPlugin,
        scene::SceneAgentPlugin,
        // Simulated Zigbee, Z-Wave, Wi-Fi and Bluetooth dongles (Z-Wave on
        // a real stick with --zwave-port); what they find at start is
        // listed and, where defaults suffice, registered, so the editor has
        // devices to show.
        {
            let hardware = HardwareBridgePlugin::default()
                .registry(options.registry)
                .register_discovered(true);
            // Devices the started plugins provide (the weather station).
            #[cfg(all(unix, feature = "plugins"))]
            let hardware = if options.plugins.is_some() {
                hardware.plugin_adapters()
            } else {
                hardware
            };
            match options.zwave_port {
                Some(port) => hardware.zwave_port(port),
                None => hardware,
            }
        },
    ))
    .insert_resource(FrameLimit(options.frames, 0))
    .insert_resource(secure)
    .insert_resource(queue_name)
    // After every agent advertised its channels in Startup.
    .add_systems(PostStartup, announce)
    .add_systems(Last, count_frames);
    #[cfg(feature = "inspector")]
    app.add_plugins(inspect::DemoInspectorPlugin);
    #[cfg(all(unix, feature = "plugins"))]
    if options.plugins.is_some() || options.packages_dir.is_some() {
        plugins::add(
            &mut app,
            options.plugins.as_deref(),
            options.packages_dir.as_deref(),
        );
    }
    app.run()
}
