//! The fleet gateway against a real nats-server: two game instances, each
//! a real child process (this test binary re-run in the instance role),
//! bridged to NATS, and the real `switchboard fleet` program in between;
//! a dashboard speaking the ordinary protocol to the gateway.
#![cfg(all(feature = "nats", feature = "cli"))]

mod common;

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::PATIENCE;
use common::nats::{NatsServer, spawn_reading_lines};
use switchboard::client::{Client, Incoming};
use switchboard::nats::{NatsBridge, NatsBridgeConfig};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent};

const ROLE: &str = "SWITCHBOARD_FLEET_TEST_INSTANCE";
const NATS_URL: &str = "SWITCHBOARD_FLEET_TEST_NATS";
/// An instance child ends by itself after this, killed or not.
const CHILD_LIFETIME: Duration = Duration::from_secs(60);

/// The instance role: a game with a host, a bridge, telemetry published
/// every 20 ms and requests on scene/spawn answered `<id>:<content>`.
/// Does nothing when run as an ordinary test.
#[test]
fn fleet_instance_child() {
    let (Ok(id), Ok(url)) = (std::env::var(ROLE), std::env::var(NATS_URL)) else {
        return;
    };
    let host = Arc::new(Host::start(HostConfig::default().port(0)).expect("host"));
    let fps = host
        .advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())
        .expect("advertised");
    host.advertise(ChannelSpec::new("scene/spawn"))
        .expect("advertised");
    let bridge = NatsBridge::start(
        &host,
        NatsBridgeConfig::new(url, id.clone())
            .publish("telemetry/*")
            .serve("scene/**")
            .heartbeat(Duration::from_millis(200)),
    )
    .expect("bridge");
    println!("instance-ready");
    let end = Instant::now() + CHILD_LIFETIME;
    let mut frame = 0u64;
    while Instant::now() < end {
        for event in host.drain_events() {
            if let HostEvent::Message(m) = event {
                if let Some(request) = m.request_id() {
                    let mut answer = format!("{id}:").into_bytes();
                    answer.extend_from_slice(m.content());
                    let _ = host.respond(m.client(), request, answer);
                }
            }
        }
        let _ = host.publish(fps, format!("{{\"instance\":\"{id}\",\"frame\":{frame}}}"));
        frame += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    bridge.shutdown();
}

/// A child process, killed and waited for when dropped.
struct Process {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Process {
    fn spawn(command: Command) -> Self {
        let (child, lines) = spawn_reading_lines(command, "child starts");
        Self { child, lines }
    }

