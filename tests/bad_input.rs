//! Bad input from clients, over real sockets. Every bad input is answered
//! with an `Error` frame, a WebSocket close with a code and a reason, or an
//! HTTP error; afterwards the offending connection still works where it
//! stays open, and a well-behaved client connected the whole time is never
//! affected.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use bytes::Bytes;
use common::{PATIENCE, start_host, wait_connected, wait_for};
use switchboard::client::{Client, Incoming};
use switchboard::protocol::{
    ChannelDescription, HelloArgs, PROTOCOL_VERSION, WelcomeArgs, encode_advertise, encode_data,
    encode_hello, encode_subscribe, encode_unadvertise, encode_welcome, ipc, verify_frame,
};
use switchboard::{
    ChannelId, ChannelSpec, ClientId, DeliveryPolicy, ErrorCode, Host, HostConfig, HostEvent,
    Publishers, RemoteMessage, RequestId,
};
use tungstenite::Message;

/// A channel id no test advertises.
const NO_SUCH_CHANNEL: u32 = 9_999;

/// A host with two channels, a client that misbehaves and a witness that
/// never does.
struct Fixture {
    /// Clients may publish here.
    chat: ChannelId,
    /// Only agents publish here; the witness subscribes to it.
    state: ChannelId,
    bad: Client,
    bad_id: ClientId,
    witness: Client,
    witness_id: ClientId,
    round: u32,
    /// Last, so the clients are gone when it shuts down and it need not
    /// wait out the close grace period for them.
    host: Host,
}

impl Fixture {
    fn new() -> Self {
        Self::with(|c| c)
    }

    fn with(configure: impl FnOnce(HostConfig) -> HostConfig) -> Self {
        let host = start_host(configure);
        let chat = host
            .advertise(ChannelSpec::new("chat").clients_may_publish())
            .unwrap();
        let state = host.advertise(ChannelSpec::new("game/state")).unwrap();
        let mut witness = Client::connect(host.local_addr(), "witness").unwrap();
        witness.subscribe(&[state.0], &[]).unwrap();
        let bad = Client::connect(host.local_addr(), "bad").unwrap();
        let witness_id = ClientId(witness.welcome().client_id);
        let bad_id = ClientId(bad.welcome().client_id);
        wait_connected(&host, witness_id.0);
        wait_connected(&host, bad_id.0);
        Self {
            chat,
            state,
            bad,
            bad_id,
            witness,
            witness_id,
            round: 0,
            host,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.host.local_addr()
    }

    /// Sends raw bytes from the bad client as one binary message.
    fn send_bad(&mut self, bytes: impl Into<Bytes>) {
        self.bad.send_frame(bytes).expect("bad client can send");
    }

    /// The next message the game gets from `client`. Other clients' messages
    /// are skipped; a connect or disconnect fails the test, since every
    /// fixture client stays connected unless the test says otherwise.
    fn next_message_from(&self, client: ClientId) -> RemoteMessage {
        wait_for(&self.host, |event| match event {
            HostEvent::Message(m) if m.client() == client => Some(m),
            HostEvent::Connected(info) => panic!("unexpected connection: {info:?}"),
            HostEvent::Disconnected { client, reason } => {
                panic!("{client} disconnected unexpectedly: {reason}")
            }
            _ => None,
        })
    }

    /// The bad client can still publish to the game and receive from it.
    fn bad_client_still_works(&mut self) {
        self.round += 1;
        let text = format!("bad client still talks, round {}", self.round);
        self.bad.publish(self.chat.0, text.as_bytes()).unwrap();
        let message = self.next_message_from(self.bad_id);
        assert_eq!(message.content(), text.as_bytes());
        assert_eq!(message.channel(), self.chat);
        assert_eq!(message.request_id(), None);

        let reply = format!("game still answers, round {}", self.round);
        self.host
            .send_to(self.bad_id, self.chat, reply.clone().into_bytes())
            .unwrap();
        let (channel, _, content) = recv_data(&mut self.bad);
        assert_eq!(channel, self.chat.0);
        assert_eq!(content, reply.as_bytes());
    }

    /// The witness can still publish, and still receives what it subscribed to.
    fn witness_still_works(&mut self) {
        self.round += 1;
        let text = format!("witness publishes, round {}", self.round);
        self.witness.publish(self.chat.0, text.as_bytes()).unwrap();
        let message = self.next_message_from(self.witness_id);
        assert_eq!(message.content(), text.as_bytes());

        let state = format!("state, round {}", self.round);
        self.host
            .publish(self.state, state.clone().into_bytes())
            .unwrap();
        let (channel, sequence, content) = recv_data(&mut self.witness);
        assert_eq!(channel, self.state.0);
        assert!(sequence > 0, "a published message has a sequence number");
        assert_eq!(content, state.as_bytes());
    }

    fn both_still_work(&mut self) {
        self.bad_client_still_works();
        self.witness_still_works();
    }
}

/// The next thing `client` receives must be an `Error` with `expected`.
/// Returns its message, request id and channel.
fn expect_error(client: &mut Client, expected: ErrorCode) -> (String, u64, u32) {
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            message,
            request_id,
            channel,
        }) => {
            assert_eq!(code, expected, "wrong code; message: {message}");
            assert!(!message.is_empty(), "an Error explains itself");
            (message, request_id, channel)
        }
        other => panic!("expected an Error ({expected:?}), got {other:?}"),
    }
}

