//! Every bound the host keeps, over real sockets: binding, client count,
//! handshake time, slow consumers on reliable and latest channels, shutdown,
//! request timeouts and the number of requests in flight.

mod common;

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{PATIENCE, start_host, wait_connected, wait_for};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::protocol::{encode_data, verify_frame};
use switchboard::{
    ChannelId, ChannelSpec, ClientId, ErrorCode, Host, HostConfig, HostError, HostEvent, Limits,
    RequestFailure, RequestId,
};
use tungstenite::Message;

/// Tests that push megabytes through the host take turns, so that one's
/// memory use does not show up in another's measurement.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy_turn() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
}

fn client_id(client: &Client) -> ClientId {
    ClientId(client.welcome().client_id)
}

/// A content of `len` bytes that names its index.
fn numbered(index: u64, len: usize) -> Bytes {
    let mut content = vec![(index % 251) as u8; len];
    content[..8].copy_from_slice(&index.to_le_bytes());
    Bytes::from(content)
}

fn index_of(content: &[u8]) -> u64 {
    u64::from_le_bytes(content[..8].try_into().unwrap())
}

/// Publishes, waiting for room while the command queue is full (as a game
/// would retry next frame).
fn publish_patiently(host: &Host, channel: ChannelId, content: Bytes, deadline: Instant) {
    loop {
        match host.publish(channel, content.clone()) {
            Ok(()) => return,
            Err(HostError::QueueFull(_)) if Instant::now() < deadline => {
                thread::sleep(Duration::from_micros(100));
            }
            Err(e) => panic!("publish failed: {e}"),
        }
    }
}

/// Resident memory of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

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

/// A client reading a reliable channel on its own thread.
struct Reader {
    /// Messages received so far.
    progress: Arc<AtomicU64>,
    thread: thread::JoinHandle<Result<Client, String>>,
}

/// Reads `channel` on its own thread, checking order and content, until it
/// has `total` messages (unknown while it is 0); then hands the client back,
/// still connected.
fn spawn_reader(
    mut client: Client,
    channel: u32,
    total: Arc<AtomicU64>,
    deadline: Instant,
) -> Reader {
    let progress = Arc::new(AtomicU64::new(0));
    let received = Arc::clone(&progress);
    let thread = thread::spawn(move || {
        let mut count = 0u64;
        loop {
            let known = total.load(Ordering::Acquire);
            if known != 0 && count == known {
                return Ok(client);
            }
            if Instant::now() > deadline {
                return Err(format!("{count} of {known} messages before the deadline"));
            }
            match client.recv(Duration::from_millis(500)) {
                Ok(Incoming::Data {
                    channel: c,
                    sequence,
                    content,
                    ..
                }) => {
                    count += 1;
                    if c != channel || sequence != count || index_of(&content) != count {
                        return Err(format!(
                            "message {count}: channel {c}, sequence {sequence}, index {}",
                            index_of(&content)
                        ));
                    }
                    received.store(count, Ordering::Release);
                }
                Ok(other) => return Err(format!("after {count} messages: {other:?}")),
                Err(ClientError::Timeout) => {}
                Err(e) => return Err(format!("after {count} messages: {e}")),
            }
        }
    });
    Reader { progress, thread }
}

