//! Clients that die in the middle of things: killed halfway through a
//! WebSocket frame (FIN or RST), between the fragments of a message, and
//! while the host is blocked writing to them. The game hears once that the
//! client is gone, without waiting for a timer, never sees its unfinished
//! message, and everyone else is still served.
//!
//! Every test here is bounded in time: reads have timeouts and waits have
//! deadlines. The tests take turns (`serial`) so that the bound on how soon
//! the host notices a dead socket measures the host, not the load of the
//! test next to it.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use common::sabotage::{Cut, reset_on_drop, write_partial};
use common::{PATIENCE, start_host, wait_connected};
use switchboard::client::Client;
use switchboard::protocol::{HelloArgs, PROTOCOL_VERSION, encode_data, encode_hello, verify_frame};
use switchboard::{ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostEvent};
use tungstenite::Message;
use tungstenite::protocol::WebSocket;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A WebSocket that has said Hello and received its Welcome; the raw socket
/// stays reachable (`get_mut`) for writing half frames.
fn welcomed_socket(addr: SocketAddr, name: &str) -> (WebSocket<TcpStream>, ClientId) {
    let mut ws = Client::open_socket(addr).expect("upgrade");
    ws.get_mut().set_read_timeout(Some(PATIENCE)).unwrap();
    ws.send(Message::Binary(encode_hello(&HelloArgs {
        client_name: name,
        protocol_versions: &[PROTOCOL_VERSION],
        token: None,
    })))
    .unwrap();
    loop {
        match ws.read().expect("Welcome") {
            Message::Binary(bytes) => {
                let frame = verify_frame(&bytes).unwrap();
                let welcome = frame.body_as_welcome().expect("Welcome first");
                return (ws, ClientId(welcome.client_id()));
            }
            Message::Close(close) => panic!("closed before Welcome: {close:?}"),
            _ => {}
        }
    }
}

/// A host with a channel clients publish on and one the game publishes on,
/// and a witness client subscribed to the latter.
struct Fixture {
    chat: ChannelId,
    state: ChannelId,
    witness: Client,
    witness_id: ClientId,
    host: Host,
}

impl Fixture {
    fn new(configure: impl FnOnce(HostConfig) -> HostConfig) -> Self {
        let host = start_host(configure);
        let chat = host
            .advertise(ChannelSpec::new("chat").clients_may_publish())
            .unwrap();
        let state = host.advertise(ChannelSpec::new("game/state")).unwrap();
        let mut witness = Client::connect(host.local_addr(), "witness").unwrap();
        witness.subscribe(&[state.0], &[]).unwrap();
        let witness_id = ClientId(witness.welcome().client_id);
        wait_connected(&host, witness_id.0);
        Self {
            chat,
            state,
            witness,
            witness_id,
            host,
        }
    }

    /// Collects events until `done` accepts one; panics after PATIENCE.
    fn events_until(&self, mut done: impl FnMut(&HostEvent) -> bool) -> Vec<HostEvent> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Some(event) = self.host.wait_event(Duration::from_millis(20)) {
                let stop = done(&event);
                seen.push(event);
                if stop {
                    return seen;
                }
            }
        }
        panic!("expected event not seen within {PATIENCE:?}; saw {seen:#?}");
    }

    /// The witness and the game still talk both ways, and a newcomer is
    /// welcome.
    fn still_serving(&mut self, victim: ClientId) {
        self.witness.publish(self.chat.0, b"witness here").unwrap();
        let seen = self.events_until(|e| {
            matches!(e, HostEvent::Message(m)
                if m.client() == self.witness_id && m.content() == b"witness here")
        });
        assert_no_message_from(&seen, victim);

        self.host
            .publish(self.state, b"still publishing".to_vec())
            .unwrap();
        match self.witness.recv(PATIENCE).unwrap() {
            switchboard::client::Incoming::Data { content, .. } => {
                assert_eq!(content, b"still publishing")
            }
            other => panic!("witness expected Data, got {other:?}"),
        }

        let mut newcomer = Client::connect(self.host.local_addr(), "newcomer").unwrap();
        let newcomer_id = ClientId(newcomer.welcome().client_id);
        newcomer.publish(self.chat.0, b"newcomer here").unwrap();
        let seen = self.events_until(|e| {
            matches!(e, HostEvent::Message(m)
                if m.client() == newcomer_id && m.content() == b"newcomer here")
        });
        assert_no_message_from(&seen, victim);
        newcomer.close().unwrap();
    }
}

fn assert_no_message_from(events: &[HostEvent], victim: ClientId) {
    for event in events {
        if let HostEvent::Message(m) = event {
            assert_ne!(
                m.client(),
                victim,
                "a message from the killed client reached the game ({} bytes)",
                m.content().len()
            );
        }
    }
}

