//! `switchboard channels` and `call` against a `wss://` host whose
//! certificate a test CA signed (`--ca`), and the blocking client's TLS
//! underneath: the right CA connects, another CA is refused with exit code
//! 5 before anything is said, an unreadable `--ca` is a usage error, and a
//! server that accepts TCP and never speaks TLS times out.
#![cfg(all(feature = "cli", feature = "tls"))]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::start_host;
use switchboard::client::{Client, ClientError, ClientOptions};
use switchboard::{ChannelSpec, DialTlsConfig, Host, HostEvent, TlsConfig};

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the switchboard binary runs")
}

/// A folder of its own for one test's PEM files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("switchboard-cli-wss-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A TLS host with an `echo` channel answered by a thread of its own.
struct SecureGame {
    host: Arc<Host>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SecureGame {
    fn start(cert: &str, key: &str, token: Option<&str>) -> Self {
        let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        let host = Arc::new(start_host(|c| {
            let c = c.tls(tls).host_name("secure-game");
            match token {
                Some(token) => c.token(token),
                None => c,
            }
        }));
        let echo = host
            .advertise(ChannelSpec::new("echo").encoding("text"))
            .unwrap();
        host.advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (host, stop) = (Arc::clone(&host), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(HostEvent::Message(m)) = host.wait_event(Duration::from_millis(20))
                    else {
                        continue;
                    };
                    if let Some(id) = m.request_id().filter(|_| m.channel() == echo) {
                        let _ = host.respond(m.client(), id, m.content().to_vec());
                    }
                }
            })
        };
        SecureGame {
            host,
            stop,
            thread: Some(thread),
        }
    }

    /// `wss://localhost:PORT/`: the name the certificate is for.
    fn url(&self) -> String {
        format!("wss://localhost:{}/", self.host.local_addr().port())
    }
}

impl Drop for SecureGame {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn channels_and_call_over_wss_with_the_test_ca() {
    let (ca, cert, key) = common::tls::ca_and_localhost_cert();
    let scratch = Scratch::new("ok");
    let ca_file = scratch.write("ca.pem", &ca);
    let game = SecureGame::start(&cert, &key, Some("s3cret"));
    let url = game.url();

    let out = switchboard(&["channels", &url, "--ca", &ca_file, "--token", "s3cret"]);
    assert!(out.status.success(), "{out:?}");
    let listed = text(&out.stdout);
    assert!(listed.contains("echo"), "{listed}");
    assert!(listed.contains("telemetry/fps"), "{listed}");

    let out = switchboard(&[
        "channels", &url, "--ca", &ca_file, "--token", "s3cret", "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let names: Vec<String> = text(&out.stdout)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["name"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(names.iter().any(|n| n == "telemetry/fps"), "{names:?}");

    let out = switchboard(&[
        "call", &url, "echo", "over tls", "--ca", &ca_file, "--token", "s3cret",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "over tls\n");

    // The right CA but the wrong token: refused by the host, after TLS.
    let out = switchboard(&["channels", &url, "--ca", &ca_file, "--token", "wrong"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let (_, cert, key) = common::tls::ca_and_localhost_cert();
    let (other_ca, _, _) = common::tls::ca_and_localhost_cert();
    let scratch = Scratch::new("other-ca");
    let other_ca_file = scratch.write("other-ca.pem", &other_ca);
    let game = SecureGame::start(&cert, &key, None);

    let out = switchboard(&["channels", &game.url(), "--ca", &other_ca_file]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("TLS") && stderr.contains("certificate"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_ca_file_is_a_usage_error() {
    let scratch = Scratch::new("bad-ca");
    let missing = scratch.0.join("missing.pem");
    let not_pem = scratch.write("not.pem", "not a certificate\n");
    for ca in [missing.to_string_lossy().into_owned(), not_pem] {
        let out = switchboard(&["channels", "wss://localhost:1/", "--ca", &ca]);
        assert_eq!(out.status.code(), Some(2), "{ca}: {out:?}");
        assert!(text(&out.stderr).contains("--ca"), "{out:?}");
    }
}

#[test]
fn the_client_library_speaks_wss_and_times_out_on_a_silent_server() {
    let (ca, cert, key) = common::tls::ca_and_localhost_cert();
    let game = SecureGame::start(&cert, &key, None);
    let tls = DialTlsConfig::from_ca_pem(ca.as_bytes()).unwrap();
    let addr = game.host.local_addr();
    let mut client =
        Client::connect_tls_with(addr, "localhost", &tls, ClientOptions::new("lib")).unwrap();
    assert_eq!(client.welcome().host_name, "secure-game");
    let echo = client.channel_id("echo").unwrap();
    let answer = client.call(echo, b"ping", Duration::from_secs(5)).unwrap();
    assert_eq!(answer, b"ping");

    // A name the certificate is not for: refused by the TLS check.
    match Client::connect_tls_with(addr, "127.0.0.1", &tls, ClientOptions::new("lib")) {
        Err(ClientError::Tls(reason)) => assert!(reason.contains("certificate"), "{reason}"),
        Err(other) => panic!("expected a TLS error, got {other}"),
        Ok(_) => panic!("a certificate for localhost was accepted for 127.0.0.1"),
    }

    // Accepts TCP, never answers the TLS hello.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = ClientOptions::new("lib");
    options.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let result = Client::connect_tls_with(silent.local_addr().unwrap(), "localhost", &tls, options);
    assert!(
        matches!(result, Err(ClientError::Timeout)),
        "{:?}",
        result.err()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(silent);
}
