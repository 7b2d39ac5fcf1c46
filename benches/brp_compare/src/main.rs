//! The inspector beside bevy_remote (BRP), in one run, on loopback:
//!
//! 1. `world/query` of 10,000 entities (two components each) over the
//!    switchboard WebSocket, and BRP's `world.query` of the same world over
//!    its HTTP transport, from one app that runs both plugins: time from
//!    sending the request to holding the parsed JSON answer.
//! 2. The frame cost of watching 1,000 entities whose positions change
//!    every frame: `app.update()` with nobody watching, with one client
//!    watching them through `world/watch`, and BRP's app with nobody
//!    watching and with `world.get_components+watch` streams (BRP watches
//!    one entity per request, so 1 and 100 streams).
//!
//! bevy_remote 0.18 brings Bevy 0.18 and the library is on Bevy 0.20, so
//! the two sides are two apps of the same world shape (BRP's in the
//! `brp_server` crate), run side by side in this one process.
//!
//! ```text
//! cd benches/brp_compare && cargo run --release
//! ```
//!
//! Every loop is bounded in count; everything stays on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bevy_app::{App, TaskPoolPlugin, Update};
use bevy_ecs::prelude::*;
use bevy_ecs::reflect::ReflectComponent;
use bevy_reflect::Reflect;
use serde_json::{Value, json};
use switchboard::agents::inspector::{InspectorPlugin, watch_channel_name};
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::{ClientId, HostConfig};

#[derive(Component, Reflect, Clone, Copy)]
#[reflect(Component)]
struct Position {
    x: f64,
    y: f64,
}

#[derive(Component, Reflect, Clone)]
#[reflect(Component)]
struct Label(String);

const POSITION: &str = "brp_compare::Position";
const LABEL: &str = "brp_compare::Label";
const QUERY_ENTITIES: usize = 10_000;
const QUERY_ROUNDS: usize = 30;
const WATCHED_ENTITIES: usize = 1_000;
const FRAMES: usize = 2_000;
/// BRP watch streams (one entity each) in the frame-cost cases.
const BRP_STREAMS: [usize; 3] = [1, 10, 100];

fn main() {
    let (ours, brp) = query_benchmark();
    println!(
        "## world/query of {QUERY_ENTITIES} entities ({QUERY_ROUNDS} rounds each, request to parsed answer)"
    );
    println!("| | median | mean | min |");
    println!("|---|---:|---:|---:|");
    print_row("switchboard `world/query` (WebSocket)", &ours);
    if cfg!(feature = "brp") {
        print_row("bevy_remote `world.query` (HTTP)", &brp);
        println!(
            "ratio of medians (bevy_remote / switchboard): {:.2}",
            median(&brp) / median(&ours)
        );
    }
    println!();
    let frames = watch_benchmark();
    println!(
        "## frame cost, {WATCHED_ENTITIES} entities moving every frame ({FRAMES} frames each)"
    );
    println!("| | median frame | mean frame |");
    println!("|---|---:|---:|");
    for (name, samples) in &frames {
        if samples.is_empty() {
            println!(
                "| {name} | not measured: BRP ended a stream (its buffer of 8 answers was full) | |"
            );
            continue;
        }
        println!(
            "| {name} | {:.1} us | {:.1} us |",
            median(samples) * 1e6,
            mean(samples) * 1e6
        );
    }
    let base = median(&frames[0].1);
    println!(
        "watch cost per frame (median over the same app with nobody watching): switchboard {:.1} us for {WATCHED_ENTITIES} entities",
        (median(&frames[1].1) - base) * 1e6
    );
    if frames.len() > 2 {
        let brp_base = median(&frames[2].1);
        for (streams, (_, samples)) in BRP_STREAMS.iter().zip(&frames[3..]) {
            if samples.is_empty() {
                continue;
            }
            println!(
                "bevy_remote {:.1} us for {streams} watched entities ({streams} streams)",
                (median(samples) - brp_base) * 1e6
            );
        }
    }
}