/// The next thing `client` receives must be `Data`: (channel, sequence, content).
fn recv_data(client: &mut Client) -> (u32, u64, Vec<u8>) {
    match client.recv(PATIENCE) {
        Ok(Incoming::Data {
            channel,
            sequence,
            content,
            ..
        }) => (channel, sequence, content),
        other => panic!("expected Data, got {other:?}"),
    }
}

/// Deterministic pseudo-random bytes (xorshift), so a failure can be replayed.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect()
}

#[test]
fn garbage_bytes_get_bad_frame() {
    let mut f = Fixture::new();
    let mut garbage: Vec<Vec<u8>> = vec![
        b"hello, is this the game? please answer".to_vec(),
        pseudo_random(1, 64),
        pseudo_random(2, 4096),
        vec![0xFF; 100],
        vec![0; 100],
    ];
    // Garbage that carries the right file identifier, so it reaches the
    // FlatBuffers verifier, with root offsets inside the buffer.
    for seed in 0..50u64 {
        let len = 16 + (seed as usize * 37) % 500;
        let mut bytes = pseudo_random(seed + 100, len);
        let root = 8 + (seed as u32 * 4) % (len as u32 - 8);
        bytes[..4].copy_from_slice(&root.to_le_bytes());
        bytes[4..8].copy_from_slice(b"SWBD");
        garbage.push(bytes);
    }
    for (i, bytes) in garbage.into_iter().enumerate() {
        assert!(
            verify_frame(&bytes).is_err(),
            "garbage {i} happens to be a valid frame; pick another seed"
        );
        f.send_bad(bytes);
        let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert_eq!((request_id, channel), (0, 0), "garbage {i}: {message}");
    }
    f.both_still_work();
}

#[test]
fn messages_shorter_than_eight_bytes_get_bad_frame() {
    let mut f = Fixture::new();
    for len in 0..8 {
        f.send_bad(vec![0x42; len]);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("too short"), "{len} bytes: {message}");
    }
    f.both_still_work();
}

#[test]
fn wrong_file_identifier_gets_bad_frame() {
    let mut f = Fixture::new();
    for identifier in [b"XXXX", b"swbd", b"SWB\0", b"\0\0\0\0"] {
        let mut bytes = encode_data(f.chat.0, 0, 0, 0, b"hello").to_vec();
        bytes[4..8].copy_from_slice(identifier);
        f.send_bad(bytes);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("identifier"), "{message}");
    }
    // The game never saw any of them.
    f.both_still_work();
}

#[test]
fn truncated_frame_gets_bad_frame() {
    let mut f = Fixture::new();
    let whole = encode_data(f.chat.0, 0, 0, 0, &[7; 200]);
    let cuts = [8, 12, 16, whole.len() / 2, whole.len() - 8, whole.len() - 1];
    for cut in cuts {
        f.send_bad(whole.slice(..cut));
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("bad frame"), "cut at {cut}: {message}");
    }
    // The whole frame is fine, and reaches the game.
    f.send_bad(whole);
    let message = f.next_message_from(f.bad_id);
    assert_eq!(message.content(), &[7; 200]);
    f.both_still_work();
}

