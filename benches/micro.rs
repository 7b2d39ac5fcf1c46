//! Criterion micro-benchmarks: frame build, verify and decode; the closure
//! builder and the hand-laid answers; encode-once fan-out; handing the game's
//! sends to the network thread one by one or as a batch; the Bevy plugin's
//! systems per frame.
//!
//! `cargo bench --bench micro` (add `-- <filter>` to pick some).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use bevy_ecs::prelude::*;
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use switchboard::bevy::{FromRemote, HostStatus, IpcHost, IpcHostPlugin, IpcStatus, ToRemote};
use switchboard::client::Client;
use switchboard::protocol::{encode_data, encode_response, ipc, verify_frame};
use switchboard::{ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostEvent, RequestId};

fn frames(c: &mut Criterion) {
    let content = [0x5au8; 64];
    c.bench_function("frame/encode_data_64B", |b| {
        b.iter(|| encode_data(black_box(3), 0, 7, 11, black_box(&content)))
    });
    let frame = encode_data(3, 0, 7, 11, &content);
    c.bench_function("frame/verify_and_decode_64B", |b| {
        b.iter(|| {
            let f = verify_frame(black_box(&frame)).unwrap();
            let data = f.body_as_data().unwrap();
            black_box((data.channel(), data.content().map(|v| v.bytes().len())))
        })
    });
    c.bench_function("frame/encode_response_64B", |b| {
        b.iter(|| encode_response(black_box(9), 3, Ok(black_box(&content))))
    });
    c.bench_function("frame/to_remote_send_64B", |b| {
        b.iter(|| ToRemote::send(ClientId(2), ChannelId(black_box(3)), black_box(&content)))
    });
    c.bench_function("frame/to_remote_respond_64B", |b| {
        b.iter(|| ToRemote::respond(ClientId(2), RequestId(9), ChannelId(3), black_box(&content)))
    });
    c.bench_function("frame/message_to_remote_closure_64B", |b| {
        b.iter(|| {
            ToRemote::build(|fbb| {
                let content = fbb.create_vector(black_box(&content));
                ipc::MessageToRemote::create(
                    fbb,
                    &ipc::MessageToRemoteArgs {
                        channel: 3,
                        content: Some(content),
                        ..Default::default()
                    },
                )
            })
        })
    });
}

/// What the network thread does per publish to 100 subscribers: one encode
/// and 100 shared handles, against 100 separate encodes.
fn fan_out(c: &mut Criterion) {
    let content = [0x5au8; 64];
    let mut group = c.benchmark_group("fanout_100");
    group.bench_function("encode_once_share", |b| {
        b.iter(|| {
            let frame = encode_data(3, 0, 7, 11, &content);
            let handles: Vec<Bytes> = (0..100).map(|_| frame.clone()).collect();
            black_box(handles)
        })
    });
    group.bench_function("encode_per_client", |b| {
        b.iter(|| {
            let handles: Vec<Bytes> = (0..100)
                .map(|_| encode_data(3, 0, 7, 11, &content))
                .collect();
            black_box(handles)
        })
    });
    group.finish();
}

fn app_with_plugin() -> App {
    let mut app = App::new();
    app.add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)));
    app.update();
    app
}

fn addr(app: &App) -> std::net::SocketAddr {
    match &app.world().resource::<IpcStatus>().0 {
        HostStatus::Listening(addr) => *addr,
        HostStatus::Failed(reason) => panic!("{reason}"),
    }
}

/// An empty frame with and without the plugin: the plugin's own cost when
/// nothing arrives.
fn idle_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle_frame");
    let mut bare = App::new();
    bare.update();
    group.bench_function("app_without_plugin", |b| b.iter(|| bare.update()));
    let mut with_plugin = app_with_plugin();
    group.bench_function("app_with_plugin", |b| b.iter(|| with_plugin.update()));
    group.finish();
}

#[derive(Resource, Default)]
struct Consumed(usize);