#[test]
fn client_that_stops_reading_a_reliable_channel_is_cut_off_as_slow_consumer() {
    let _turn = heavy_turn();
    const QUEUE: usize = 256;
    let host = start_host(|c| {
        c.limits(Limits {
            outbound_queue_messages: QUEUE,
            command_queue: 64,
            ..Limits::default()
        })
    });
    let feed = host.advertise(ChannelSpec::new("feed")).unwrap();
    let mut slow = Client::connect(host.local_addr(), "slow").unwrap();
    slow.subscribe(&[feed.0], &[]).unwrap();
    let slow_id = client_id(&slow);

    let total = Arc::new(AtomicU64::new(0));
    let readers_deadline = Instant::now() + Duration::from_secs(60);
    let mut readers = Vec::new();
    for name in ["reader one", "reader two"] {
        let mut reader = Client::connect(host.local_addr(), name).unwrap();
        reader.subscribe(&[feed.0], &[]).unwrap();
        readers.push(spawn_reader(
            reader,
            feed.0,
            Arc::clone(&total),
            readers_deadline,
        ));
    }

    // The readers are never more than half a queue behind the game (the
    // game waits for them), so the host has no reason to drop them, however
    // slowly this machine runs them. The slow client never reads at all.
    let window = (QUEUE / 2) as u64;
    const MAX_MESSAGES: u64 = 200_000;
    let publish_deadline = Instant::now() + Duration::from_secs(20);
    let mut published = 0;
    let mut cut_off = None;
    while cut_off.is_none() && published < MAX_MESSAGES && Instant::now() < publish_deadline {
        let slowest = readers
            .iter()
            .map(|r| r.progress.load(Ordering::Acquire))
            .min()
            .unwrap_or(0);
        if published - slowest < window {
            published += 1;
            publish_patiently(&host, feed, numbered(published, 1024), publish_deadline);
        } else {
            thread::sleep(Duration::from_micros(100));
        }
        while let Some(event) = host.try_event() {
            match event {
                HostEvent::Disconnected { client, reason } if client == slow_id => {
                    cut_off = Some(reason);
                }
                HostEvent::Disconnected { client, reason } => {
                    panic!("{client}, which reads, was disconnected: {reason}")
                }
                _ => {}
            }
        }
    }
    let reason = cut_off.unwrap_or_else(|| {
        panic!("the client that never reads is still connected after {published} messages")
    });
    assert!(reason.contains("slow consumer"), "{reason}");
    total.store(published, Ordering::Release);

    // The readers got everything, in order.
    let readers: Vec<Client> = readers
        .into_iter()
        .map(|r| r.thread.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
        .collect();

    // The slow client, reading at last, finds an unbroken prefix of the
    // stream and then the close that explains why it ends.
    let mut expected = 1;
    let close = loop {
        assert!(expected <= published, "more messages than were published");
        match slow.recv(PATIENCE) {
            Ok(Incoming::Data {
                sequence, content, ..
            }) => {
                assert_eq!(sequence, expected, "a reliable stream has no gaps");
                assert_eq!(index_of(&content), expected);
                expected += 1;
            }
            Ok(Incoming::Closed { code, reason }) => break (code, reason),
            other => panic!("after {} messages: {other:?}", expected - 1),
        }
    };
    assert_eq!(close.0, 4000, "{}", close.1);
    assert!(close.1.contains("slow consumer"), "{}", close.1);
    assert!(
        expected - 1 < published,
        "the slow client cannot have it all"
    );

    // The readers are still connected.
    for mut reader in readers {
        host.send_to(client_id(&reader), feed, &b"still there"[..])
            .unwrap();
        match reader.recv(PATIENCE) {
            Ok(Incoming::Data { content, .. }) => assert_eq!(content, b"still there"),
            other => panic!("expected Data, got {other:?}"),
        }
    }
}

#[test]
fn latest_channel_conflates_for_a_client_that_does_not_read() {
    let _turn = heavy_turn();
    let host = start_host(|c| {
        c.limits(Limits {
            command_queue: 1024,
            ..Limits::default()
        })
    });
    let telemetry = host
        .advertise(ChannelSpec::new("telemetry/frame").latest())
        .unwrap();
    let marker = host.advertise(ChannelSpec::new("marker")).unwrap();
    let mut sleeper = Client::connect(host.local_addr(), "sleeper").unwrap();
    sleeper.subscribe(&[telemetry.0], &[]).unwrap();
    let sleeper_id = client_id(&sleeper);
    let mut witness = Client::connect(host.local_addr(), "witness").unwrap();
    witness.subscribe(&[marker.0], &[]).unwrap();

    // 100 000 messages of 1 KiB: over 100 MiB of frames if all were kept.
    const MESSAGES: u64 = 100_000;
    const SIZE: usize = 1024;
    let rss_before = rss_bytes();
    let mut rss_peak = rss_before;
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 1..=MESSAGES {
        publish_patiently(&host, telemetry, numbered(i, SIZE), deadline);
        if i % 16 == 0 {
            // A round trip through the network thread, which runs commands
            // in order: every publish so far has been handled. Without these
            // pauses the thread would take thousands of publishes per turn
            // and conflate them whether or not the client reads; with them
            // it writes often enough to fill the sleeper's socket first.
            publish_patiently(&host, marker, numbered(i, 8), deadline);
            match witness.recv(PATIENCE) {
                Ok(Incoming::Data { content, .. }) => assert_eq!(index_of(&content), i),
                other => panic!("expected marker {i}, got {other:?}"),
            }
        }
        if i % 1000 == 0 {
            rss_peak = rss_peak.max(rss_bytes());
        }
    }
    rss_peak = rss_peak.max(rss_bytes());
    let growth = rss_peak.saturating_sub(rss_before);
    assert!(
        growth < 64 << 20,
        "memory grew by {} MiB while a client did not read a latest channel",
        growth >> 20
    );

    // Reading at last: the newest value arrives, older ones were skipped.
    let mut sequences: Vec<u64> = Vec::new();
    let read_deadline = Instant::now() + PATIENCE * 3;
    while sequences.last() != Some(&MESSAGES) {
        assert!(
            Instant::now() < read_deadline,
            "the last message never came ({} read, last {:?})",
            sequences.len(),
            sequences.last()
        );
        match sleeper.recv(PATIENCE) {
            Ok(Incoming::Data {
                channel,
                sequence,
                content,
                ..
            }) => {
                assert_eq!(channel, telemetry.0);
                assert_eq!(index_of(&content), sequence, "content matches its sequence");
                assert_eq!(content.len(), SIZE);
                sequences.push(sequence);
            }
            other => panic!("after {} messages: {other:?}", sequences.len()),
        }
    }
    let received = sequences.len() as u64;
    assert!(
        received < MESSAGES / 4,
        "{received} of {MESSAGES} delivered: hardly conflated"
    );
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers strictly increase"
    );
    assert!(
        sequences.windows(2).any(|w| w[1] - w[0] > 1),
        "gaps show what was skipped"
    );

    // Not disconnected: it still talks to the host.
    sleeper.subscribe(&[marker.0], &[]).unwrap();
    host.publish(marker, &b"again"[..]).unwrap();
    match sleeper.recv(PATIENCE) {
        Ok(Incoming::Data { channel, .. }) => assert_eq!(channel, marker.0),
        other => panic!("expected the marker, got {other:?}"),
    }
    while let Some(event) = host.try_event() {
        if let HostEvent::Disconnected { client, reason } = event {
            assert_ne!(client, sleeper_id, "disconnected: {reason}");
        }
    }
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

#[test]
fn unanswered_client_request_gets_timeout_with_its_id() {
    let timeout = Duration::from_millis(200);
    let host = start_host(|c| c.request_timeout(timeout));
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "asker").unwrap();
    assert_eq!(client.welcome().request_timeout_ms, 200);
    let me = client_id(&client);

    let started = Instant::now();
    let id = client.request(rpc.0, b"anyone?").unwrap();
    let request = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(request.request_id(), Some(RequestId(id)));
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            message,
            request_id,
            channel,
        }) => {
            assert_eq!(code, ErrorCode::Timeout, "{message}");
            assert_eq!((request_id, channel), (id, rpc.0), "{message}");
        }
        other => panic!("expected a Timeout error, got {other:?}"),
    }
    assert!(started.elapsed() >= timeout, "timed out early");

    // A late answer is dropped, not delivered.
    host.respond(me, RequestId(id), &b"too late"[..]).unwrap();
    // Subscribing is a round trip that follows the late answer; anything
    // sent before its confirmation would be waiting now.
    client.subscribe(&[rpc.0], &[]).unwrap();
    assert!(matches!(
        client.recv(Duration::from_millis(1)),
        Err(ClientError::Timeout)
    ));
    // The id is free again.
    client
        .send_frame(encode_data(rpc.0, id, 0, 0, b"again"))
        .unwrap();
    let request = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(request.request_id(), Some(RequestId(id)));
    assert_eq!(request.content(), b"again");
    host.respond(me, RequestId(id), &b"now"[..]).unwrap();
    assert_eq!(client.wait_response(id, PATIENCE).unwrap(), b"now");
}