#[test]
fn offsets_pointing_outside_the_buffer_get_bad_frame() {
    let mut f = Fixture::new();
    let valid = encode_data(f.chat.0, 0, 0, 0, &[0xAB; 200]).to_vec();
    let len = u32::try_from(valid.len()).unwrap();
    let with_root = |root: u32| {
        let mut bytes = valid.clone();
        bytes[..4].copy_from_slice(&root.to_le_bytes());
        bytes
    };
    let mut corrupt = vec![
        ("root past the end", with_root(len + 64)),
        ("root at u32::MAX", with_root(u32::MAX)),
        ("root at the last byte", with_root(len - 1)),
        ("root on the identifier", with_root(4)),
    ];
    // A content vector that claims far more bytes than the buffer holds.
    let content_at = valid.iter().position(|b| *b == 0xAB).unwrap();
    let prefix = content_at - 4;
    assert_eq!(valid[prefix..content_at], 200u32.to_le_bytes());
    let mut long_vector = valid.clone();
    long_vector[prefix..content_at].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    corrupt.push(("vector longer than the buffer", long_vector));

    for (what, bytes) in corrupt {
        f.send_bad(bytes);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("bad frame"), "{what}: {message}");
    }
    f.both_still_work();
}

#[test]
fn unknown_body_type_gets_bad_frame() {
    let mut f = Fixture::new();
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let data = ipc::Data::create(&mut fbb, &ipc::DataArgs::default());
    let frame = ipc::Frame::create(
        &mut fbb,
        &ipc::FrameArgs {
            body_type: ipc::Body(200),
            body: Some(data.as_union_value()),
        },
    );
    ipc::finish_frame_buffer(&mut fbb, frame);
    f.send_bad(fbb.finished_data().to_vec());
    expect_error(&mut f.bad, ErrorCode::BadFrame);
    // A frame with no body at all.
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let frame = ipc::Frame::create(&mut fbb, &ipc::FrameArgs::default());
    ipc::finish_frame_buffer(&mut fbb, frame);
    f.send_bad(fbb.finished_data().to_vec());
    expect_error(&mut f.bad, ErrorCode::BadFrame);
    f.both_still_work();
}

#[test]
fn text_message_gets_bad_frame_and_connection_stays() {
    let mut f = Fixture::new();
    f.bad
        .send_message(Message::text(r#"{"subscribe": ["game/state"]}"#))
        .unwrap();
    let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
    assert!(message.contains("text"), "{message}");
    f.both_still_work();
}

#[test]
fn data_on_unknown_channel_gets_unknown_channel() {
    let mut f = Fixture::new();
    f.bad.publish(NO_SUCH_CHANNEL, b"anyone?").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (0, NO_SUCH_CHANNEL), "{message}");

    let id = f.bad.request(NO_SUCH_CHANNEL, b"anyone?").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (id, NO_SUCH_CHANNEL), "{message}");
    f.both_still_work();
}

#[test]
fn one_way_data_on_agents_only_channel_is_not_allowed_but_a_request_is() {
    let mut f = Fixture::new();
    f.bad.publish(f.state.0, b"let me write").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::NotAllowed);
    assert_eq!((request_id, channel), (0, f.state.0), "{message}");

    let id = f.bad.request(f.state.0, b"what is the state?").unwrap();
    let request = f.next_message_from(f.bad_id);
    assert_eq!(request.channel(), f.state);
    assert_eq!(request.request_id(), Some(RequestId(id)));
    assert_eq!(request.content(), b"what is the state?");
    f.host
        .respond(f.bad_id, RequestId(id), &b"all is well"[..])
        .unwrap();
    assert_eq!(
        f.bad.wait_response(id, PATIENCE).unwrap(),
        b"all is well".to_vec()
    );
    // The refused one-way message never reached the witness either.
    f.both_still_work();
}

#[test]
fn bodies_only_the_host_sends_get_bad_frame() {
    let mut f = Fixture::new();
    let description = ChannelDescription {
        id: 77,
        name: "forged".to_owned(),
        encoding: "raw".to_owned(),
        schema_name: String::new(),
        delivery: DeliveryPolicy::Reliable,
        publishers: Publishers::ClientsAndAgents,
        description: String::new(),
    };
    let welcome = encode_welcome(
        &WelcomeArgs {
            client_id: 1,
            host_name: "impostor",
            host_version: "0",
            protocol_version: PROTOCOL_VERSION,
            capabilities: &[],
            session_id: "0",
            directories: &[],
            preferences: &[],
            max_message_size: 1,
            max_pending_requests: 1,
            request_timeout_ms: 1,
        },
        [&description],
    );
    let forged = [
        ("Welcome", welcome),
        ("Advertise", encode_advertise([&description])),
        ("Unadvertise", encode_unadvertise(&[f.chat.0, f.state.0])),
    ];
    for (name, frame) in forged {
        f.send_bad(frame);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains(name), "{name}: {message}");
    }
    // The forged Unadvertise removed nothing and the forged channel is not
    // known to the witness: the state channel still flows.
    f.both_still_work();
    assert!(f.host.find_channel("forged").is_none());
}

