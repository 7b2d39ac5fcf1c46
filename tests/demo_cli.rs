//! The demo app's command line, run as the built binary: `--help`, and the
//! listening and access flags (`--token`, `--bind`, `--tls-cert`/`--tls-key`,
//! `--allow-insecure-remote`) checked with real clients over real sockets.
//!
//! The binary is built by this test (`cargo build --example ipc_agent` with
//! the features this test was built with, tests/support/examples.rs), so it
//! is never a stale one.
#![cfg(feature = "hardware")]

mod common;
#[path = "support/examples.rs"]
mod examples;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::PATIENCE;
use switchboard::client::{Client, ClientOptions};
use switchboard::protocol::{HelloArgs, encode_hello, ipc, verify_frame};
use tungstenite::Message;
use tungstenite::protocol::frame::coding::CloseCode;

/// The demo binary, built by this test.
fn demo_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| examples::example_binary("ipc_agent"))
}

/// A scratch path unique to this process and `what`.
fn scratch(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "switchboard-demo-cli-{}-{what}",
        std::process::id()
    ))
}

/// Scratch files removed when dropped, so test runs leave nothing behind.
struct ScratchFiles(Vec<PathBuf>);

impl Drop for ScratchFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A SQLite file and the journal files SQLite puts beside it.
fn scratch_registry(name: &str) -> (PathBuf, ScratchFiles) {
    let registry = scratch(&format!("{name}.sqlite"));
    let files = ["", "-shm", "-wal", "-journal"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", registry.display())))
        .collect();
    let files = ScratchFiles(files);
    // A run killed earlier may have left them; the demo must start empty.
    for path in &files.0 {
        let _ = std::fs::remove_file(path);
    }
    (registry, files)
}

/// Runs the demo to completion (for arguments that make it exit at once).
fn run_to_end(args: &[&str]) -> Output {
    let mut child = Command::new(demo_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("demo {args:?} did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A running demo, killed when dropped.
struct Demo {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
    /// Dropped after the child is killed (fields drop after `Drop::drop`).
    _registry: ScratchFiles,
}

impl Demo {
    /// Starts the demo with `args` (plus a free port and a private
    /// registry) and waits for the WebSocket URL it prints.
    fn start(name: &str, args: &[&str]) -> Demo {
        let (registry, registry_files) = scratch_registry(name);
        let mut child = Command::new(demo_binary())
            .args(args)
            .env("RUST_LOG", "info")
            .arg("--registry")
            .arg(&registry)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("demo starts");
        let (lines, urls) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.trim().strip_prefix("websocket:") {
                    let _ = lines.send(url.trim().to_owned());
                }
            }
        });
        // Drained all along, so the demo's logs never fill the pipe.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let url = match urls.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "demo {args:?} printed no websocket URL; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        Demo {
            child,
            url,
            stderr,
            _registry: registry_files,
        }
    }

    /// The port from the printed URL, on loopback (the demo may listen on
    /// every interface; loopback is one of them).
    fn loopback_addr(&self) -> SocketAddr {
        let port = self
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no port in {:?}", self.url));
        SocketAddr::from(([127, 0, 0, 1], port))
    }
}

impl Demo {
    /// The demo's stderr once it contains `needle` (the reader thread may
    /// lag behind what the demo printed on stdout).
    fn stderr_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.stderr.lock().unwrap().clone();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "stderr lacks {needle:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("demo stderr:\n{}", self.stderr.lock().unwrap());
        }
    }
}

fn hello(token: Option<&str>) -> Message {
    Message::Binary(encode_hello(&HelloArgs {
        client_name: "demo-cli-test",
        protocol_versions: &[1],
        token,
    }))
}

#[test]
fn help_is_not_an_error() {
    for flag in ["--help", "-h"] {
        let output = run_to_end(&[flag]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{flag}: {:?}", output.status);
        assert!(stdout.starts_with("usage: ipc_agent"), "{stdout}");
        for documented in [
            "--port",
            "--bind",
            "--token",
            "--tls-cert",
            "--tls-key",
            "--allow-origin",
            "--allow-host",
            "--allow-insecure-remote",
            "--on-demand",
            "--zwave-port",
        ] {
            assert!(stdout.contains(documented), "--help lacks {documented}");
        }
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("usage"),
            "usage belongs on stdout"
        );
    }
}