#[test]
fn host_request_that_the_client_never_answers_fails_with_timeout() {
    let host = start_host(|c| c);
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "mute").unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);

    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let request_id = host.request(me, rpc, &b"ping"[..], Some(timeout)).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Data {
            request_id: got,
            content,
            ..
        }) => {
            assert_eq!(got, request_id.0);
            assert_eq!(content, b"ping");
        }
        other => panic!("expected the request, got {other:?}"),
    }
    let (failed_id, reason) = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            client,
            request_id,
            reason,
        } if client == me => Some((request_id, reason)),
        HostEvent::Disconnected { reason, .. } => panic!("disconnected: {reason}"),
        _ => None,
    });
    assert!(started.elapsed() >= timeout, "failed early");
    assert_eq!(failed_id, request_id);
    assert_eq!(reason, RequestFailure::Timeout);

    // A late answer is refused, and the game does not hear of it.
    client.respond(request_id.0, rpc.0, Ok(b"pong")).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            request_id: r,
            ..
        }) => {
            assert_eq!(code, ErrorCode::UnknownRequest);
            assert_eq!(r, request_id.0);
        }
        other => panic!("expected UnknownRequest, got {other:?}"),
    }
    assert!(host.try_event().is_none());
}

#[test]
fn client_that_leaves_with_a_host_request_in_flight() {
    let host = start_host(|c| c);
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "leaver").unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);

    let request_id = host.request(me, rpc, &b"ping"[..], Some(PATIENCE)).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Data {
            request_id: got, ..
        }) => assert_eq!(got, request_id.0),
        other => panic!("expected the request, got {other:?}"),
    }
    let started = Instant::now();
    client.close().unwrap();

    let mut seen = Vec::new();
    wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            client,
            request_id: r,
            reason,
        } if client == me => {
            seen.push(format!("failed {} {reason:?}", r.0));
            None
        }
        HostEvent::Disconnected { client, .. } if client == me => {
            seen.push("disconnected".to_owned());
            Some(())
        }
        _ => None,
    });
    assert_eq!(
        seen,
        [
            format!("failed {} ClientGone", request_id.0),
            "disconnected".to_owned()
        ]
    );
    assert!(started.elapsed() < PATIENCE, "not the request timeout");

    // Asking a client that is gone fails at once.
    let late = host.request(me, rpc, &b"ping"[..], None).unwrap();
    let reason = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            request_id, reason, ..
        } if request_id == late => Some(reason),
        _ => None,
    });
    assert_eq!(reason, RequestFailure::ClientGone);
}

