//! For the bad-input tests: a host with two channels, a client that
//! misbehaves and a witness that never does, and checks that after each bad
//! input both of them are still served.

use std::net::SocketAddr;

use bytes::Bytes;
use switchboard::client::{Client, Incoming};
use switchboard::{
    ChannelId, ChannelSpec, ClientId, ErrorCode, Host, HostConfig, HostEvent, RemoteMessage,
};

use super::{PATIENCE, start_host, wait_connected, wait_for};

/// A channel id no test advertises.
pub const NO_SUCH_CHANNEL: u32 = 9_999;

/// A host with two channels, a client that misbehaves and a witness that
/// never does.
pub struct Fixture {
    /// Clients may publish here.
    pub chat: ChannelId,
    /// Only agents publish here; the witness subscribes to it.
    pub state: ChannelId,
    pub bad: Client,
    pub bad_id: ClientId,
    pub witness: Client,
    pub witness_id: ClientId,
    round: u32,
    /// Last, so the clients are gone when it shuts down and it need not
    /// wait out the close grace period for them.
    pub host: Host,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with(|c| c)
    }

    pub fn with(configure: impl FnOnce(HostConfig) -> HostConfig) -> Self {
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

    pub fn addr(&self) -> SocketAddr {
        self.host.local_addr()
    }

    /// Sends raw bytes from the bad client as one binary message.
    pub fn send_bad(&mut self, bytes: impl Into<Bytes>) {
        self.bad.send_frame(bytes).expect("bad client can send");
    }

    /// The next message the game gets from `client`. Other clients' messages
    /// are skipped; a connect or disconnect fails the test, since every
    /// fixture client stays connected unless the test says otherwise.
    pub fn next_message_from(&self, client: ClientId) -> RemoteMessage {
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
    pub fn bad_client_still_works(&mut self) {
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
    pub fn witness_still_works(&mut self) {
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

    pub fn both_still_work(&mut self) {
        self.bad_client_still_works();
        self.witness_still_works();
    }
}

/// The next thing `client` receives must be an `Error` with `expected`.
/// Returns its message, request id and channel.
pub fn expect_error(client: &mut Client, expected: ErrorCode) -> (String, u64, u32) {
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
pub fn recv_data(client: &mut Client) -> (u32, u64, Vec<u8>) {
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
pub fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
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