#[test]
fn bad_arguments_exit_with_2_and_say_why() {
    let cases: &[(&[&str], &str)] = &[
        (&["--frobnicate"], "unknown argument \"--frobnicate\""),
        (&["--port"], "--port needs a value"),
        (&["--port", "huge"], "--port \"huge\""),
        (&["--bind", "not-an-ip"], "is not an IP address or IP:PORT"),
        (
            &["--bind", "127.0.0.1:9001", "--port", "9002"],
            "already names a port",
        ),
        (&["--uncapped", "--on-demand"], "exclude each other"),
        #[cfg(feature = "tls")]
        (&["--tls-cert", "cert.pem"], "--tls-cert needs --tls-key"),
        #[cfg(feature = "tls")]
        (
            &[
                "--tls-cert",
                "/nonexistent.pem",
                "--tls-key",
                "/nonexistent.pem",
            ],
            "cannot read /nonexistent.pem",
        ),
        #[cfg(not(feature = "tls"))]
        (&["--tls-cert", "cert.pem"], "need the tls feature"),
    ];
    for (args, expected) in cases {
        let output = run_to_end(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} printed on stdout");
    }
}

#[test]
fn a_token_keeps_out_clients_without_it() {
    let demo = Demo::start("token", &["--port", "0", "--token", "s3cret"]);
    let addr = demo.loopback_addr();
    for token in [None, Some("wrong")] {
        let mut ws = Client::open_socket(addr).expect("WebSocket opens");
        ws.send(hello(token)).unwrap();
        let refusal = match ws.read().unwrap() {
            Message::Binary(bytes) => bytes,
            other => panic!("expected an Error frame, got {other:?}"),
        };
        let error = verify_frame(&refusal).unwrap().body_as_error().unwrap();
        assert_eq!(error.code(), ipc::ErrorCode::Unauthorized);
        match ws.read() {
            Ok(Message::Close(Some(close))) => {
                assert_eq!(close.code, CloseCode::from(4003), "{close:?}")
            }
            other => panic!("expected a 4003 close, got {other:?}"),
        }
    }
    let mut options = ClientOptions::new("friend");
    options.token = Some("s3cret".to_owned());
    let client = Client::connect_with(addr, options).expect("the right token is welcomed");
    assert_eq!(client.welcome().host_name, "switchboard demo");
    assert!(client.welcome().capabilities.iter().any(|c| c == "token"));
    assert!(client.channel_id("echo").is_some());
}

#[test]
fn beyond_loopback_without_token_and_tls_is_refused() {
    for args in [
        &["--bind", "0.0.0.0", "--port", "0"][..],
        &["--bind", "0.0.0.0:0", "--token", "s3cret"][..],
    ] {
        let output = run_to_end(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("listening on 0.0.0.0:0 exposes the game beyond this machine"),
            "{stderr}"
        );
        assert!(stderr.contains("--allow-insecure-remote"), "{stderr}");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("websocket:"),
            "a refused demo announced a URL"
        );
    }
}

#[test]
fn the_explicit_opt_out_listens_on_every_interface() {
    let demo = Demo::start(
        "insecure",
        &[
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--allow-insecure-remote",
        ],
    );
    assert!(demo.url.starts_with("ws://0.0.0.0:"), "{}", demo.url);
    let client = Client::connect(demo.loopback_addr(), "anyone").expect("welcomed without token");
    assert!(client.channel_id("echo").is_some());
    demo.stderr_with("INSECURE: listening on 0.0.0.0:");
}

/// Sends a WebSocket upgrade with this Host and Origin; the status line.
fn upgrade_status(addr: SocketAddr, host: &str, origin: &str) -> String {
    use std::io::Write;
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).unwrap();
    head.trim_end().to_owned()
}

