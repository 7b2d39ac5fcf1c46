//! The demo app: a headless Bevy game with the IPC host, an echo agent, the
//! telemetry agent, a small scene agent and the hardware bridge (simulated
//! dongles, devices found and registered at start, registry kept in
//! `--registry FILE`), serving the browser editor.
//!
//! ```text
//! cargo run --example ipc_agent -- [--port 9001] [--uncapped | --on-demand] [--hz 60]
//!                                   [--web-root DIR] [--frames N]
//!                                   [--registry FILE] [--max-clients N]
//!                                   [--zwave-port PATH]
//! ```
//!
//! `--zwave-port /dev/ttyACM0` drives the Z-Wave radio with a real Serial
//! API stick instead of the simulated dongle.

mod echo;
mod scene;

use std::path::PathBuf;
use std::time::Duration;

use bevy_app::{App, AppExit, Last, PostStartup, ScheduleRunnerPlugin};
use bevy_ecs::prelude::*;
use switchboard::HostConfig;
use switchboard::agents::TelemetryAgentPlugin;
use switchboard::agents::hardware::HardwareBridgePlugin;
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus, on_demand_runner};

struct Options {
    port: u16,
    uncapped: bool,
    on_demand: bool,
    hz: f64,
    web_root: PathBuf,
    frames: Option<u64>,
    registry: PathBuf,
    max_clients: usize,
    zwave_port: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        port: switchboard::DEFAULT_PORT,
        uncapped: false,
        on_demand: false,
        hz: 60.0,
        web_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web_root/public"),
        frames: None,
        registry: std::env::temp_dir().join("switchboard-demo-devices.sqlite"),
        max_clients: switchboard::Limits::default().max_clients,
        zwave_port: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                options.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--uncapped" => options.uncapped = true,
            "--on-demand" => options.on_demand = true,
            "--hz" => options.hz = value("--hz")?.parse().map_err(|e| format!("--hz: {e}"))?,
            "--web-root" => options.web_root = PathBuf::from(value("--web-root")?),
            "--frames" => {
                options.frames = Some(
                    value("--frames")?
                        .parse()
                        .map_err(|e| format!("--frames: {e}"))?,
                )
            }
            "--registry" => options.registry = PathBuf::from(value("--registry")?),
            "--max-clients" => {
                options.max_clients = value("--max-clients")?
                    .parse()
                    .map_err(|e| format!("--max-clients: {e}"))?
            }
            "--zwave-port" => options.zwave_port = Some(PathBuf::from(value("--zwave-port")?)),
            "-h" | "--help" => return Err(
                "usage: ipc_agent [--port N] [--uncapped | --on-demand] [--hz F] [--web-root DIR] [--frames N] [--registry FILE] [--max-clients N] [--zwave-port PATH]"
                    .into(),
            ),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if !(options.hz.is_finite() && options.hz > 0.0) {
        return Err("--hz must be a positive number".into());
    }
    Ok(options)
}

#[derive(Resource)]
struct FrameLimit(Option<u64>, u64);

fn count_frames(mut limit: ResMut<FrameLimit>, mut exit: MessageWriter<AppExit>) {
    limit.1 += 1;
    if limit.0.is_some_and(|max| limit.1 >= max) {
        exit.write(AppExit::Success);
    }
}

fn announce(status: Res<IpcStatus>, mut exit: MessageWriter<AppExit>) {
    match &status.0 {
        HostStatus::Listening(addr) => {
            println!("Switchboard demo running.");
            println!("  editor:    http://{addr}/");
            println!("  websocket: ws://{addr}/");
        }
        HostStatus::Failed(reason) => {
            eprintln!("cannot start the IPC host: {reason}");
            exit.write(AppExit::error());
        }
    }
}

fn main() -> AppExit {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        // Logs on stderr; stdout carries only the announcement below.
        .with_writer(std::io::stderr)
        .init();
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return AppExit::error();
        }
    };
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
    app.add_plugins((
        IpcHostPlugin::new(
            HostConfig::default()
                .port(options.port)
                .host_name("switchboard demo")
                .web_root(options.web_root)
                .max_clients(options.max_clients),
        ),
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
            match options.zwave_port {
                Some(port) => hardware.zwave_port(port),
                None => hardware,
            }
        },
    ))
    .insert_resource(FrameLimit(options.frames, 0))
    // After every agent advertised its channels in Startup.
    .add_systems(PostStartup, announce)
    .add_systems(Last, count_frames);
    app.run()
}