#[test]
fn request_over_max_pending_requests_is_overloaded() {
    let host = start_host(|c| {
        c.limits(Limits {
            max_pending_requests: 4,
            ..Limits::default()
        })
    });
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "eager").unwrap();
    assert_eq!(client.welcome().max_pending_requests, 4);
    let me = client_id(&client);

    let ids: Vec<u64> = (0..5)
        .map(|i| client.request(rpc.0, format!("q{i}").as_bytes()).unwrap())
        .collect();
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            message,
            request_id,
            channel,
        }) => {
            assert_eq!(code, ErrorCode::Overloaded, "{message}");
            assert_eq!((request_id, channel), (ids[4], rpc.0), "{message}");
        }
        other => panic!("expected Overloaded, got {other:?}"),
    }
    // The first four reached the game; the fifth did not.
    let mut delivered = Vec::new();
    while delivered.len() < 4 {
        let message = wait_for(&host, |e| match e {
            HostEvent::Message(m) => Some(m),
            _ => None,
        });
        delivered.push(message.request_id().unwrap().0);
    }
    assert_eq!(delivered, ids[..4]);

    // Answering one makes room for another.
    host.respond(me, RequestId(ids[0]), &b"a0"[..]).unwrap();
    assert_eq!(client.wait_response(ids[0], PATIENCE).unwrap(), b"a0");
    let sixth = client.request(rpc.0, b"q5").unwrap();
    let message = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(message.request_id(), Some(RequestId(sixth)));
    assert_eq!(message.content(), b"q5");
}

#[test]
fn host_request_over_max_pending_requests_fails_at_once() {
    let host = start_host(|c| {
        c.limits(Limits {
            max_pending_requests: 4,
            ..Limits::default()
        })
    });
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let client = Client::connect(host.local_addr(), "busy").unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);

    let ids: Vec<RequestId> = (0..5)
        .map(|_| host.request(me, rpc, &b"q"[..], Some(PATIENCE)).unwrap())
        .collect();
    let (failed, reason) = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            request_id, reason, ..
        } => Some((request_id, reason)),
        _ => None,
    });
    assert_eq!(failed, ids[4]);
    assert_eq!(reason, RequestFailure::TooManyInFlight);
    drop(client);
}