fn consume(mut from: MessageReader<FromRemote>, mut consumed: ResMut<Consumed>) {
    for message in from.read() {
        consumed.0 += black_box(message.content()).len().min(1);
    }
}

/// One frame that drains N messages a real client sent (sending and waiting
/// for them to queue up is not timed).
fn receive_system(c: &mut Criterion) {
    let mut group = c.benchmark_group("receive_frame");
    group.sample_size(10);
    for n in [0usize, 100, 10_000] {
        let mut app = app_with_plugin();
        app.init_resource::<Consumed>().add_systems(Update, consume);
        let channel = app
            .world()
            .resource::<IpcHost>()
            .advertise(ChannelSpec::new("in").clients_may_publish())
            .unwrap();
        let mut client = Client::connect(addr(&app), "bench").unwrap();
        app.update();
        let frame = encode_data(channel.0, 0, 0, 0, &[0x5a; 64]);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    for _ in 0..n {
                        client.send_frame(frame.clone()).unwrap();
                    }
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while app.world().resource::<IpcHost>().pending_events() < n
                        && Instant::now() < deadline
                    {
                        std::thread::yield_now();
                    }
                    let start = Instant::now();
                    app.update();
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

#[derive(Resource)]
struct Outgoing(Vec<ToRemote>);

fn produce(outgoing: Res<Outgoing>, mut to: MessageWriter<ToRemote>) {
    to.write_batch(outgoing.0.iter().cloned());
}

/// One frame in which agents write N messages for remote clients; the send
/// system hands them to the network thread (waiting for it to catch up is
/// not timed).
fn send_system(c: &mut Criterion) {
    let mut group = c.benchmark_group("send_frame");
    group.sample_size(10);
    for n in [0usize, 100, 10_000] {
        let mut app = app_with_plugin();
        let channel: ChannelId = app
            .world()
            .resource::<IpcHost>()
            .advertise(ChannelSpec::new("out"))
            .unwrap();
        let message = ToRemote::publish(channel, &[0x5a; 64]);
        app.insert_resource(Outgoing(vec![message; n]))
            .add_systems(Update, produce);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    app.update();
                    total += start.elapsed();
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while app.world().resource::<IpcHost>().pending_commands() > 0
                        && Instant::now() < deadline
                    {
                        std::thread::yield_now();
                    }
                }
                total
            })
        });
    }
    group.finish();
}

/// The game's side of handing 64 answers to the network thread: a queue
/// operation each and the wake-up rules of single sends, against one
/// `Host::batch` (the network thread catching up is not timed).
fn handoff(c: &mut Criterion) {
    let host = Host::start(HostConfig::default().port(0)).unwrap();
    let channel = host.advertise(ChannelSpec::new("out")).unwrap();
    let _client = Client::connect(host.local_addr(), "bench").unwrap();
    let client = loop {
        match host.wait_event(Duration::from_secs(5)) {
            Some(HostEvent::Connected(info)) => break info.id,
            Some(_) => {}
            None => panic!("the client did not connect"),
        }
    };
    let content = Bytes::from_static(&[0x5a; 64]);
    let caught_up = |host: &Host| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while host.pending_commands() > 0 && Instant::now() < deadline {
            std::thread::yield_now();
        }
    };
    let mut group = c.benchmark_group("handoff_64");
    group.bench_function("send_to_each", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                for _ in 0..64 {
                    host.send_to(client, channel, content.clone()).unwrap();
                }
                total += start.elapsed();
                caught_up(&host);
            }
            total
        })
    });
    group.bench_function("one_batch", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let mut batch = host.batch();
                for _ in 0..64 {
                    batch.send_to(client, channel, content.clone()).unwrap();
                }
                batch.commit().unwrap();
                total += start.elapsed();
                caught_up(&host);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    handoff,
    frames,
    fan_out,
    idle_frame,
    receive_system,
    send_system
);
criterion_main!(benches);