    /// Waits for a line containing `what` and returns it.
    fn wait_line(&self, what: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => continue,
                Err(e) => panic!("no line with {what:?}: {e}"),
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

fn instance(id: &str, nats: &NatsServer) -> Process {
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args([
            "--exact",
            "fleet_instance_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, id)
        .env(NATS_URL, nats.url());
    let process = Process::spawn(command);
    process.wait_line("instance-ready");
    process
}

fn gateway(nats: &NatsServer) -> (Process, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.args(["fleet", "--nats", &nats.url(), "--port", "0"]);
    let process = Process::spawn(command);
    let line = process.wait_line("websocket:");
    let addr = line
        .trim()
        .trim_start_matches("websocket:")
        .trim()
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_owned();
    (process, addr)
}

/// Reads until `channel` is known (or unknown, with `present` false).
fn wait_channel(client: &mut Client, channel: &str, present: bool) -> Option<u32> {
    let deadline = Instant::now() + PATIENCE;
    while client.channel_id(channel).is_some() != present {
        assert!(
            Instant::now() < deadline,
            "{channel} {} within {PATIENCE:?}",
            if present {
                "not advertised"
            } else {
                "still there"
            }
        );
        match client.recv(Duration::from_millis(100)) {
            Ok(_) | Err(switchboard::client::ClientError::Timeout) => {}
            Err(e) => panic!("dashboard connection failed: {e}"),
        }
    }
    client.channel_id(channel)
}

#[test]
fn a_dashboard_sees_every_instance_asks_one_and_sees_a_killed_one_go() {
    common::init_logs();
    let nats = NatsServer::start(&[]);
    let (_gateway, addr) = gateway(&nats);
    let _a = instance("alpha", &nats);
    let mut b = instance("beta", &nats);

    let mut dashboard = Client::connect(addr.as_str(), "dashboard").expect("gateway reachable");
    let alpha_fps = wait_channel(&mut dashboard, "fleet/alpha/telemetry/fps", true).unwrap();
    let beta_fps = wait_channel(&mut dashboard, "fleet/beta/telemetry/fps", true).unwrap();
    let listing = dashboard
        .channel_id("fleet/instances")
        .expect("fleet/instances");
    dashboard
        .subscribe(&[listing], &["fleet/*/telemetry/*"])
        .expect("subscribed");

    // Telemetry of both instances, through NATS and the gateway.
    let mut seen = (false, false);
    let mut latest_listing = String::new();
    let deadline = Instant::now() + PATIENCE;
    while seen != (true, true) {
        assert!(Instant::now() < deadline, "telemetry seen from {seen:?}");
        if let Ok(Incoming::Data {
            channel, content, ..
        }) = dashboard.recv(Duration::from_millis(100))
        {
            let text = String::from_utf8_lossy(&content).into_owned();
            if channel == alpha_fps {
                assert!(text.contains("\"alpha\""), "{text}");
                seen.0 = true;
            } else if channel == beta_fps {
                assert!(text.contains("\"beta\""), "{text}");
                seen.1 = true;
            } else if channel == listing {
                latest_listing = text;
            }
        }
    }

    // A request routed through NATS to one instance, answered by it.
    let spawn_alpha = wait_channel(&mut dashboard, "fleet/alpha/scene/spawn", true).unwrap();
    let answer = dashboard
        .call(spawn_alpha, b"cube", PATIENCE)
        .expect("answered through NATS");
    assert_eq!(answer, b"alpha:cube");
    // Telemetry is published, not served: a request there is refused.
    let refused = dashboard.call(alpha_fps, b"x", PATIENCE);
    assert!(refused.is_err(), "{refused:?}");

    // beta killed (no goodbye): its heartbeat stops and it disappears.
    b.kill();
    wait_channel(&mut dashboard, "fleet/beta/telemetry/fps", false);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let listed: serde_json::Value = serde_json::from_str(&latest_listing).unwrap_or_default();
        let ids: Vec<&str> = listed
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect())
            .unwrap_or_default();
        if ids == ["alpha"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fleet/instances still says {latest_listing}"
        );
        if let Ok(Incoming::Data {
            channel, content, ..
        }) = dashboard.recv(Duration::from_millis(100))
        {
            if channel == listing {
                latest_listing = String::from_utf8_lossy(&content).into_owned();
            }
        }
    }
    // alpha still answers.
    assert_eq!(
        dashboard.call(spawn_alpha, b"again", PATIENCE).unwrap(),
        b"alpha:again"
    );
}

/// The demo with `--nats`: its telemetry and scene through the gateway, a
/// scene request answered by its scene agent, and the editor served by the
/// gateway.
#[cfg(feature = "hardware")]
#[test]
fn the_demo_joins_the_fleet_with_its_telemetry_and_scene() {
    #[path = "support/examples.rs"]
    mod examples;
    use std::io::{Read, Write};

    common::init_logs();
    let nats = NatsServer::start(&[]);
    let (_gateway, addr) = gateway(&nats);
    let registry = std::env::temp_dir().join(format!(
        "switchboard-fleet-demo-{}.sqlite",
        std::process::id()
    ));
    let mut command = Command::new(examples::example_binary("ipc_agent"));
    command
        .args([
            "--port",
            "0",
            "--nats",
            &nats.url(),
            "--instance",
            "demo-1",
            "--registry",
        ])
        .arg(&registry);
    let demo = Process::spawn(command);
    let line = demo.wait_line("nats:");
    assert!(line.contains("switchboard.demo-1."), "{line}");

    let mut dashboard = Client::connect(addr.as_str(), "dashboard").expect("gateway reachable");
    let fps = wait_channel(&mut dashboard, "fleet/demo-1/telemetry/fps", true).unwrap();
    let command_channel = wait_channel(&mut dashboard, "fleet/demo-1/scene/command", true).unwrap();
    dashboard.subscribe(&[], &["fleet/*/telemetry/*"]).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(
            Instant::now() < deadline,
            "no demo telemetry through the gateway"
        );
        if let Ok(Incoming::Data { channel, .. }) = dashboard.recv(Duration::from_millis(100)) {
            if channel == fps {
                break;
            }
        }
    }
    let answer = dashboard
        .call(
            command_channel,
            br#"{"op":"spawn","name":"probe"}"#,
            PATIENCE,
        )
        .expect("the scene agent answers through NATS");
    let answer: serde_json::Value = serde_json::from_slice(&answer).expect("JSON answer");
    assert!(answer.to_string().contains("id"), "{answer}");

    // The gateway serves the editor on its port.
    let mut http = std::net::TcpStream::connect(addr.as_str()).unwrap();
    write!(
        http,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = http.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(200)]
    );
    let _ = std::fs::remove_file(&registry);
}