fn print_row(name: &str, samples: &[f64]) {
    println!(
        "| {name} | {:.2} ms | {:.2} ms | {:.2} ms |",
        median(samples) * 1e3,
        mean(samples) * 1e3,
        samples.iter().copied().fold(f64::INFINITY, f64::min) * 1e3
    );
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The inspector's app (Bevy 0.20), run on its own thread until `stop`;
/// returns the switchboard address.
fn spawn_app(
    entities: usize,
    moving: bool,
    stop: Arc<AtomicBool>,
    frame_times: Option<mpsc::Sender<Duration>>,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut app = App::new();
        app.add_plugins(TaskPoolPlugin::default())
            .add_plugins(IpcHostPlugin::new(HostConfig::default().port(0)))
            .add_plugins(InspectorPlugin::default())
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
        let addr = match &app.world().resource::<IpcStatus>().0 {
            HostStatus::Listening(addr) => *addr,
            HostStatus::Failed(e) => panic!("host: {e}"),
        };
        tx.send(addr).expect("main thread waits");
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
    (rx.recv().expect("app starts"), handle)
}

fn query_benchmark() -> (Vec<f64>, Vec<f64>) {
    let brp_port = free_port();
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, app) = spawn_app(QUERY_ENTITIES, false, stop.clone(), None);
    let brp_app = spawn_brp_app(brp_port, QUERY_ENTITIES, false, stop.clone(), None);
    let mut client = Client::connect(addr, "bench").expect("connect");
    let query = client
        .channel_id("world/query")
        .expect("world/query advertised");
    let body = json!({ "data": { "components": [POSITION, LABEL] } }).to_string();
    let mut brp = cfg!(feature = "brp").then(|| Http::connect(brp_port));
    let rpc = json!({
        "jsonrpc": "2.0", "id": 1, "method": "world.query",
        "params": { "data": { "components": [POSITION, LABEL] } },
    })
    .to_string();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..QUERY_ROUNDS + 2 {
        let start = Instant::now();
        let id = client.request(query, body.as_bytes()).expect("request");
        let bytes = client
            .wait_response(id, Duration::from_secs(30))
            .expect("answer");
        let value: Value = serde_json::from_slice(&bytes).expect("JSON");
        let ours_time = start.elapsed().as_secs_f64();
        assert_eq!(value.as_array().map(Vec::len), Some(QUERY_ENTITIES));

        let start = Instant::now();
        if cfg!(feature = "brp") {
            let answer: Value =
                serde_json::from_slice(&brp.as_mut().expect("BRP").post(&rpc)).expect("JSON");
            assert_eq!(
                answer["result"].as_array().map(Vec::len),
                Some(QUERY_ENTITIES),
                "{}",
                answer.to_string().chars().take(300).collect::<String>()
            );
        }
        let theirs_time = start.elapsed().as_secs_f64();
        if round >= 2 {
            // The first rounds warm caches and connections.
            ours.push(ours_time);
            theirs.push(theirs_time);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = app.join();
    if let Some(brp_app) = brp_app {
        let _ = brp_app.join();
    }
    (ours, theirs)
}

/// What watches in one frame-cost case.
#[derive(Clone, Copy)]
enum Watcher {
    /// The inspector's app, nobody watching.
    Nobody,
    /// The inspector's app, one client on `world/watch` of every Position.
    Switchboard,
    /// BRP's app, nobody watching.
    BrpNobody,
    /// BRP's app, this many `world.get_components+watch` streams.
    Brp(usize),
}

fn watch_benchmark() -> Vec<(String, Vec<f64>)> {
    let mut cases = vec![
        ("nobody watching (Bevy 0.20)".to_string(), Watcher::Nobody),
        (
            format!("switchboard: one client watching all {WATCHED_ENTITIES} Positions"),
            Watcher::Switchboard,
        ),
    ];
    if cfg!(feature = "brp") {
        cases.push((
            "bevy_remote app, nobody watching (Bevy 0.18)".to_string(),
            Watcher::BrpNobody,
        ));
        for streams in BRP_STREAMS {
            cases.push((
                format!("bevy_remote: {streams} world.get_components+watch streams"),
                Watcher::Brp(streams),
            ));
        }
    }
    let mut results = Vec::new();
    for (case, watcher) in cases {
        let stop = Arc::new(AtomicBool::new(false));
        let (times_tx, times) = mpsc::channel();
        let reader_stop = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(AtomicUsize::new(0));
        let mut readers = Vec::new();
        let app = match watcher {
            Watcher::Nobody | Watcher::Switchboard => {
                let (addr, app) = spawn_app(WATCHED_ENTITIES, true, stop.clone(), Some(times_tx));
                if matches!(watcher, Watcher::Switchboard) {
                    readers.push(switchboard_watcher(
                        addr,
                        reader_stop.clone(),
                        started.clone(),
                    ));
                }
                app
            }
            Watcher::BrpNobody | Watcher::Brp(_) => {
                let port = free_port();
                let Some(app) =
                    spawn_brp_app(port, WATCHED_ENTITIES, true, stop.clone(), Some(times_tx))
                else {
                    continue;
                };
                if let Watcher::Brp(streams) = watcher {
                    readers = brp_watchers(port, streams, &reader_stop, &started, &ended);
                }
                app
            }
        };
        // Frames count once every watcher has had its first message
        // (start-up and the watches' first full states are left out), and
        // after 100 more, until a BRP stream ends (then fewer frames count).
        let mut samples = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while samples.len() < FRAMES + 100 && Instant::now() < deadline {
            match times.recv_timeout(Duration::from_secs(5)) {
                Ok(_) if ended.load(Ordering::Relaxed) > 0 => break,
                Ok(t) if started.load(Ordering::Relaxed) >= readers.len() => {
                    samples.push(t.as_secs_f64())
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let (ended_streams, counted) = (
            ended.load(Ordering::Relaxed),
            samples.len().saturating_sub(100),
        );
        eprintln!("{case}: {counted} frames counted, {ended_streams} streams ended by the server");
        if counted < 50 {
            // BRP ended a stream before enough frames ran with all of them.
            samples.clear();
        }
        stop.store(true, Ordering::Relaxed);
        reader_stop.store(true, Ordering::Relaxed);
        let _ = app.join();
        let messages: u64 = readers.into_iter().map(|r| r.join().unwrap_or(0)).sum();
        eprintln!("{case}: {messages} watch messages received");
        results.push((case, samples.split_off(100.min(samples.len()))));
    }
    results
}

/// One switchboard client watching every Position; counts the messages.
fn switchboard_watcher(
    addr: SocketAddr,
    done: Arc<AtomicBool>,
    started: Arc<AtomicUsize>,
) -> std::thread::JoinHandle<u64> {
    let mut client = Client::connect(addr, "watcher").expect("connect");
    let name = watch_channel_name(ClientId(client.welcome().client_id));
    client.subscribe(&[], &[name.as_str()]).expect("subscribe");
    let watch = client.channel_id("world/watch").expect("world/watch");
    let id = client
        .request(
            watch,
            json!({ "components": [POSITION] }).to_string().as_bytes(),
        )
        .expect("request");
    client
        .wait_response(id, Duration::from_secs(10))
        .expect("watching");
    std::thread::spawn(move || {
        let mut messages = 0u64;
        while !done.load(Ordering::Relaxed) {
            match client.recv(Duration::from_millis(50)) {
                Ok(Incoming::Data { .. }) => {
                    if messages == 0 {
                        started.fetch_add(1, Ordering::Relaxed);
                    }
                    messages += 1
                }
                Ok(_) | Err(ClientError::Timeout) => {}
                Err(_) => break,
            }
        }
        messages
    })
}

/// `streams` BRP clients, each on `world.get_components+watch` of one
/// entity's Position; each thread counts its chunks.
fn brp_watchers(
    port: u16,
    streams: usize,
    done: &Arc<AtomicBool>,
    started: &Arc<AtomicUsize>,
    ended: &Arc<AtomicUsize>,
) -> Vec<std::thread::JoinHandle<u64>> {
    let query = json!({
        "jsonrpc": "2.0", "id": 1, "method": "world.query",
        "params": { "data": { "components": [POSITION] } },
    })
    .to_string();
    let rows: Value = serde_json::from_slice(&Http::connect(port).post(&query)).expect("JSON");
    let entities: Vec<Value> = rows["result"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .take(streams)
                .map(|r| r["entity"].clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(entities.len(), streams, "BRP listed too few entities");
    entities
        .into_iter()
        .map(|entity| {
            let rpc = json!({
                "jsonrpc": "2.0", "id": 2, "method": "world.get_components+watch",
                "params": { "entity": entity, "components": [POSITION] },
            })
            .to_string();
            let http = Http::connect(port);
            let (done, started, ended) = (done.clone(), started.clone(), ended.clone());
            std::thread::spawn(move || http.stream_events(&rpc, &done, &started, &ended))
        })
        .collect()
}

/// BRP's app (Bevy 0.18, in `brp_server`); `None` without the `brp`
/// feature.
fn spawn_brp_app(
    port: u16,
    entities: usize,
    moving: bool,
    stop: Arc<AtomicBool>,
    frame_times: Option<mpsc::Sender<Duration>>,
) -> Option<std::thread::JoinHandle<()>> {
    #[cfg(feature = "brp")]
    {
        assert_eq!((brp_server::POSITION, brp_server::LABEL), (POSITION, LABEL));
        Some(brp_server::spawn_app(
            port,
            entities,
            moving,
            stop,
            frame_times,
        ))
    }
    #[cfg(not(feature = "brp"))]
    {
        let _ = (port, entities, moving, stop, frame_times);
        None
    }
}

/// A minimal HTTP/1.1 client for BRP's JSON-RPC endpoint (keep-alive).
struct Http {
    reader: BufReader<TcpStream>,
    port: u16,
}

impl Http {
    fn connect(port: u16) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => {
                    stream.set_nodelay(true).ok();
                    return Self {
                        reader: BufReader::new(stream),
                        port,
                    };
                }
                Err(e) if Instant::now() > deadline => panic!("BRP server: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn send(&mut self, body: &str) {
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("send");
    }

    /// Status line and headers; returns (content length, chunked).
    fn headers(&mut self) -> (Option<usize>, bool) {
        let mut length = None;
        let mut chunked = false;
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().ok();
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        (length, chunked)
    }

    fn chunk(&mut self) -> Vec<u8> {
        let mut size = String::new();
        self.reader.read_line(&mut size).expect("chunk size");
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).expect("chunk");
        chunk.truncate(size);
        chunk
    }

    fn post(&mut self, body: &str) -> Vec<u8> {
        self.send(body);
        match self.headers() {
            (Some(length), _) => {
                let mut out = vec![0; length];
                self.reader.read_exact(&mut out).expect("body");
                out
            }
            (None, true) => {
                let mut out = Vec::new();
                loop {
                    let chunk = self.chunk();
                    if chunk.is_empty() {
                        break out;
                    }
                    out.extend(chunk);
                }
            }
            (None, false) => panic!("BRP answered without a length"),
        }
    }

    /// Reads a streaming (watch) answer until `done`; returns the events
    /// seen, counted as the JSON-RPC answers in the raw bytes (a marker
    /// split across two reads is still counted once). The first one
    /// increments `started`.
    ///
    /// BRP ends a watch whose 8-answer buffer is full (its HTTP task fell
    /// behind): the stream's last chunk (`0\r\n\r\n`) increments `ended`.
    fn stream_events(
        mut self,
        body: &str,
        done: &AtomicBool,
        started: &AtomicUsize,
        ended: &AtomicUsize,
    ) -> u64 {
        const MARKER: &[u8] = b"\"jsonrpc\"";
        const LAST_CHUNK: &[u8] = b"\r\n0\r\n\r\n";
        self.send(body);
        self.headers();
        self.reader
            .get_mut()
            .set_read_timeout(Some(Duration::from_millis(100)))
            .ok();
        let mut events = 0;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut tail: Vec<u8> = Vec::new();
        while !done.load(Ordering::Relaxed) {
            match self.reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    tail.extend_from_slice(&buffer[..n]);
                    let found = tail.windows(MARKER.len()).filter(|w| *w == MARKER).count() as u64;
                    if events == 0 && found > 0 {
                        started.fetch_add(1, Ordering::Relaxed);
                    }
                    events += found;
                    if tail.windows(LAST_CHUNK.len()).any(|w| w == LAST_CHUNK) {
                        ended.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    // Keep what could be the start of a split marker.
                    let keep = tail.len().min(MARKER.len().max(LAST_CHUNK.len()) - 1);
                    tail.drain(..tail.len() - keep);
                }
                Err(_) => continue,
            }
        }
        events
    }
}
