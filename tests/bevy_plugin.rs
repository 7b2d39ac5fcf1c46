//! The Bevy plugin driven by `app.update()` with real WebSocket clients.
#![cfg(feature = "bevy")]

mod common;

use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use common::{PATIENCE, init_logs};
use switchboard::agents::{Metrics, TelemetryAgentPlugin};
use switchboard::bevy::{
    ClientConnected, ClientDisconnected, FromRemote, HostStatus, IpcHost, IpcHostPlugin, IpcSet,
    IpcStatus, RemoteAnswer, ToRemote, ToRemoteWriter,
};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::protocol::ipc;
use switchboard::{ChannelSpec, DeliveryPolicy, HostConfig};

fn app_with_host() -> App {
    init_logs();
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)));
    app
}

fn addr(app: &App) -> std::net::SocketAddr {
    match &app.world().resource::<IpcStatus>().0 {
        HostStatus::Listening(addr) => *addr,
        HostStatus::Failed(reason) => panic!("host failed: {reason}"),
    }
}

fn advertise(app: &App, spec: ChannelSpec) -> switchboard::ChannelId {
    app.world().resource::<IpcHost>().advertise(spec).unwrap()
}

/// Runs frames until `done` says so, or panics after PATIENCE.
fn update_until(app: &mut App, mut done: impl FnMut(&mut App) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        app.update();
        if done(app) {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("condition not met within {PATIENCE:?}");
}

/// Receives Data for `client` while the app keeps running frames.
fn recv_while_updating(app: &mut App, client: &mut Client) -> Incoming {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        app.update();
        match client.recv(Duration::from_millis(5)) {
            Ok(incoming) => return incoming,
            Err(ClientError::Timeout) => continue,
            Err(e) => panic!("client error: {e}"),
        }
    }
    panic!("nothing received within {PATIENCE:?}");
}

fn echo(mut from: MessageReader<FromRemote>, mut to: MessageWriter<ToRemote>) {
    for message in from.read() {
        to.write(message.reply(message.content()));
    }
}

#[test]
fn echo_agent_through_the_plugin_one_way_and_request() {
    let mut app = app_with_host();
    app.add_systems(Update, echo);
    let channel = advertise(&app, ChannelSpec::new("echo").clients_may_publish());
    let mut client = Client::connect(addr(&app), "echoer").unwrap();

    client.publish(channel.0, b"ping").unwrap();
    match recv_while_updating(&mut app, &mut client) {
        Incoming::Data {
            channel: c,
            content,
            sequence,
            ..
        } => {
            assert_eq!(
                (c, content.as_slice(), sequence),
                (channel.0, &b"ping"[..], 0)
            );
        }
        other => panic!("expected the echo, got {other:?}"),
    }
    let id = client.request(channel.0, b"question").unwrap();
    match recv_while_updating(&mut app, &mut client) {
        Incoming::Response {
            request_id, result, ..
        } => {
            assert_eq!(request_id, id);
            assert_eq!(result, Ok(b"question".to_vec()));
        }
        other => panic!("expected a Response, got {other:?}"),
    }
}

#[derive(Resource, Default)]
struct Seen {
    frame: u64,
    received_in_frame: Option<u64>,
    content_inside_frame_buffer: bool,
}

fn count_frame(mut seen: ResMut<Seen>) {
    seen.frame += 1;
}

/// Runs in PreUpdate right after the plugin's receive set: the message is
/// visible in the very frame the plugin drained it.
fn early_agent(mut from: MessageReader<FromRemote>, mut seen: ResMut<Seen>) {
    for message in from.read() {
        seen.received_in_frame = Some(seen.frame);
        // Zero-copy check: the content the agent reads is a slice of the
        // very buffer the WebSocket layer handed to the network thread (the
        // frame's payload split off the socket read buffer); nothing copied
        // it on the way to the agent.
        let frame = message.frame_bytes();
        let range = frame.as_ptr_range();
        let content = message.content();
        seen.content_inside_frame_buffer = range.contains(&content.as_ptr())
            && content.as_ptr_range().end <= range.end
            && message.message().content().map(|v| v.bytes().as_ptr()) == Some(content.as_ptr());
    }
}

#[test]
fn agents_order_against_the_sets_and_read_zero_copy() {
    let mut app = app_with_host();
    app.init_resource::<Seen>()
        .add_systems(First, count_frame)
        .add_systems(PreUpdate, early_agent.after(IpcSet::Receive));
    let channel = advertise(&app, ChannelSpec::new("in").clients_may_publish());
    let mut client = Client::connect(addr(&app), "sender").unwrap();
    client.publish(channel.0, &[42; 1000]).unwrap();
    update_until(&mut app, |app| {
        app.world().resource::<Seen>().received_in_frame.is_some()
    });
    let seen = app.world().resource::<Seen>();
    assert_eq!(seen.received_in_frame, Some(seen.frame));
    assert!(seen.content_inside_frame_buffer, "content was copied");
}

#[derive(Resource)]
struct Target(switchboard::ChannelId);