#[test]
fn allowed_origins_and_host_names_are_let_in() {
    let demo = Demo::start(
        "origins",
        &[
            "--port",
            "0",
            "--allow-origin",
            "http://localhost:5173",
            "--allow-origin",
            "https://editor.example",
            "--allow-host",
            "game.lan",
        ],
    );
    let addr = demo.loopback_addr();
    let here = addr.to_string();
    for allowed in ["http://localhost:5173", "https://editor.example"] {
        let status = upgrade_status(addr, &here, allowed);
        assert!(status.contains(" 101 "), "{allowed}: {status}");
    }
    let status = upgrade_status(addr, &here, "http://localhost:5174");
    assert!(status.contains(" 403 "), "{status}");
    let lan = format!("game.lan:{}", addr.port());
    let status = upgrade_status(addr, &lan, &format!("http://{lan}"));
    assert!(status.contains(" 101 "), "{status}");
    let evil = format!("evil.example:{}", addr.port());
    let status = upgrade_status(addr, &evil, &format!("http://{evil}"));
    assert!(status.contains(" 403 "), "{status}");
}

#[cfg(feature = "tls")]
mod tls {
    use super::*;

    use common::tls::{TlsSocket, wss_client};

    /// A self-signed certificate for localhost, written where the demo can
    /// read it; returns the PEM (for the client's trust store) and the
    /// certificate and key paths, and a guard that removes both.
    fn certificate(name: &str) -> (String, PathBuf, PathBuf, ScratchFiles) {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        let cert = certified.cert.pem();
        let (cert_path, key_path) = (
            scratch(&format!("{name}.crt")),
            scratch(&format!("{name}.key")),
        );
        std::fs::write(&cert_path, &cert).unwrap();
        std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
        let files = ScratchFiles(vec![cert_path.clone(), key_path.clone()]);
        (cert, cert_path, key_path, files)
    }

    fn welcome_over(ws: &mut TlsSocket, token: Option<&str>) -> Vec<String> {
        ws.send(hello(token)).unwrap();
        let Message::Binary(bytes) = ws.read().unwrap() else {
            panic!("expected a binary frame")
        };
        let frame = verify_frame(&bytes).unwrap();
        let welcome = frame.body_as_welcome().expect("Welcome");
        welcome
            .channels()
            .map(|channels| {
                channels
                    .iter()
                    .filter_map(|c| c.name())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn tls_flags_serve_wss() {
        let (cert, cert_path, key_path, _files) = certificate("loopback");
        let demo = Demo::start(
            "tls",
            &[
                "--port",
                "0",
                "--tls-cert",
                cert_path.to_str().unwrap(),
                "--tls-key",
                key_path.to_str().unwrap(),
            ],
        );
        assert!(demo.url.starts_with("wss://127.0.0.1:"), "{}", demo.url);
        let mut ws = wss_client(demo.loopback_addr(), &cert, PATIENCE);
        assert!(
            welcome_over(&mut ws, None)
                .iter()
                .any(|name| name == "echo")
        );
        // The port speaks TLS only.
        assert!(Client::connect(demo.loopback_addr(), "plain").is_err());
    }

    #[test]
    fn token_and_tls_may_listen_beyond_loopback() {
        let (cert, cert_path, key_path, _files) = certificate("remote");
        let demo = Demo::start(
            "tls-remote",
            &[
                "--bind",
                "0.0.0.0",
                "--port",
                "0",
                "--token",
                "s3cret",
                "--tls-cert",
                cert_path.to_str().unwrap(),
                "--tls-key",
                key_path.to_str().unwrap(),
            ],
        );
        assert!(demo.url.starts_with("wss://0.0.0.0:"), "{}", demo.url);
        let mut ws = wss_client(demo.loopback_addr(), &cert, PATIENCE);
        assert!(!welcome_over(&mut ws, Some("s3cret")).is_empty());
        let logs = demo.stderr_with("switchboard host listening on");
        assert!(!logs.contains("INSECURE"), "{logs}");
    }
}
