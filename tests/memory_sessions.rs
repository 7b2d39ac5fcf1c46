//! The session core over the in-memory transport: the same rules as over a
//! WebSocket (Hello first, limits, delivery policies, requests both ways,
//! backpressure, close codes), with no socket anywhere.

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, start_host, wait_for};
use switchboard::client::{Client, ClientError, ClientOptions, Incoming};
use switchboard::memory::{MemoryConnection, MemoryError, MemoryIncoming};
use switchboard::protocol::{
    HelloArgs, encode_data, encode_hello, encode_response, encode_subscribe, verify_frame,
};
use switchboard::{ChannelSpec, ErrorCode, HostEvent, Peer, RequestFailure};

/// The next frame or close, skipping nothing.
fn next(conn: &mut MemoryConnection) -> MemoryIncoming {
    conn.recv(PATIENCE).expect("the host answers")
}

fn hello(name: &str) -> bytes::Bytes {
    encode_hello(&HelloArgs {
        client_name: name,
        protocol_versions: &[1],
        token: None,
    })
}

fn error_code(frame: &MemoryIncoming) -> Option<ErrorCode> {
    let MemoryIncoming::Frame(bytes) = frame else {
        return None;
    };
    verify_frame(bytes).ok()?.body_as_error().map(|e| e.code())
}

#[test]
fn handshake_and_connected_event_name_the_memory_peer() {
    let host = start_host(|c| c.host_name("memory test"));
    let client = Client::over_memory(host.connect_in_memory().unwrap(), "in-process").unwrap();
    assert_eq!(client.welcome().host_name, "memory test");
    let info = wait_for(&host, |e| match e {
        HostEvent::Connected(info) => Some(info),
        _ => None,
    });
    assert_eq!(info.name, "in-process");
    assert_eq!(info.peer, Peer::Memory);
    assert_eq!(info.addr(), None);
    assert_eq!(info.id.0, client.welcome().client_id);
}

#[test]
fn hello_comes_first() {
    let host = start_host(|c| c);
    let mut conn = host.connect_in_memory().unwrap();
    conn.send(encode_subscribe(1, &[], &["**"]), PATIENCE)
        .unwrap();
    assert_eq!(
        error_code(&next(&mut conn)),
        Some(ErrorCode::HandshakeRequired)
    );
    conn.send(hello("late"), PATIENCE).unwrap();
    let MemoryIncoming::Frame(welcome) = next(&mut conn) else {
        panic!("expected Welcome");
    };
    assert!(verify_frame(&welcome).unwrap().body_as_welcome().is_some());
}

#[test]
fn wrong_token_is_closed_with_4003() {
    let host = start_host(|c| c.token("sesame"));
    let mut options = ClientOptions::new("guess");
    options.token = Some("wrong".to_owned());
    match Client::over_memory_with(host.connect_in_memory().unwrap(), options) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Unauthorized),
        Err(other) => panic!("expected a refusal, got {other:?}"),
        Ok(_) => panic!("a wrong token was welcomed"),
    }
    let mut conn = host.connect_in_memory().unwrap();
    conn.send(hello("no token"), PATIENCE).unwrap();
    assert_eq!(error_code(&next(&mut conn)), Some(ErrorCode::Unauthorized));
    match next(&mut conn) {
        MemoryIncoming::Closed { code, reason } => {
            assert_eq!(code, 4003);
            assert!(reason.contains("token"), "{reason}");
        }
        other => panic!("expected the 4003 close, got {other:?}"),
    }
}

#[test]
fn no_hello_in_time_is_closed_with_4001() {
    let host = start_host(|c| c.handshake_timeout(Duration::from_millis(200)));
    let mut conn = host.connect_in_memory().unwrap();
    assert_eq!(
        error_code(&next(&mut conn)),
        Some(ErrorCode::HandshakeRequired)
    );
    assert!(matches!(
        next(&mut conn),
        MemoryIncoming::Closed { code: 4001, .. }
    ));
}

