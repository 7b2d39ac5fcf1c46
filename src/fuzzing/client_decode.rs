//! The `client_decode` target: the Rust client reading what a host sends.

use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;

use crate::client::{Client, ClientError, ClientOptions, Incoming};
use crate::protocol::{WelcomeArgs, encode_unadvertise, encode_welcome};

struct ClientHarness {
    client: Client,
    /// The host's end of the same connection, driven from this thread.
    host: tungstenite::WebSocket<TcpStream>,
}

fn client_harness() -> &'static Mutex<ClientHarness> {
    static HARNESS: OnceLock<Mutex<ClientHarness>> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let host = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            let mut ws = tungstenite::accept(stream).expect("WebSocket handshake");
            let _hello = ws.read().expect("Hello");
            let welcome = encode_welcome(
                &WelcomeArgs {
                    client_id: 1,
                    host_name: "fuzz",
                    host_version: "0",
                    protocol_version: 1,
                    capabilities: &[],
                    session_id: "fuzz",
                    directories: &[],
                    preferences: &[],
                    max_message_size: 1 << 20,
                    max_pending_requests: 8,
                    request_timeout_ms: 1000,
                },
                &[],
            );
            ws.send(tungstenite::Message::Binary(welcome))
                .expect("send Welcome");
            ws
        });
        let client = Client::connect_with(addr, ClientOptions::new("fuzz")).expect("connect");
        let host = host.join().expect("host side of the harness");
        Mutex::new(ClientHarness { client, host })
    })
}

/// What the Rust client does with one binary message from the host: the
/// public [`Client::recv`] path (verify, decode into [`Incoming`], track
/// channels), over a real loopback WebSocket whose host end this thread
/// writes the fuzz input to.
pub fn client_decode(bytes: &[u8]) {
    // The host end writes on this same thread before the client reads, so
    // the message must fit the socket buffers.
    if bytes.len() > 64 << 10 {
        return;
    }
    let mut guard = client_harness()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let harness = &mut *guard;
    harness
        .host
        .send(tungstenite::Message::Binary(Bytes::copy_from_slice(bytes)))
        .expect("host end sends");
    match harness.client.recv(Duration::from_secs(10)) {
        Ok(Incoming::Data { content, .. }) => assert!(content.len() <= bytes.len()),
        Ok(Incoming::Response { result, .. }) => {
            let len = result.map_or_else(|e| e.len(), |c| c.len());
            assert!(len <= bytes.len());
        }
        Ok(Incoming::Error { message, .. }) => assert!(message.len() <= bytes.len()),
        Ok(Incoming::Advertise(channels)) => {
            for c in &channels {
                assert!(harness.client.channels().any(|known| known.id == c.id));
            }
        }
        Ok(Incoming::Unadvertise(ids)) => {
            for id in ids {
                assert!(harness.client.channels().all(|known| known.id != id));
            }
        }
        Ok(Incoming::Closed { .. }) => panic!("only binary messages are sent"),
        Err(ClientError::Frame(_) | ClientError::Unexpected(_)) => {}
        Err(e) => panic!("client connection broke: {e}"),
    }
    // Forget the channels an Advertise added, so memory stays flat across
    // runs (this also runs the Unadvertise path).
    let known: Vec<u32> = harness.client.channels().map(|c| c.id).collect();
    if !known.is_empty() {
        harness
            .host
            .send(tungstenite::Message::Binary(encode_unadvertise(&known)))
            .expect("host end sends");
        match harness.client.recv(Duration::from_secs(10)) {
            Ok(Incoming::Unadvertise(_)) => {}
            other => panic!("expected the Unadvertise back, got {other:?}"),
        }
        assert_eq!(harness.client.channels().count(), 0);
    }
}