/// A welcomed client sends one whole message, then part of another, and
/// dies (FIN, or RST with `reset`). The whole message reaches the game, the
/// partial one never does, the game hears that the client is gone without
/// waiting for any timer, and everyone else is still served.
fn kill_mid_message(cut: Cut, reset: bool) {
    // Timers far beyond the bound below, so a prompt Disconnected shows the
    // host noticed the dead socket itself.
    let mut f = Fixture::new(|c| {
        let mut c = c.handshake_timeout(Duration::from_secs(30));
        c.limits.close_grace = Duration::from_secs(30);
        c
    });
    let (mut ws, victim) = welcomed_socket(f.host.local_addr(), "victim");
    ws.send(Message::Binary(encode_data(f.chat.0, 0, 0, 0, b"whole")))
        .unwrap();
    let seen = f.events_until(
        |e| matches!(e, HostEvent::Message(m) if m.client() == victim && m.content() == b"whole"),
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, HostEvent::Connected(info) if info.id == victim)),
        "{seen:#?}"
    );

    let mut stream = ws.into_inner();
    write_partial(&mut stream, f.chat, cut);
    // Let the host read the partial bytes before the socket dies, so the
    // test is about a half-received message and not an empty socket.
    thread::sleep(Duration::from_millis(50));
    if reset {
        reset_on_drop(&stream);
    }
    let killed = Instant::now();
    drop(stream);

    let seen = f
        .events_until(|e| matches!(e, HostEvent::Disconnected { client, .. } if *client == victim));
    let noticed = killed.elapsed();
    assert_no_message_from(&seen, victim);
    assert!(
        noticed < Duration::from_secs(5),
        "{cut:?} (reset: {reset}): the host took {noticed:?} to notice a dead socket"
    );
    let reason = seen
        .iter()
        .find_map(|e| match e {
            HostEvent::Disconnected { client, reason } if *client == victim => Some(reason),
            _ => None,
        })
        .unwrap();
    // The client vanished; the host did not close it for a violation.
    assert!(
        !reason.is_empty() && !reason.contains("closed by host"),
        "{cut:?} (reset: {reset}): reason {reason:?}"
    );
    // Exactly one Disconnected for the victim, and nothing after it.
    f.still_serving(victim);
    while let Some(event) = f.host.try_event() {
        match event {
            HostEvent::Disconnected { client, .. } if client == victim => {
                panic!("second Disconnected for {victim:?}")
            }
            HostEvent::Message(m) if m.client() == victim => panic!("message after death"),
            _ => {}
        }
    }
}

#[test]
fn client_killed_mid_frame_is_disconnected_and_others_are_served() {
    let _turn = serial();
    kill_mid_message(Cut::InPayload, false);
}

#[test]
fn client_reset_mid_frame_is_disconnected_and_others_are_served() {
    let _turn = serial();
    kill_mid_message(Cut::InPayload, true);
}

#[test]
fn client_killed_mid_header_is_disconnected() {
    let _turn = serial();
    kill_mid_message(Cut::InHeader, false);
    kill_mid_message(Cut::InHeader, true);
}

#[test]
fn client_killed_between_fragments_is_disconnected() {
    let _turn = serial();
    kill_mid_message(Cut::BetweenFragments, false);
    kill_mid_message(Cut::BetweenFragments, true);
}

#[test]
fn client_killed_mid_large_frame_is_disconnected() {
    let _turn = serial();
    kill_mid_message(Cut::InLargePayload, false);
    kill_mid_message(Cut::InLargePayload, true);
}

/// A subscriber that stops reading while the game publishes to it, so the
/// host's writes to it block, then dies (its unread data makes even a plain
/// close an RST). The host notices without waiting for any timer, the game's
/// request to it fails with ClientGone, and the witness got every message.
#[test]
fn client_killed_while_the_host_writes_to_it() {
    const MESSAGES: usize = 4000;
    let _turn = serial();
    let mut f = Fixture::new(|c| {
        let mut c = c.handshake_timeout(Duration::from_secs(30));
        c.limits.close_grace = Duration::from_secs(30);
        c.limits.outbound_queue_messages = 4 * MESSAGES;
        c.limits.outbound_queue_bytes = 64 << 20;
        c
    });
    let (mut ws, victim) = welcomed_socket(f.host.local_addr(), "victim");
    let subscribe = switchboard::protocol::encode_subscribe(1, &[f.state.0], &[]);
    ws.send(Message::Binary(subscribe)).unwrap();
    // Its confirmation (a Response), so later publishes are routed to it.
    loop {
        if let Message::Binary(bytes) = ws.read().unwrap() {
            let frame = verify_frame(&bytes).unwrap();
            assert!(
                frame.body_as_response().is_some(),
                "{:?}",
                frame.body_type()
            );
            break;
        }
    }
    wait_connected(&f.host, victim.0);
    let asked = f
        .host
        .request(victim, f.state, b"are you there?".to_vec(), None)
        .unwrap();
    // 4000 x 4 KiB = 16 MiB: more than loopback socket buffers hold for a
    // reader that does not read, less than this host's outbound queue
    // bound, so the victim is not cut off as slow.
    for n in 0..MESSAGES {
        let mut content = vec![0u8; 4 << 10];
        content[..8].copy_from_slice(&(n as u64).to_le_bytes());
        f.host.publish(f.state, content).unwrap();
    }
    // The witness reads everything meanwhile.
    for n in 0..MESSAGES {
        match f.witness.recv(PATIENCE).unwrap() {
            switchboard::client::Incoming::Data { content, .. } => {
                assert_eq!(
                    content[..8],
                    (n as u64).to_le_bytes(),
                    "witness message {n}"
                )
            }
            other => panic!("witness expected Data, got {other:?}"),
        }
    }
    let stream = ws.into_inner();
    let killed = Instant::now();
    drop(stream);

    let seen = f
        .events_until(|e| matches!(e, HostEvent::Disconnected { client, .. } if *client == victim));
    let noticed = killed.elapsed();
    assert!(
        noticed < Duration::from_secs(5),
        "the host took {noticed:?} to notice"
    );
    assert!(
        seen.iter().any(|e| matches!(e,
            HostEvent::RequestFailed { client, request_id, reason: switchboard::RequestFailure::ClientGone }
                if *client == victim && *request_id == asked)),
        "{seen:#?}"
    );
    assert_no_message_from(&seen, victim);
    f.still_serving(victim);
}