#[test]
fn publish_reaches_subscribers_in_order_with_sequences() {
    let host = start_host(|c| c);
    let scene = host.advertise(ChannelSpec::new("scene/entities")).unwrap();
    let mut client = Client::over_memory(host.connect_in_memory().unwrap(), "sub").unwrap();
    client.subscribe(&[], &["scene/*"]).unwrap();
    for i in 0..500u32 {
        host.publish(scene, i.to_le_bytes().to_vec()).unwrap();
    }
    for i in 0..500u32 {
        match client.recv(PATIENCE).unwrap() {
            Incoming::Data {
                channel,
                sequence,
                content,
                ..
            } => {
                assert_eq!((channel, sequence), (scene.0, u64::from(i) + 1));
                assert_eq!(content, i.to_le_bytes());
            }
            other => panic!("expected Data, got {other:?}"),
        }
    }
}

#[test]
fn requests_both_ways_with_many_in_flight() {
    let host = start_host(|c| c);
    let rpc = host
        .advertise(ChannelSpec::new("rpc").clients_may_publish())
        .unwrap();
    let mut conn = host.connect_in_memory().unwrap();
    conn.send(hello("rpc"), PATIENCE).unwrap();
    let MemoryIncoming::Frame(_welcome) = next(&mut conn) else {
        panic!("expected Welcome");
    };
    let client = wait_for(&host, |e| match e {
        HostEvent::Connected(info) => Some(info.id),
        _ => None,
    });
    // Client -> game: 100 requests in flight, answered in reverse.
    for id in 1..=100u64 {
        conn.send(encode_data(rpc.0, id, 0, 0, &id.to_le_bytes()), PATIENCE)
            .unwrap();
    }
    let mut asked = Vec::new();
    while asked.len() < 100 {
        if let Some(HostEvent::Message(m)) = host.wait_event(PATIENCE) {
            asked.push((m.request_id().unwrap(), m.content().to_vec()));
        }
    }
    for (request, content) in asked.iter().rev() {
        host.respond(client, *request, content.clone()).unwrap();
    }
    for expected in (1..=100u64).rev() {
        let MemoryIncoming::Frame(frame) = next(&mut conn) else {
            panic!("expected a Response");
        };
        let frame = verify_frame(&frame).unwrap();
        let response = frame.body_as_response().expect("a Response");
        assert_eq!(response.request_id(), expected);
        assert_eq!(response.content().unwrap().bytes(), expected.to_le_bytes());
    }
    // Game -> client: a request answered, one left to time out.
    let answered = host
        .request(client, rpc, b"ping".to_vec(), Some(PATIENCE))
        .unwrap();
    let MemoryIncoming::Frame(frame) = next(&mut conn) else {
        panic!("expected the game's request");
    };
    let request_id = verify_frame(&frame)
        .unwrap()
        .body_as_data()
        .unwrap()
        .request_id();
    assert_eq!(request_id, answered.0);
    conn.send(encode_response(request_id, rpc.0, Ok(b"pong")), PATIENCE)
        .unwrap();
    let response = wait_for(&host, |e| match e {
        HostEvent::Response(r) => Some(r),
        _ => None,
    });
    assert_eq!(response.result(), Ok(&b"pong"[..]));
    let unanswered = host
        .request(
            client,
            rpc,
            b"ignored".to_vec(),
            Some(Duration::from_millis(100)),
        )
        .unwrap();
    let failure = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            request_id, reason, ..
        } if request_id == unanswered => Some(reason),
        _ => None,
    });
    assert_eq!(failure, RequestFailure::Timeout);
}

#[test]
fn oversized_message_gets_too_large_and_1009() {
    let host = start_host(|c| c.max_message_size(1024));
    let mut conn = host.connect_in_memory().unwrap();
    conn.send(vec![0u8; 4096], PATIENCE).unwrap();
    assert_eq!(error_code(&next(&mut conn)), Some(ErrorCode::TooLarge));
    assert!(matches!(
        next(&mut conn),
        MemoryIncoming::Closed { code: 1009, .. }
    ));
}