#[test]
fn second_hello_gets_bad_frame() {
    let mut f = Fixture::new();
    f.send_bad(encode_hello(&HelloArgs {
        client_name: "bad again",
        protocol_versions: &[PROTOCOL_VERSION],
        token: None,
    }));
    let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
    assert!(message.contains("Hello"), "{message}");
    // next_message_from fails on a second Connected event.
    f.both_still_work();
}

#[test]
fn response_to_unknown_request_gets_unknown_request() {
    let mut f = Fixture::new();
    f.bad.respond(424_242, f.chat.0, Ok(b"unasked")).unwrap();
    let (message, request_id, _) = expect_error(&mut f.bad, ErrorCode::UnknownRequest);
    assert_eq!(request_id, 424_242, "{message}");
    f.bad.respond(7, f.chat.0, Err("no")).unwrap();
    let (_, request_id, _) = expect_error(&mut f.bad, ErrorCode::UnknownRequest);
    assert_eq!(request_id, 7);
    f.both_still_work();
}

#[test]
fn duplicate_request_id_in_flight_gets_duplicate_request() {
    let mut f = Fixture::new();
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"first"));
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"second"));
    let first = f.next_message_from(f.bad_id);
    assert_eq!(first.request_id(), Some(RequestId(7)));
    assert_eq!(first.content(), b"first");
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::DuplicateRequest);
    assert_eq!((request_id, channel), (7, f.state.0), "{message}");

    // The first is still in flight and can be answered; then the id is free.
    f.host
        .respond(f.bad_id, RequestId(7), &b"done"[..])
        .unwrap();
    assert_eq!(f.bad.wait_response(7, PATIENCE).unwrap(), b"done".to_vec());
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"again"));
    // The refused "second" never reached the game: the next message is "again".
    let again = f.next_message_from(f.bad_id);
    assert_eq!(again.request_id(), Some(RequestId(7)));
    assert_eq!(again.content(), b"again");
    f.host
        .respond_error(f.bad_id, RequestId(7), "not today")
        .unwrap();
    match f.bad.recv(PATIENCE) {
        Ok(Incoming::Response {
            request_id: 7,
            result: Err(reason),
            ..
        }) => assert_eq!(reason, "not today"),
        other => panic!("expected the failed Response to 7, got {other:?}"),
    }
    f.both_still_work();
}

#[test]
fn subscribe_to_unknown_channel_gets_unknown_channel_with_the_request_id() {
    let mut f = Fixture::new();
    f.send_bad(encode_subscribe(77, &[NO_SUCH_CHANNEL, f.state.0], &[]));
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (77, NO_SUCH_CHANNEL), "{message}");
    // The known channel in the same request was subscribed.
    f.host.publish(f.state, &b"tick"[..]).unwrap();
    let (channel, _, content) = recv_data(&mut f.bad);
    assert_eq!((channel, content.as_slice()), (f.state.0, &b"tick"[..]));
    let (channel, _, _) = recv_data(&mut f.witness);
    assert_eq!(channel, f.state.0);
    f.both_still_work();
}

#[test]
fn invalid_pattern_gets_bad_frame_with_the_request_id() {
    let mut f = Fixture::new();
    let too_long = "x".repeat(1000);
    for (request, pattern) in [(78, "a/***"), (79, ""), (80, too_long.as_str())] {
        // A valid pattern beside the bad one is still applied.
        f.send_bad(encode_subscribe(request, &[], &[pattern, "chat"]));
        let (message, request_id, _) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert_eq!(request_id, request, "{message}");
        assert!(message.contains("pattern"), "{message}");
    }
    f.host.publish(f.chat, &b"via pattern"[..]).unwrap();
    let (channel, _, content) = recv_data(&mut f.bad);
    assert_eq!(
        (channel, content.as_slice()),
        (f.chat.0, &b"via pattern"[..])
    );
    f.both_still_work();
}

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

/// A WebSocket spoken by hand, to send what no WebSocket library will.
struct RawWs {
    stream: TcpStream,
    inbox: Vec<u8>,
}

/// The example key from RFC 6455, section 1.3, and its accept value.
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

