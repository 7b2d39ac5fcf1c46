//! Access control over real sockets: Origin and Host checks at the
//! handshake, the rule for non-loopback addresses, and TLS (feature `tls`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::start_host;
use switchboard::client::Client;
use switchboard::{Host, HostConfig, HostError};

/// Sends a WebSocket upgrade with the given Host and Origin, returns the
/// status line of the answer.
fn upgrade_status(addr: std::net::SocketAddr, host: &str, origin: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\n{origin}Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn foreign_origins_are_refused_and_own_origin_allowed() {
    let host = start_host(|c| c.allow_origin("http://localhost:5173"));
    let addr = host.local_addr();
    let own = format!("http://{addr}");
    let here = addr.to_string();
    assert!(upgrade_status(addr, &here, Some(&own)).contains("101"));
    assert!(
        upgrade_status(addr, &here, None).contains("101"),
        "no Origin: not a browser"
    );
    assert!(upgrade_status(addr, &here, Some("http://localhost:5173")).contains("101"));
    for evil in ["https://evil.example", "null", "http://localhost:5174"] {
        let status = upgrade_status(addr, &here, Some(evil));
        assert!(status.contains("403"), "{evil}: {status}");
    }
}

#[test]
fn rebinding_host_names_are_refused() {
    let host = start_host(|c| c.allow_host("game.lan"));
    let addr = host.local_addr();
    let port = addr.port();
    let status = upgrade_status(addr, &format!("evil.example:{port}"), None);
    assert!(status.contains("403"), "{status}");
    let origin = format!("http://evil.example:{port}");
    let status = upgrade_status(addr, &format!("evil.example:{port}"), Some(&origin));
    assert!(
        status.contains("403"),
        "same-origin on a rebinding name: {status}"
    );
    assert!(upgrade_status(addr, &format!("localhost:{port}"), None).contains("101"));
    assert!(upgrade_status(addr, &format!("game.lan:{port}"), None).contains("101"));
    // The host goes on serving ordinary clients.
    Client::connect(addr, "after").unwrap();
}

#[test]
fn non_loopback_needs_token_and_tls_or_an_explicit_opt_out() {
    common::init_logs();
    let any = HostConfig::default().bind("0.0.0.0:0".parse().unwrap());
    match Host::start(any.clone().token("t")) {
        Err(HostError::InvalidConfig(reason)) => assert!(reason.contains("TLS"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        Host::start(any.clone()),
        Err(HostError::InvalidConfig(_))
    ));
    let mut opted_out = any;
    opted_out.allow_insecure_remote = true;
    let host = Host::start(opted_out).expect("explicit opt-out starts");
    assert!(host.local_addr().ip().is_unspecified());
}

#[cfg(feature = "tls")]
mod tls {

    use super::*;
    use switchboard::TlsConfig;
    use switchboard::protocol::{HelloArgs, encode_hello, verify_frame};
    use tungstenite::Message;

    fn certificate() -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[test]
    fn wss_with_a_certificate_made_in_the_test() {
        let (cert, key) = certificate();
        let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        let host = start_host(|c| c.tls(tls));
        let mut ws = common::tls::wss_client(host.local_addr(), &cert, Duration::from_secs(5));
        ws.send(Message::Binary(encode_hello(&HelloArgs {
            client_name: "secure",
            protocol_versions: &[1],
            token: None,
        })))
        .unwrap();
        let reply = ws.read().unwrap();
        let Message::Binary(bytes) = reply else {
            panic!("expected Welcome, got {reply:?}")
        };
        let welcome = verify_frame(&bytes).unwrap().body_as_welcome().unwrap();
        assert_eq!(welcome.protocol_version(), 1);
        // A plain-text client cannot talk to the TLS port.
        assert!(Client::connect(host.local_addr(), "plain").is_err());
    }

    #[test]
    fn non_loopback_with_token_and_tls_starts() {
        let (cert, key) = certificate();
        let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        common::init_logs();
        let config = HostConfig::default()
            .bind("0.0.0.0:0".parse().unwrap())
            .token("secret")
            .tls(tls);
        Host::start(config).expect("token + TLS may listen beyond loopback");
    }

    #[test]
    fn bad_pem_is_a_clear_error() {
        assert!(TlsConfig::from_pem(b"not pem", b"not pem").is_err());
    }
}