/// Writes in PostUpdate before the send set: it goes out the same frame.
fn late_publisher(target: Res<Target>, mut to: MessageWriter<ToRemote>) {
    to.write_builder(|fbb| {
        let content = fbb.create_vector(b"built with the closure API");
        ipc::MessageToRemote::create(
            fbb,
            &ipc::MessageToRemoteArgs {
                channel: target.0.0,
                content: Some(content),
                ..Default::default()
            },
        )
    });
}

#[test]
fn closure_builder_publishes_to_subscribers() {
    let mut app = app_with_host();
    let channel = advertise(&app, ChannelSpec::new("news"));
    app.insert_resource(Target(channel))
        .add_systems(PostUpdate, late_publisher.before(IpcSet::Send));
    let mut client = Client::connect(addr(&app), "reader").unwrap();
    client.subscribe(&[channel.0], &[]).unwrap();
    match recv_while_updating(&mut app, &mut client) {
        Incoming::Data {
            content, sequence, ..
        } => {
            assert_eq!(content, b"built with the closure API");
            assert!(sequence >= 1);
        }
        other => panic!("expected Data, got {other:?}"),
    }
}

#[derive(Resource, Default)]
struct Log(Vec<String>);

fn log_connections(
    mut connected: MessageReader<ClientConnected>,
    mut disconnected: MessageReader<ClientDisconnected>,
    mut answers: MessageReader<RemoteAnswer>,
    mut log: ResMut<Log>,
) {
    for c in connected.read() {
        log.0.push(format!("connected {}", c.0.name));
    }
    for d in disconnected.read() {
        log.0.push(format!("disconnected {}", d.client.0));
    }
    for a in answers.read() {
        match a {
            RemoteAnswer::Response(r) => log.0.push(format!(
                "answer {}",
                String::from_utf8_lossy(r.result().unwrap())
            )),
            RemoteAnswer::Failed { reason, .. } => log.0.push(format!("failed {reason:?}")),
        }
    }
}

#[test]
fn connection_messages_and_game_requests() {
    let mut app = app_with_host();
    app.init_resource::<Log>()
        .add_systems(Update, log_connections);
    let ask = advertise(&app, ChannelSpec::new("ask"));
    let mut client = Client::connect(addr(&app), "visitor").unwrap();
    let id = switchboard::ClientId(client.welcome().client_id);
    update_until(&mut app, |app| {
        app.world()
            .resource::<Log>()
            .0
            .contains(&"connected visitor".to_owned())
    });
    app.world()
        .resource::<IpcHost>()
        .request(id, ask, &b"name?"[..], None)
        .unwrap();
    match recv_while_updating(&mut app, &mut client) {
        Incoming::Data {
            request_id,
            channel,
            ..
        } => client.respond(request_id, channel, Ok(b"visitor")).unwrap(),
        other => panic!("expected a request, got {other:?}"),
    }
    update_until(&mut app, |app| {
        app.world()
            .resource::<Log>()
            .0
            .contains(&"answer visitor".to_owned())
    });
    client.close().unwrap();
    let expected = format!("disconnected {}", id.0);
    update_until(&mut app, |app| {
        app.world().resource::<Log>().0.contains(&expected)
    });
}

#[test]
fn a_port_in_use_is_reported_and_the_app_runs_on() {
    init_logs();
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = blocker.local_addr().unwrap().port();
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(port)));
    app.update();
    match &app.world().resource::<IpcStatus>().0 {
        HostStatus::Failed(reason) => assert!(reason.contains("cannot listen"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(app.world().get_resource::<IpcHost>().is_none());
    app.update();
}

#[test]
fn telemetry_agent_publishes_latest_values() {
    let mut app = app_with_host();
    app.add_plugins(TelemetryAgentPlugin {
        interval: Duration::from_millis(20),
    });
    app.world_mut()
        .resource_mut::<Metrics>()
        .set("physics/bodies", 42.0);
    let mut client = Client::connect(addr(&app), "dashboard").unwrap();
    client.subscribe(&[], &["telemetry/**"]).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    let deadline = Instant::now() + PATIENCE;
    while seen.len() < 4 && Instant::now() < deadline {
        app.update();
        std::thread::sleep(Duration::from_millis(1));
        while let Ok(incoming) = client.recv(Duration::from_millis(1)) {
            match incoming {
                Incoming::Data {
                    channel, content, ..
                } => {
                    let value: serde_json::Value = serde_json::from_slice(&content).unwrap();
                    seen.insert(channel, value["value"].as_f64().unwrap());
                }
                Incoming::Advertise(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let by_name = |name: &str| {
        let id = client
            .channel_id(name)
            .unwrap_or_else(|| panic!("{name} advertised"));
        let info = client.channels().find(|c| c.id == id).unwrap();
        assert_eq!(info.delivery, DeliveryPolicy::Latest);
        assert_eq!(info.encoding, "json");
        seen[&id]
    };
    assert!(by_name("telemetry/frame_time") > 0.0);
    assert!(by_name("telemetry/fps") > 0.0);
    assert!(by_name("telemetry/entity_count") >= 0.0);
    assert_eq!(by_name("telemetry/physics/bodies"), 42.0);
}
