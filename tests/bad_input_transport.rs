//! Bad input below the IPC protocol, over real sockets: a message over
//! `max_message_size` (close 1009), WebSocket protocol violations (close
//! 1002), HTTP requests that are not upgrades (an HTTP error status) and
//! bytes that are not HTTP at all (400). The offending connection is
//! closed with a reason; the witness and newcomers are still served.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use common::misbehaving::Fixture;
use common::raw_ws::{MASK, RawWs, WS_KEY};
use common::{PATIENCE, wait_connected, wait_for};
use switchboard::client::{Client, Incoming};
use switchboard::protocol::encode_data;
use switchboard::{ClientId, ErrorCode, HostEvent};

#[test]
fn oversized_message_closes_with_1009_and_others_are_served() {
    let mut f = Fixture::with(|c| c.max_message_size(64 << 10));
    assert_eq!(f.bad.welcome().max_message_size, 64 << 10);
    // Just under the limit is fine.
    let big = vec![5u8; 60 << 10];
    f.bad.publish(f.chat.0, &big).unwrap();
    assert_eq!(f.next_message_from(f.bad_id).content(), big.as_slice());

    f.send_bad(encode_data(f.chat.0, 0, 0, 0, &vec![6u8; 256 << 10]));
    // At most one Error (TooLarge) may explain the close before it comes.
    let mut explained = false;
    let (code, reason) = loop {
        match f.bad.recv(PATIENCE) {
            Ok(Incoming::Closed { code, reason }) => break (code, reason),
            Ok(Incoming::Error { code, message, .. }) if !explained => {
                assert_eq!(code, ErrorCode::TooLarge, "{message}");
                explained = true;
            }
            other => panic!("expected a close, got {other:?}"),
        }
    };
    assert_eq!(code, 1009, "{reason}");
    assert!(!reason.is_empty(), "the close explains itself");

    let bad_id = f.bad_id;
    let reason = wait_for(&f.host, |e| match e {
        HostEvent::Disconnected { client, reason } if client == bad_id => Some(reason),
        HostEvent::Message(m) if m.client() == bad_id => {
            panic!("the oversized message reached the game")
        }
        _ => None,
    });
    assert!(reason.contains("1009"), "{reason}");

    f.witness_still_works();
    let mut newcomer = Client::connect(f.addr(), "newcomer").unwrap();
    let newcomer_id = ClientId(newcomer.welcome().client_id);
    wait_connected(&f.host, newcomer_id.0);
    newcomer.publish(f.chat.0, b"hi").unwrap();
    assert_eq!(f.next_message_from(newcomer_id).content(), b"hi");
}

#[test]
fn websocket_protocol_violations_close_with_1002() {
    let mut f = Fixture::new();
    let data = encode_data(f.chat.0, 0, 0, 0, b"raw");
    let violations: [(&str, u8, Option<[u8; 4]>); 4] = [
        ("unmasked frame", 0x82, None),
        ("reserved opcode 0x3", 0x83, Some(MASK)),
        ("RSV1 without an extension", 0xC2, Some(MASK)),
        ("fragmented ping", 0x09, Some(MASK)),
    ];
    for (what, first, mask) in violations {
        let mut raw = RawWs::connect(f.addr());
        let raw_id = wait_for(&f.host, |e| match e {
            HostEvent::Connected(info) if info.name == "raw" => Some(info.id),
            _ => None,
        });
        // A well-formed frame first: the raw connection really works.
        raw.write_frame(0x82, &data, Some(MASK));
        assert_eq!(f.next_message_from(raw_id).content(), b"raw");

        raw.write_frame(first, &data, mask);
        let (code, reason) = raw.read_close();
        assert_eq!(code, 1002, "{what}: {reason}");
        assert!(!reason.is_empty(), "{what}: the close explains itself");
        drop(raw);
        let reason = wait_for(&f.host, |e| match e {
            HostEvent::Disconnected { client, reason } if client == raw_id => Some(reason),
            _ => None,
        });
        assert!(reason.contains("1002"), "{what}: {reason}");
    }
    f.both_still_work();
}

/// Writes `request` on a fresh TCP connection and reads the answer until
/// the host closes (each read waits at most PATIENCE).
fn http_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            // A reset after the answer still leaves the answer.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && !answer.is_empty() => break,
            Err(e) => panic!("reading the HTTP answer: {e} (so far: {answer:?})"),
        }
        assert!(answer.len() < 64 << 10, "endless HTTP answer");
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn http_requests_that_are_not_upgrades_get_an_http_answer() {
    let mut f = Fixture::new();
    let cases: [(&str, String, &str); 5] = [
        (
            "plain GET",
            "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_owned(),
            "HTTP/1.1 426",
        ),
        (
            "old WebSocket version",
            format!(
                "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: {WS_KEY}\r\n\r\n"
            ),
            "HTTP/1.1 426",
        ),
        (
            "upgrade without a key",
            "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
                .to_owned(),
            "HTTP/1.1 400",
        ),
        (
            "upgrade without Connection: Upgrade",
            format!(
                "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {WS_KEY}\r\n\r\n"
            ),
            "HTTP/1.1 400",
        ),
        (
            "POST upgrade",
            format!(
                "POST / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {WS_KEY}\r\n\r\n"
            ),
            "HTTP/1.1 405",
        ),
    ];
    for (what, request, status) in cases {
        let answer = http_exchange(f.addr(), request.as_bytes());
        assert!(answer.starts_with(status), "{what}: {answer}");
        assert!(
            answer.contains("\r\n\r\n"),
            "{what}: no end of head: {answer}"
        );
        if status == "HTTP/1.1 426" {
            // RFC 9110, 15.5.22: a 426 response MUST carry an Upgrade header.
            let lower = answer.to_ascii_lowercase();
            assert!(
                lower.contains("\r\nupgrade: websocket\r\n"),
                "{what}: {answer}"
            );
        }
        if what == "old WebSocket version" {
            // RFC 6455, 4.4: name the versions the host speaks.
            assert!(answer.contains("Sec-WebSocket-Version: 13"), "{answer}");
        }
    }
    f.both_still_work();
}

#[test]
fn garbage_instead_of_http_gets_400() {
    let mut f = Fixture::new();
    // The start of a TLS ClientHello: someone tried wss:// on this port.
    let tls = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x9a, 0x4c,
    ];
    let garbage: [&[u8]; 3] = [
        b"\x00\x01\x02 garbage\r\n\r\n",
        &tls,
        b"HELLO THERE \x7f\x7f\r\n\r\n",
    ];
    for bytes in garbage {
        let answer = http_exchange(f.addr(), bytes);
        assert!(answer.starts_with("HTTP/1.1 400"), "{bytes:?}: {answer}");
    }
    f.both_still_work();
}
