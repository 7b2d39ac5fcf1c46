//! Logging in to a real nats-server: a `.creds` file (operator, account and
//! user JWTs made here with nkeys, the server in operator mode with the
//! account preloaded) for the bridge and for `switchboard fleet`, and the
//! gateway's other NATS flags (token, user and password, TLS with a CA)
//! and its `--token` for dashboards.
#![cfg(all(feature = "nats", feature = "cli"))]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::PATIENCE;
use common::nats::{NatsServer, spawn_reading_lines};
use common::nats_jwt::Operator;
use switchboard::ChannelSpec;
use switchboard::client::{Client, ClientError, ClientOptions, Incoming};
use switchboard::nats::{NatsAuth, NatsBridge, NatsBridgeConfig, NatsError, NatsTls};

/// A folder for one test's files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "switchboard-nats-logins-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A game publishing `telemetry/fps` every 20 ms, bridged to NATS as
/// `instance` with `connect`'s login.
struct Game {
    bridge: Option<NatsBridge>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Game {
    fn start(
        nats_url: &str,
        instance: &str,
        auth: NatsAuth,
        tls: NatsTls,
    ) -> Result<Self, NatsError> {
        let host = Arc::new(common::start_host(|c| c));
        let fps = host
            .advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())
            .unwrap();
        let mut config = NatsBridgeConfig::new(nats_url, instance)
            .publish("telemetry/*")
            .heartbeat(Duration::from_millis(200));
        config.connect = config.connect.clone().auth(auth).tls(tls);
        let bridge = NatsBridge::start(&host, config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut frame = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    frame += 1;
                    let _ = host.publish(fps, format!("{{\"value\":{frame}}}").into_bytes());
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Ok(Game {
            bridge: Some(bridge),
            stop,
            thread: Some(thread),
        })
    }

    fn bridge(&self) -> &NatsBridge {
        self.bridge.as_ref().expect("running")
    }

    fn wait_connected(&self, what: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.bridge().stats().connected {
            assert!(
                Instant::now() < deadline,
                "{what}: not connected within {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stays disconnected for a while (the server keeps refusing it).
    fn stays_disconnected(&self, what: &str) {
        let until = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < until {
            assert!(!self.bridge().stats().connected, "{what}: connected");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Game {
    fn drop(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.shutdown();
        }
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `switchboard fleet ...`, killed and waited for when dropped.
struct Gateway {
    child: Child,
    _lines: Receiver<String>,
    addr: String,
}

impl Gateway {
    fn start(nats_url: &str, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .args(["fleet", "--nats", nats_url, "--port", "0"])
            .args(extra);
        let (child, lines) = spawn_reading_lines(command, "switchboard fleet starts");
        let deadline = Instant::now() + PATIENCE;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains("websocket:") => {
                    break line
                        .trim()
                        .trim_start_matches("websocket:")
                        .trim()
                        .trim_start_matches("ws://")
                        .trim_end_matches('/')
                        .to_owned();
                }
                Ok(_) => continue,
                Err(e) => panic!("switchboard fleet printed no websocket line: {e}"),
            }
        };
        Gateway {
            child,
            _lines: lines,
            addr,
        }
    }

    fn dashboard(&self, token: Option<&str>) -> Result<Client, ClientError> {
        let mut options = ClientOptions::new("dashboard");
        options.token = token.map(str::to_owned);
        Client::connect_with(self.addr.as_str(), options)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `instance`'s fps on the gateway, subscribed, and reads one
/// value of it: the gateway is logged in to NATS and relays the game.
fn sees_telemetry(dashboard: &mut Client, instance: &str) {
    let name = format!("fleet/{instance}/telemetry/fps");
    let deadline = Instant::now() + PATIENCE;
    while dashboard.channel_id(&name).is_none() {
        assert!(
            Instant::now() < deadline,
            "{name} not advertised within {PATIENCE:?}"
        );
        match dashboard.recv(Duration::from_millis(100)) {
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => panic!("dashboard connection failed: {e}"),
        }
    }
    let id = dashboard.channel_id(&name).unwrap();
    dashboard.subscribe(&[], &[name.as_str()]).unwrap();
    loop {
        assert!(
            Instant::now() < deadline,
            "no data on {name} within {PATIENCE:?}"
        );
        match dashboard.recv(Duration::from_millis(100)) {
            Ok(Incoming::Data {
                channel, content, ..
            }) if channel == id => {
                let value: serde_json::Value = serde_json::from_slice(&content).unwrap();
                assert!(value["value"].as_u64().is_some_and(|v| v > 0), "{value}");
                return;
            }
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => panic!("dashboard connection failed: {e}"),
        }
    }
}

#[test]
fn the_bridge_logs_in_with_a_creds_file_and_strangers_are_refused() {
    common::init_logs();
    let scratch = Scratch::new("bridge");
    let operator = Operator::new(&scratch.0);
    let config = operator.server_config();
    let nats = NatsServer::start(&["-c", config.to_str().unwrap()]);

    let good = Game::start(
        &nats.url(),
        "creds-good",
        NatsAuth::CredsFile(operator.user_creds("game")),
        NatsTls::default(),
    )
    .expect("starts");
    good.wait_connected("a user of the preloaded account");
    // Logged in for real: the server takes its messages.
    let deadline = Instant::now() + PATIENCE;
    while good.bridge().stats().published == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing published: {:?}",
            good.bridge().stats()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let stranger = Game::start(
        &nats.url(),
        "creds-stranger",
        NatsAuth::CredsFile(operator.stranger_creds("stranger")),
        NatsTls::default(),
    )
    .expect("starts, and keeps trying");
    let anonymous = Game::start(&nats.url(), "anonymous", NatsAuth::None, NatsTls::default())
        .expect("starts, and keeps trying");
    stranger.stays_disconnected("a user of an account the server does not trust");
    anonymous.stays_disconnected("no credentials on an operator-mode server");

    // A creds file that is not there is an error at start, not a retry loop.
    let missing = Game::start(
        &nats.url(),
        "missing",
        NatsAuth::CredsFile(scratch.0.join("missing.creds")),
        NatsTls::default(),
    );
    assert!(
        matches!(missing, Err(NatsError::Credentials { .. })),
        "{:?}",
        missing.err()
    );
}

#[test]
fn the_gateway_logs_in_with_creds_and_asks_dashboards_for_its_token() {
    common::init_logs();
    let scratch = Scratch::new("gateway");
    let operator = Operator::new(&scratch.0);
    let config = operator.server_config();
    let nats = NatsServer::start(&["-c", config.to_str().unwrap()]);
    let game = Game::start(
        &nats.url(),
        "creds-game",
        NatsAuth::CredsFile(operator.user_creds("game")),
        NatsTls::default(),
    )
    .expect("starts");
    game.wait_connected("the game");

    let creds = operator.user_creds("gateway");
    let gateway = Gateway::start(
        &nats.url(),
        &[
            "--nats-creds",
            creds.to_str().unwrap(),
            "--token",
            "dash-s3cret",
        ],
    );
    let mut dashboard = gateway
        .dashboard(Some("dash-s3cret"))
        .expect("the token is accepted");
    sees_telemetry(&mut dashboard, "creds-game");

    for token in [None, Some("guess")] {
        match gateway.dashboard(token) {
            Err(ClientError::Refused { .. } | ClientError::Closed { code: 4003, .. }) => {}
            Err(other) => panic!("{token:?}: refused the wrong way: {other}"),
            Ok(_) => panic!("{token:?}: a dashboard without the token got in"),
        }
    }
}

#[test]
fn the_gateway_takes_a_nats_token_a_user_and_tls_with_a_ca() {
    common::init_logs();
    // A token.
    let nats = NatsServer::start(&["--auth", "nats-s3cret"]);
    let game = Game::start(
        &nats.url(),
        "token-game",
        NatsAuth::Token("nats-s3cret".into()),
        NatsTls::default(),
    )
    .expect("starts");
    let gateway = Gateway::start(&nats.url(), &["--nats-token", "nats-s3cret"]);
    sees_telemetry(&mut gateway.dashboard(None).unwrap(), "token-game");
    drop((gateway, game, nats));

    // A user and a password.
    let nats = NatsServer::start(&["--user", "fleet", "--pass", "hunter2"]);
    let auth = NatsAuth::UserPassword {
        user: "fleet".into(),
        password: "hunter2".into(),
    };
    let game = Game::start(&nats.url(), "user-game", auth, NatsTls::default()).expect("starts");
    let gateway = Gateway::start(
        &nats.url(),
        &["--nats-user", "fleet", "--nats-password", "hunter2"],
    );
    sees_telemetry(&mut gateway.dashboard(None).unwrap(), "user-game");
    drop((gateway, game, nats));

    // TLS, required, with the server's certificate from a test CA.
    let scratch = Scratch::new("tls");
    let (ca, cert, key) = tls_files(&scratch);
    let nats = NatsServer::start(&["--tls", "--tlscert", &cert, "--tlskey", &key]);
    let url = format!("tls://localhost:{}", nats.addr().port());
    let tls = NatsTls {
        required: true,
        root_certificates: vec![PathBuf::from(&ca)],
        ..NatsTls::default()
    };
    let _game = Game::start(&url, "tls-game", NatsAuth::None, tls).expect("starts");
    let gateway = Gateway::start(&url, &["--nats-ca", &ca, "--nats-tls-required"]);
    sees_telemetry(&mut gateway.dashboard(None).unwrap(), "tls-game");
}

/// (CA file, certificate file, key file) for `localhost`.
fn tls_files(scratch: &Scratch) -> (String, String, String) {
    let (ca, cert, key) = common::tls::ca_and_localhost_cert();
    let write = |name: &str, text: &str| {
        let path = scratch.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    (
        write("ca.pem", &ca),
        write("cert.pem", &cert),
        write("key.pem", &key),
    )
}