impl RawWs {
    /// Upgrades a fresh TCP connection and says Hello.
    fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {WS_KEY}\r\n\r\n"
        )
        .unwrap();
        let mut ws = Self {
            stream,
            inbox: Vec::new(),
        };
        let head_len = loop {
            if let Some(i) = ws.inbox.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(ws.inbox.len() < 16 << 10, "no end to the response head");
            let want = ws.inbox.len() + 1;
            ws.fill(want);
        };
        let head = String::from_utf8_lossy(&ws.inbox[..head_len]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains(WS_ACCEPT), "{head}");
        ws.inbox.drain(..head_len);

        let hello = encode_hello(&HelloArgs {
            client_name: "raw",
            protocol_versions: &[PROTOCOL_VERSION],
            token: None,
        });
        ws.write_frame(0x82, &hello, Some(MASK));
        let (first, payload) = ws.read_frame();
        assert_eq!(first, 0x82, "Welcome comes in one binary frame");
        let frame = verify_frame(&payload).unwrap();
        assert!(frame.body_as_welcome().is_some());
        ws
    }

    /// Writes one frame. `first` holds FIN, RSV and the opcode; client
    /// frames must be masked, so `mask: None` breaks the protocol.
    fn write_frame(&mut self, first: u8, payload: &[u8], mask: Option<[u8; 4]>) {
        let mask_bit = if mask.is_some() { 0x80 } else { 0 };
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(mask_bit | n as u8),
            n if n <= 0xFFFF => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        match mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
            }
            None => out.extend_from_slice(payload),
        }
        self.stream.write_all(&out).unwrap();
    }

    /// Reads one frame from the host: (first byte, payload).
    fn read_frame(&mut self) -> (u8, Vec<u8>) {
        self.fill(2);
        let (first, second) = (self.inbox[0], self.inbox[1]);
        assert_eq!(second & 0x80, 0, "frames from the host are never masked");
        let (header, len) = match second & 0x7F {
            126 => {
                self.fill(4);
                (
                    4,
                    usize::from(u16::from_be_bytes([self.inbox[2], self.inbox[3]])),
                )
            }
            127 => {
                self.fill(10);
                let mut len = [0u8; 8];
                len.copy_from_slice(&self.inbox[2..10]);
                (10, usize::try_from(u64::from_be_bytes(len)).unwrap())
            }
            n => (2, usize::from(n)),
        };
        self.fill(header + len);
        let payload = self.inbox[header..header + len].to_vec();
        self.inbox.drain(..header + len);
        (first, payload)
    }

    /// Reads frames until a close frame; returns its code and reason.
    fn read_close(&mut self) -> (u16, String) {
        for _ in 0..1000 {
            let (first, payload) = self.read_frame();
            if first & 0x0F == 0x8 {
                assert!(payload.len() >= 2, "close frame without a code");
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
        panic!("no close frame among 1000 frames");
    }

    /// Reads until `inbox` holds `n` bytes (each read waits at most PATIENCE).
    fn fill(&mut self, n: usize) {
        while self.inbox.len() < n {
            let mut chunk = [0u8; 4096];
            let got = self.stream.read(&mut chunk).expect("read from the host");
            assert!(got > 0, "the host closed the connection");
            self.inbox.extend_from_slice(&chunk[..got]);
        }
    }
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

#[test]
fn bad_input_never_produces_events_for_the_game() {
    // Many kinds of bad input in a row on one connection, then one good
    // message: the game's next event from that client is the good message.
    let mut f = Fixture::new();
    f.send_bad(vec![1, 2, 3]);
    f.send_bad(pseudo_random(9, 300));
    f.bad.publish(NO_SUCH_CHANNEL, b"x").unwrap();
    f.bad.publish(f.state.0, b"x").unwrap();
    f.bad.respond(99, f.chat.0, Ok(b"x")).unwrap();
    f.bad.send_message(Message::text("x")).unwrap();
    for expected in [
        ErrorCode::BadFrame,
        ErrorCode::BadFrame,
        ErrorCode::UnknownChannel,
        ErrorCode::NotAllowed,
        ErrorCode::UnknownRequest,
        ErrorCode::BadFrame,
    ] {
        expect_error(&mut f.bad, expected);
    }
    f.bad.publish(f.chat.0, b"finally good").unwrap();
    assert_eq!(f.next_message_from(f.bad_id).content(), b"finally good");
    f.both_still_work();
}