#[test]
fn a_client_that_does_not_read_is_closed_with_4000_and_learns_why() {
    let host = start_host(|c| {
        let mut c = c;
        c.limits.outbound_queue_messages = 64;
        c
    });
    let stream = host.advertise(ChannelSpec::new("stream")).unwrap();
    let mut client = Client::over_memory(host.connect_in_memory().unwrap(), "slow").unwrap();
    client.subscribe(&[stream.0], &[]).unwrap();
    // Far more than the in-memory lane and the outbound queue hold.
    for i in 0..2_000u32 {
        host.publish(stream, i.to_le_bytes().to_vec()).unwrap();
    }
    let reason = wait_for(&host, |e| match e {
        HostEvent::Disconnected { reason, .. } => Some(reason),
        _ => None,
    });
    assert!(reason.contains("4000"), "{reason}");
    // Reading now still delivers what was sent, then the close and why.
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "no close frame");
        match client.recv(PATIENCE) {
            Ok(Incoming::Data { .. }) => continue,
            Ok(Incoming::Closed { code, reason }) => {
                assert_eq!(code, 4000);
                assert!(reason.contains("slow consumer"), "{reason}");
                break;
            }
            other => panic!("expected Data or the close, got {other:?}"),
        }
    }
}

#[test]
fn a_stalled_game_pushes_back_and_loses_nothing() {
    let host = start_host(|c| {
        let mut c = c;
        c.limits.inbound_queue = 16;
        c
    });
    let chat = host
        .advertise(ChannelSpec::new("chat").clients_may_publish())
        .unwrap();
    let mut client = Client::over_memory(host.connect_in_memory().unwrap(), "fast").unwrap();
    wait_for(&host, |e| {
        matches!(e, HostEvent::Connected(_)).then_some(())
    });
    // The game does not drain: the host stops reading, the lane fills, and
    // the client's sends wait.
    let sender = std::thread::spawn(move || {
        for i in 0..2_000u32 {
            client.publish(chat.0, &i.to_le_bytes()).unwrap();
        }
        client
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !sender.is_finished(),
        "2,000 sends went through although the game drained nothing"
    );
    assert_eq!(host.pending_events(), 16);
    let mut seen = 0u32;
    let deadline = Instant::now() + PATIENCE;
    while seen < 2_000 {
        assert!(Instant::now() < deadline, "only {seen} messages arrived");
        if let Some(HostEvent::Message(m)) = host.wait_event(Duration::from_millis(50)) {
            assert_eq!(m.content(), seen.to_le_bytes());
            seen += 1;
        }
    }
    drop(sender.join().unwrap());
}

#[test]
fn dropping_the_client_end_disconnects() {
    let host = start_host(|c| c);
    let client = Client::over_memory(host.connect_in_memory().unwrap(), "brief").unwrap();
    let id = client.welcome().client_id;
    drop(client);
    let gone = wait_for(&host, |e| match e {
        HostEvent::Disconnected { client, .. } => Some(client),
        _ => None,
    });
    assert_eq!(gone.0, id);
}

#[test]
fn the_host_going_away_ends_the_connection() {
    let host = start_host(|c| c);
    let mut conn = host.connect_in_memory().unwrap();
    conn.send(hello("left behind"), PATIENCE).unwrap();
    assert!(matches!(next(&mut conn), MemoryIncoming::Frame(_)));
    host.shutdown();
    assert!(matches!(
        next(&mut conn),
        MemoryIncoming::Closed { code: 1001, .. }
    ));
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "the end was never seen");
        match conn.recv(Duration::from_millis(100)) {
            Ok(MemoryIncoming::Ended) => break,
            Err(MemoryError::Timeout) => continue,
            other => panic!("expected the end, got {other:?}"),
        }
    }
    assert_eq!(
        conn.send(hello("again"), Duration::from_millis(100)),
        Err(MemoryError::HostGone)
    );
}

#[test]
fn max_clients_counts_memory_clients_too() {
    let host = start_host(|c| c.max_clients(1));
    let _first = Client::over_memory(host.connect_in_memory().unwrap(), "first").unwrap();
    let mut second = host.connect_in_memory().unwrap();
    match next(&mut second) {
        MemoryIncoming::Closed { code, reason } => {
            assert_eq!(code, 1013);
            assert!(reason.contains("max_clients"), "{reason}");
        }
        other => panic!("expected 1013, got {other:?}"),
    }
}
