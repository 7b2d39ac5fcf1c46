//! The NATS bridge against a real nats-server (tests/common/nats.rs starts
//! one per test on a free loopback port): subjects read by an independent
//! NATS client (Python's nats-py), request/reply into the game's channels
//! where a pattern allows, and nats-server killed and restarted mid-stream.
#![cfg(feature = "nats")]

mod common;

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::PATIENCE;
use common::nats::{NatsServer, spawn_reading_lines};
use switchboard::client::{Client, Incoming};
use switchboard::nats::{BridgeStats, NatsBridge, NatsBridgeConfig, STATUS_CHANNEL};
use switchboard::{ChannelSpec, Host, HostEvent};

/// Waits until `check` holds on the bridge's counters; panics with them.
fn wait_stats(bridge: &NatsBridge, what: &str, check: impl Fn(&BridgeStats) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let stats = bridge.stats();
        if check(&stats) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within {PATIENCE:?}: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A game loop on its own thread: answers every request with
/// `<prefix>:<content>`, until dropped.
struct Game {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Game {
    fn answering(host: Arc<Host>, prefix: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    if let Some(HostEvent::Message(m)) = host.wait_event(Duration::from_millis(20))
                    {
                        if let Some(id) = m.request_id() {
                            let mut answer = format!("{prefix}:").into_bytes();
                            answer.extend_from_slice(m.content());
                            host.respond(m.client(), id, answer).expect("answer queued");
                        }
                    }
                }
            })
        };
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Game {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A Python child, killed and waited for when dropped.
struct Python {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Python {
    fn run(script: &str, args: &[&str]) -> Self {
        let mut command = Command::new("python3");
        command.arg("-c").arg(script).args(args);
        let (child, lines) = spawn_reading_lines(
            command,
            "python3 runs (nats-py from scripts/install-deps.sh)",
        );
        Self { child, lines }
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("a line from the Python NATS client")
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Subscribes to argv[2] and prints each message as one JSON line (subject,
/// headers, payload), after printing "ready"; exits after argv[3] messages.
const PY_SUBSCRIBER: &str = r#"
import asyncio, json, sys
import nats

async def main():
    nc = await nats.connect(sys.argv[1])
    got = asyncio.Queue()
    async def on(msg):
        await got.put(msg)
    await nc.subscribe(sys.argv[2], cb=on)
    await nc.flush()
    print("ready", flush=True)
    for _ in range(int(sys.argv[3])):
        msg = await got.get()
        print(json.dumps({"subject": msg.subject, "headers": msg.headers or {},
                          "payload": msg.data.decode("utf-8", "replace")}), flush=True)
    await nc.close()

asyncio.run(main())
"#;

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn an_independent_nats_client_reads_the_subjects_with_their_headers() {
    common::init_logs();
    let nats = NatsServer::start(&[]);
    let host = common::start_host(|c| c);
    let fps = host
        .advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())
        .unwrap();
    let log = host
        .advertise(ChannelSpec::new("scene/log").encoding("text"))
        .unwrap();
    let secret = host.advertise(ChannelSpec::new("secret/key")).unwrap();
    let odd = host
        .advertise(ChannelSpec::new("telemetry/v1.2").encoding("json").latest())
        .unwrap();
    let bridge = NatsBridge::start(
        &host,
        NatsBridgeConfig::new(nats.url(), "inst-a")
            .publish("telemetry/*")
            .publish("scene/**"),
    )
    .expect("bridge starts");
    wait_stats(&bridge, "connected", |s| s.connected);

    let data = Python::run(
        PY_SUBSCRIBER,
        &[&nats.url(), "switchboard.inst-a.>", "1000"],
    );
    assert_eq!(data.line(), "ready");
    let announcements = Python::run(PY_SUBSCRIBER, &[&nats.url(), "switchboard.instances", "1"]);
    assert_eq!(announcements.line(), "ready");

    for i in 0..10 {
        host.publish(log, format!("line {i}")).unwrap();
    }
    host.publish(secret, &b"never on NATS"[..]).unwrap();
    host.publish(odd, &b"{}"[..]).unwrap();
    host.publish(fps, &br#"{"value":60}"#[..]).unwrap();

    let mut log_lines = Vec::new();
    let mut fps_seen = None;
    loop {
        let m = json(&data.line());
        let subject = m["subject"].as_str().unwrap().to_owned();
        assert!(
            !subject.contains("secret"),
            "unpublished channel on NATS: {m}"
        );
        if subject == "switchboard.inst-a._bridge.status" {
            continue; // counters, checked elsewhere
        }
        match subject.as_str() {
            "switchboard.inst-a.scene.log" => {
                assert_eq!(m["headers"]["Switchboard-Encoding"], "text");
                assert_eq!(m["headers"]["Switchboard-Delivery"], "reliable");
                assert_eq!(m["headers"]["Switchboard-Channel"], "scene/log");
                let sequence: u64 = m["headers"]["Switchboard-Sequence"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                log_lines.push((sequence, m["payload"].as_str().unwrap().to_owned()));
            }
            "switchboard.inst-a.telemetry.fps" => {
                assert_eq!(m["headers"]["Switchboard-Encoding"], "json");
                assert_eq!(m["headers"]["Switchboard-Delivery"], "latest");
                fps_seen = Some(m["payload"].as_str().unwrap().to_owned());
            }
            other => panic!("unexpected subject {other}: {m}"),
        }
        if log_lines.len() == 10 && fps_seen.is_some() {
            break;
        }
    }
    let expected: Vec<(u64, String)> = (0..10).map(|i| (i + 1, format!("line {i}"))).collect();
    assert_eq!(log_lines, expected, "reliable messages all there, in order");
    assert_eq!(fps_seen.as_deref(), Some(r#"{"value":60}"#));

    let a = json(&announcements.line());
    assert_eq!(a["subject"], "switchboard.instances");
    let a = json(a["payload"].as_str().unwrap());
    assert_eq!(a["id"], "inst-a");
    assert_eq!(a["session"], host.session_id());
    assert_eq!(a["online"], true);
    let names: Vec<&str> = a["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["scene/log", "telemetry/fps"]);
    assert_eq!(a["unbridged"], serde_json::json!(["telemetry/v1.2"]));
    bridge.shutdown();
}

/// One NATS request, from an async-nats client of the test's own.
fn nats_request(url: &str, subject: &str, payload: &'static [u8]) -> (Option<String>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url)
            .await
            .expect("test client connects");
        let reply =
            tokio::time::timeout(PATIENCE, client.request(subject.to_owned(), payload.into()))
                .await
                .expect("answered in time")
                .expect("answered");
        let status = reply
            .headers
            .as_ref()
            .and_then(|h| h.get("Switchboard-Status"))
            .map(|v| v.as_str().to_owned());
        (status, String::from_utf8_lossy(&reply.payload).into_owned())
    })
}

#[test]
fn nats_requests_reach_the_game_only_where_a_pattern_allows() {
    common::init_logs();
    let nats = NatsServer::start(&[]);
    let host = Arc::new(common::start_host(|c| c));
    host.advertise(ChannelSpec::new("scene/spawn")).unwrap();
    host.advertise(ChannelSpec::new("admin/quit")).unwrap();
    let bridge = NatsBridge::start(
        &host,
        NatsBridgeConfig::new(nats.url(), "inst-r").serve("scene/**"),
    )
    .expect("bridge starts");
    let _game = Game::answering(Arc::clone(&host), "game");
    wait_stats(&bridge, "connected", |s| s.connected);

    let (status, body) = nats_request(&nats.url(), "switchboard.inst-r.rpc.scene.spawn", b"cube");
    assert_eq!(
        (status.as_deref(), body.as_str()),
        (Some("ok"), "game:cube")
    );

    let (status, body) = nats_request(&nats.url(), "switchboard.inst-r.rpc.admin.quit", b"now");
    assert_eq!(status.as_deref(), Some("failed"));
    assert!(body.contains("not served over NATS"), "{body}");

    let (status, body) = nats_request(&nats.url(), "switchboard.inst-r.rpc.scene.nothing", b"x");
    assert_eq!(status.as_deref(), Some("failed"));
    assert!(body.contains("no channel scene/nothing"), "{body}");

    let stats = bridge.stats();
    assert_eq!(
        (stats.requests_served, stats.requests_refused),
        (1, 2),
        "{stats:?}"
    );
}

#[test]
fn nats_killed_and_restarted_mid_stream_the_bridge_reconnects_and_reports_its_losses() {
    common::init_logs();
    let mut nats = NatsServer::start(&[]);
    let host = common::start_host(|c| c);
    let log = host.advertise(ChannelSpec::new("scene/log")).unwrap();
    let fps = host
        .advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())
        .unwrap();
    let mut config = NatsBridgeConfig::new(nats.url(), "inst-k")
        .publish("scene/**")
        .publish("telemetry/*")
        .heartbeat(Duration::from_millis(200));
    config.reliable_queue = 50;
    config.connect.max_backoff = Duration::from_millis(200);
    let bridge = NatsBridge::start(&host, config).expect("bridge starts");
    // A dashboard on the game's own host watches the bridge's status.
    let mut dashboard = Client::connect(host.local_addr(), "dashboard").unwrap();
    dashboard.subscribe(&[], &[STATUS_CHANNEL]).unwrap();
    wait_stats(&bridge, "connected", |s| s.connected);

    let mut sent = 0u64;
    let mut publish_for = |how_long: Duration| {
        let until = Instant::now() + how_long;
        while Instant::now() < until {
            host.publish(log, format!("m{sent}"))
                .expect("the game goes on");
            host.publish(fps, format!("{{\"value\":{sent}}}"))
                .expect("the game goes on");
            bridge.publish_status(&host).expect("status published");
            sent += 1;
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    publish_for(Duration::from_millis(300));
    nats.kill();
    wait_stats(&bridge, "disconnected", |s| !s.connected);
    publish_for(Duration::from_millis(800));
    let during = bridge.stats();
    assert!(during.reliable_dropped > 0, "loss counted: {during:?}");
    assert!(during.conflated > 0, "latest values conflated: {during:?}");
    // Bounded: the reliable queue, plus one latest value per channel.
    assert!(during.queued <= 50 + 1, "outbox bounded: {during:?}");

    nats.restart();
    wait_stats(&bridge, "reconnected", |s| s.connected && s.reconnects >= 1);
    let subscriber = Python::run(
        PY_SUBSCRIBER,
        &[&nats.url(), "switchboard.inst-k.scene.log", "1"],
    );
    assert_eq!(subscriber.line(), "ready");
    let deadline = Instant::now() + PATIENCE;
    let after = loop {
        publish_for(Duration::from_millis(50));
        if let Ok(line) = subscriber.lines.recv_timeout(Duration::from_millis(50)) {
            break json(&line);
        }
        assert!(
            Instant::now() < deadline,
            "nothing published after the restart"
        );
    };
    assert!(after["payload"].as_str().unwrap().starts_with('m'));

    // The loss was told on the game's own status channel too.
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(Incoming::Data { content, .. }) = dashboard.recv(Duration::from_millis(100)) {
            let status = json(&String::from_utf8_lossy(&content));
            if status["reliable_dropped"].as_u64().unwrap_or(0) > 0 {
                break;
            }
        }
        bridge.publish_status(&host).unwrap();
        assert!(Instant::now() < deadline, "no loss on {STATUS_CHANNEL}");
    }
    bridge.shutdown();
    // The host is still fine.
    assert!(host.publish(log, &b"after"[..]).is_ok());
}

#[test]
fn a_bridge_refuses_a_bad_configuration_and_starts_while_nats_is_down() {
    common::init_logs();
    let host = common::start_host(|c| c);
    let bad = NatsBridge::start(&host, NatsBridgeConfig::new("nats://127.0.0.1:1", "a.b"));
    assert!(bad.is_err());
    // Nothing listens on this port: the bridge starts anyway and keeps trying.
    let nats = NatsServer::start(&[]);
    let url = nats.url();
    drop(nats);
    let bridge = NatsBridge::start(&host, NatsBridgeConfig::new(url, "down").publish("**"))
        .expect("starts with NATS down");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!bridge.stats().connected);
    bridge.shutdown();
}

#[test]
fn the_bridge_logs_in_with_a_token() {
    use switchboard::nats::NatsAuth;
    common::init_logs();
    let nats = NatsServer::start(&["--auth", "s3cret"]);
    let host = common::start_host(|c| c);
    let mut good = NatsBridgeConfig::new(nats.url(), "tok-good");
    good.connect = good.connect.clone().auth(NatsAuth::Token("s3cret".into()));
    let mut wrong = NatsBridgeConfig::new(nats.url(), "tok-wrong");
    wrong.connect = wrong.connect.clone().auth(NatsAuth::Token("guess".into()));
    let good = NatsBridge::start(&host, good).expect("starts");
    let wrong = NatsBridge::start(&host, wrong).expect("starts, and keeps trying");
    wait_stats(&good, "connected with the token", |s| s.connected);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!wrong.stats().connected, "the wrong token is refused");
}

#[test]
fn the_bridge_logs_in_with_a_user_and_password() {
    use switchboard::nats::NatsAuth;
    common::init_logs();
    let nats = NatsServer::start(&["--user", "game", "--pass", "hunter2"]);
    let host = common::start_host(|c| c);
    let mut config = NatsBridgeConfig::new(nats.url(), "userpass");
    config.connect = config.connect.clone().auth(NatsAuth::UserPassword {
        user: "game".into(),
        password: "hunter2".into(),
    });
    let bridge = NatsBridge::start(&host, config).expect("starts");
    wait_stats(&bridge, "connected with user and password", |s| s.connected);
}

#[test]
fn the_bridge_speaks_tls_to_nats_with_the_ca_it_is_given() {
    use switchboard::nats::NatsTls;
    common::init_logs();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("switchboard-nats-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let nats = NatsServer::start(&[
        "--tls",
        "--tlscert",
        cert.to_str().unwrap(),
        "--tlskey",
        key.to_str().unwrap(),
    ]);
    let host = common::start_host(|c| c);
    let url = format!("tls://localhost:{}", nats.addr().port());
    let mut trusted = NatsBridgeConfig::new(url.clone(), "tls-ok");
    trusted.connect.tls = NatsTls {
        required: true,
        root_certificates: vec![cert.clone()],
        ..NatsTls::default()
    };
    let untrusted = NatsBridgeConfig::new(url, "tls-unknown-ca");
    let trusted = NatsBridge::start(&host, trusted).expect("starts");
    let untrusted = NatsBridge::start(&host, untrusted).expect("starts, and keeps trying");
    wait_stats(&trusted, "connected over TLS", |s| s.connected);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !untrusted.stats().connected,
        "a server whose CA is not given is refused"
    );
    drop((trusted, untrusted));
    let _ = std::fs::remove_dir_all(&dir);
}
