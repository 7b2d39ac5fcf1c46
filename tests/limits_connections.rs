//! Bounds on connections, over real sockets: binding, the number of
//! clients, the time allowed for the HTTP and Hello handshakes, and how
//! promptly shutdown closes everyone.

mod common;

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{PATIENCE, client_id, start_host, wait_connected, wait_for};
use switchboard::client::{Client, Incoming};
use switchboard::protocol::verify_frame;
use switchboard::{ChannelSpec, ErrorCode, Host, HostConfig, HostError, HostEvent};
use tungstenite::Message;

/// Reads until the host closes the connection (each read waits at most
/// PATIENCE). A reset counts as a close.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return received,
            Err(e) => panic!("the host did not close the connection: {e} (got {received:?})"),
        }
        assert!(received.len() < 64 << 10, "endless answer");
    }
}

#[test]
fn second_host_on_the_same_port_fails_with_addr_in_use() {
    let first = start_host(|c| c);
    let taken = first.local_addr();
    match Host::start(HostConfig::default().bind(taken)) {
        Err(HostError::Bind { addr, source }) => {
            assert_eq!(addr, taken);
            assert_eq!(source.kind(), io::ErrorKind::AddrInUse, "{source}");
        }
        other => panic!("expected a Bind error, got {other:?}"),
    }
    // The first host is unharmed.
    Client::connect(taken, "still here").unwrap();
}

#[test]
fn address_not_on_this_machine_fails_to_bind() {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
    let addr: SocketAddr = "192.0.2.1:0".parse().unwrap();
    let mut config = HostConfig::default().bind(addr);
    // Past the check that refuses non-loopback addresses without a token
    // and TLS: this test is about the bind itself.
    config.allow_insecure_remote = true;
    match Host::start(config) {
        Err(HostError::Bind {
            addr: asked,
            source,
        }) => {
            assert_eq!(asked, addr);
            assert_eq!(source.kind(), io::ErrorKind::AddrNotAvailable, "{source}");
        }
        other => panic!("expected a Bind error, got {other:?}"),
    }
}

#[test]
fn connection_over_max_clients_gets_503() {
    let host = start_host(|c| c.max_clients(2));
    let first = Client::connect(host.local_addr(), "one").unwrap();
    let mut second = Client::connect(host.local_addr(), "two").unwrap();

    let mut third = TcpStream::connect(host.local_addr()).unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut third)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("max_clients"), "{answer}");
    // A WebSocket client is turned away too.
    assert!(Client::connect(host.local_addr(), "three").is_err());

    // The two admitted clients are unaffected.
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    second.request(rpc.0, b"still ok?").unwrap();
    let message = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(message.content(), b"still ok?");

    // Once one leaves, there is room again.
    let first_id = client_id(&first);
    first.close().unwrap();
    wait_for(&host, |e| match e {
        HostEvent::Disconnected { client, .. } if client == first_id => Some(()),
        _ => None,
    });
    Client::connect(host.local_addr(), "three").expect("room after a client left");
}

#[test]
fn silent_tcp_connection_is_closed_after_the_handshake_timeout() {
    let timeout = Duration::from_millis(300);
    let host = start_host(|c| c.handshake_timeout(timeout));
    let started = Instant::now();
    let mut silent = TcpStream::connect(host.local_addr()).unwrap();
    // Half an HTTP request is no better than none.
    let mut slow = TcpStream::connect(host.local_addr()).unwrap();
    io::Write::write_all(&mut slow, b"GET / HTTP/1.1\r\nHost: localhost\r\n").unwrap();

    assert!(read_until_closed(&mut silent).is_empty());
    assert!(started.elapsed() >= timeout, "closed before the timeout");
    assert!(read_until_closed(&mut slow).is_empty());
    assert!(started.elapsed() >= timeout);
    // Neither ever became a client.
    assert!(host.try_event().is_none());
    Client::connect(host.local_addr(), "prompt").expect("prompt clients are welcome");
}

#[test]
fn websocket_without_hello_is_closed_with_4001() {
    let timeout = Duration::from_millis(300);
    let host = start_host(|c| c.handshake_timeout(timeout));
    let chat = host
        .advertise(ChannelSpec::new("chat").clients_may_publish())
        .unwrap();
    // A prompt client, accepted before the silent one: its own handshake
    // deadline has passed by the time the silent one is closed.
    let mut prompt = Client::connect(host.local_addr(), "prompt").unwrap();
    wait_connected(&host, prompt.welcome().client_id);

    let started = Instant::now();
    let mut ws = Client::open_socket(host.local_addr()).unwrap();
    ws.get_mut().set_read_timeout(Some(PATIENCE)).unwrap();
    let mut error = None;
    let close = loop {
        match ws.read() {
            Ok(Message::Binary(bytes)) => {
                let frame = verify_frame(&bytes).unwrap();
                let e = frame
                    .body_as_error()
                    .expect("only an Error before the close");
                error = Some((e.code(), e.message().unwrap_or_default().to_owned()));
            }
            Ok(Message::Close(frame)) => break frame.expect("a close code"),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert!(started.elapsed() >= timeout, "closed before the timeout");
    assert_eq!(u16::from(close.code), 4001, "{}", close.reason);
    assert!(!close.reason.is_empty());
    let (code, message) = error.expect("an Error frame explains the close");
    assert_eq!(code, ErrorCode::HandshakeRequired, "{message}");

    prompt.publish(chat.0, b"unaffected").unwrap();
    let first = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        HostEvent::Connected(info) => panic!("the silent socket got in: {info:?}"),
        _ => None,
    });
    assert_eq!(first.content(), b"unaffected");
}

#[test]
fn shutdown_closes_clients_with_1001_and_returns_promptly() {
    let host = start_host(|c| c);
    let addr = host.local_addr();
    let mut readers = Vec::new();
    for name in ["one", "two", "three"] {
        let mut client = Client::connect(addr, name).unwrap();
        readers.push(thread::spawn(move || {
            // At most one wait: nothing but the close is sent to it.
            match client.recv(PATIENCE) {
                Ok(Incoming::Closed { code, reason }) => (code, reason),
                other => panic!("expected a close, got {other:?}"),
            }
        }));
    }
    // One more that does not read during the shutdown at all.
    let mut idle = Client::connect(addr, "idle").unwrap();
    for _ in 0..4 {
        wait_for(&host, |e| {
            matches!(e, HostEvent::Connected(_)).then_some(())
        });
    }

    let started = Instant::now();
    host.shutdown();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");

    for reader in readers {
        let (code, reason) = reader.join().unwrap();
        assert_eq!(code, 1001, "{reason}");
        assert!(!reason.is_empty());
    }
    match idle.recv(PATIENCE) {
        Ok(Incoming::Closed { code, .. }) => assert_eq!(code, 1001),
        other => panic!("expected a close, got {other:?}"),
    }
}
