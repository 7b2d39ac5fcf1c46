//! A small blocking client for the Switchboard protocol, for scripts, tools
//! and tests. It speaks the same wire protocol as any other client
//! (`docs/protocol/README.md`); nothing in it is privileged.
//!
//! ```no_run
//! use std::time::Duration;
//! use switchboard::client::{Client, Incoming};
//!
//! let mut client = Client::connect("127.0.0.1:9001", "dashboard")?;
//! client.subscribe(&[], &["telemetry/*"])?;
//! if let Incoming::Data { channel, content, .. } = client.recv(Duration::from_secs(1))? {
//!     println!("{channel}: {} bytes", content.len());
//! }
//! # Ok::<(), switchboard::client::ClientError>(())
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tungstenite::protocol::WebSocket;
use tungstenite::{Message, client::IntoClientRequest};

use crate::memory::MemoryConnection;
use crate::protocol::{
    ChannelDescription, FrameError, HelloArgs, PROTOCOL_VERSION, encode_data, encode_hello,
    encode_response, encode_subscribe, encode_unsubscribe, ipc,
};

mod decode;
#[cfg(all(unix, feature = "plugins"))]
mod pipe;
#[cfg(all(feature = "mqueue", target_os = "linux"))]
mod queues;
#[cfg(feature = "tls")]
mod secure;
mod wire;

#[cfg(all(unix, feature = "plugins"))]
pub use pipe::{PLUGIN_FDS_ENV, PipeConnection, PipeError, PipeIncoming};

use decode::Received;
use wire::Wire;

/// What can go wrong on the client side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting or socket I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The WebSocket layer failed.
    #[error("WebSocket error: {0}")]
    WebSocket(#[from] tungstenite::Error),
    /// The host sent something that is not a valid frame.
    #[error("bad frame from host: {0}")]
    Frame(#[from] FrameError),
    /// The host refused with an `Error` frame.
    #[error("refused ({code:?}): {message}")]
    Refused {
        /// The error code.
        code: ipc::ErrorCode,
        /// The host's explanation.
        message: String,
    },
    /// A request failed on the other side (`Response` with status Failed).
    #[error("request failed: {0}")]
    Failed(String),
    /// The connection was closed.
    #[error("connection closed ({code}): {reason}")]
    Closed {
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Nothing arrived in time.
    #[error("timed out")]
    Timeout,
    /// TLS failed: the server's certificate was refused, or the server
    /// name is not one a certificate can name.
    #[error("TLS: {0}")]
    Tls(String),
    /// The host said something out of order.
    #[error("unexpected: {0}")]
    Unexpected(String),
    /// The host refused a message at the message-queue framing level
    /// (status 400, 500 or 501; the reason says why).
    #[error("refused by the message-queue transport ({status}): {reason}")]
    QueueRefused {
        /// The refusal's status.
        status: u16,
        /// Why.
        reason: String,
    },
}

/// What the host said in `Welcome`.
#[derive(Debug, Clone)]
pub struct WelcomeInfo {
    /// This connection's id.
    pub client_id: u32,
    /// The host's name.
    pub host_name: String,
    /// The host software's version.
    pub host_version: String,
    /// The protocol version chosen.
    pub protocol_version: u16,
    /// The versions the host speaks.
    pub supported_versions: (u16, u16),
    /// Features the host offers.
    pub capabilities: Vec<String>,
    /// Changes when the game restarts.
    pub session_id: String,
    /// Named directories.
    pub directories: BTreeMap<String, String>,
    /// Preferences.
    pub preferences: BTreeMap<String, String>,
    /// Largest message the host accepts.
    pub max_message_size: u64,
    /// Most requests in flight.
    pub max_pending_requests: u32,
    /// Agents' answer deadline in milliseconds.
    pub request_timeout_ms: u32,
}

/// One thing received from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A message on a channel (a request when `request_id` is non-zero).
    Data {
        /// Channel id.
        channel: u32,
        /// Non-zero for a request from the game.
        request_id: u64,
        /// Position in the channel's stream (0 for direct messages).
        sequence: u64,
        /// Sender's clock.
        timestamp_ns: u64,
        /// Payload.
        content: Vec<u8>,
    },
    /// The answer to one of this client's requests.
    Response {
        /// Which request.
        request_id: u64,
        /// Its channel.
        channel: u32,
        /// Content or failure reason.
        result: Result<Vec<u8>, String>,
    },
    /// Something this client did was refused.
    Error {
        /// Error code.
        code: ipc::ErrorCode,
        /// Explanation.
        message: String,
        /// Related request, or 0.
        request_id: u64,
        /// Related channel, or 0.
        channel: u32,
    },
    /// New channels.
    Advertise(Vec<ChannelDescription>),
    /// Removed channels.
    Unadvertise(Vec<u32>),
    /// The host closed the connection.
    Closed {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// How to introduce the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Name shown to the game.
    pub name: String,
    /// Token, if the host needs one.
    pub token: Option<String>,
    /// Protocol versions offered.
    pub protocol_versions: Vec<u16>,
    /// How long to wait for `Welcome`.
    pub timeout: Duration,
}

impl ClientOptions {
    /// Defaults: this crate's protocol version, no token, 5 s.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            token: None,
            protocol_versions: vec![PROTOCOL_VERSION],
            timeout: Duration::from_secs(5),
        }
    }
}

/// A connected, welcomed client.
pub struct Client {
    wire: Wire,
    welcome: WelcomeInfo,
    channels: BTreeMap<u32, ChannelDescription>,
    next_request: u64,
    backlog: VecDeque<Incoming>,
}

impl Client {
    /// Connects and says `Hello` with default options.
    pub fn connect(addr: impl ToSocketAddrs, name: &str) -> Result<Self, ClientError> {
        Self::connect_with(addr, ClientOptions::new(name))
    }

    /// Connects and says `Hello`.
    pub fn connect_with(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let ws = Self::open_socket(addr)?;
        Self::handshake(Wire::WebSocket(Box::new(ws)), options)
    }

    /// Connects over `wss://` (feature `tls`) and says `Hello`: the
    /// server's certificate must be valid for `server_name` under `tls`'s
    /// roots ([`DialTlsConfig::from_ca_pem_file`](crate::DialTlsConfig::from_ca_pem_file)
    /// for a CA of your own, [`DialTlsConfig::system_roots`](crate::DialTlsConfig::system_roots)
    /// for the system's).
    ///
    /// ```no_run
    /// use switchboard::DialTlsConfig;
    /// use switchboard::client::{Client, ClientOptions};
    ///
    /// let tls = DialTlsConfig::from_ca_pem_file("studio-ca.pem")?;
    /// let client = Client::connect_tls_with(
    ///     "game.local:9443",
    ///     "game.local",
    ///     &tls,
    ///     ClientOptions::new("dashboard"),
    /// )?;
    /// println!("connected to {}", client.welcome().host_name);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn connect_tls_with(
        addr: impl ToSocketAddrs,
        server_name: &str,
        tls: &crate::DialTlsConfig,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let ws = secure::open(addr, server_name, tls, options.timeout)?;
        Self::handshake(Wire::SecureWebSocket(Box::new(ws)), options)
    }

    /// Says `Hello` over an in-memory connection from
    /// [`Host::connect_in_memory`](crate::Host::connect_in_memory).
    pub fn over_memory(connection: MemoryConnection, name: &str) -> Result<Self, ClientError> {
        Self::over_memory_with(connection, ClientOptions::new(name))
    }

    /// Says `Hello` over an in-memory connection, with options.
    pub fn over_memory_with(
        connection: MemoryConnection,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        Self::handshake(Wire::Memory(connection), options)
    }

    /// Makes the message-queue pair named after the game's process id
    /// `game_pid` and says `Hello` over it (feature `mqueue`, Linux). The
    /// host finds the pair within its look interval; the queues are
    /// removed when the client is dropped.
    ///
    /// ```no_run
    /// use switchboard::MqueueConfig;
    /// use switchboard::client::{Client, ClientOptions};
    ///
    /// let game_pid = 4242;
    /// let client = Client::over_queues(game_pid, &MqueueConfig::default(), ClientOptions::new("tool"))?;
    /// println!("connected to {}", client.welcome().host_name);
    /// # Ok::<(), switchboard::client::ClientError>(())
    /// ```
    #[cfg(all(feature = "mqueue", target_os = "linux"))]
    pub fn over_queues(
        game_pid: u32,
        queues: &crate::MqueueConfig,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        let wire = queues::QueueWire::create(game_pid, queues, options.timeout)?;
        Self::handshake(Wire::Queues(Box::new(wire)), options)
    }

    /// Says `Hello` over a plugin's pipes to the host that started it
    /// ([`PipeConnection::from_env`]). `options.name` must be the id in the
    /// plugin's manifest.
    #[cfg(all(unix, feature = "plugins"))]
    pub fn over_pipe(
        connection: PipeConnection,
        options: ClientOptions,
    ) -> Result<Self, ClientError> {
        Self::handshake(Wire::Pipe(Box::new(connection)), options)
    }

    fn handshake(mut wire: Wire, options: ClientOptions) -> Result<Self, ClientError> {
        wire.send_frame(encode_hello(&HelloArgs {
            client_name: &options.name,
            protocol_versions: &options.protocol_versions,
            token: options.token.as_deref(),
        }))?;
        let deadline = Instant::now() + options.timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match wire.read_one(remaining)? {
                Received::Welcome(welcome, channels) => {
                    return Ok(Self {
                        wire,
                        welcome,
                        channels: channels.into_iter().map(|c| (c.id, c)).collect(),
                        next_request: 1,
                        backlog: VecDeque::new(),
                    });
                }
                Received::Other(Incoming::Error { code, message, .. }) => {
                    return Err(ClientError::Refused { code, message });
                }
                Received::Other(Incoming::Closed { code, reason }) => {
                    return Err(ClientError::Closed { code, reason });
                }
                Received::Other(other) => {
                    return Err(ClientError::Unexpected(format!("{other:?} before Welcome")));
                }
                Received::Nothing => continue,
            }
        }
    }

    /// Opens the WebSocket without saying `Hello`, for tests of the
    /// handshake itself.
    pub fn open_socket(addr: impl ToSocketAddrs) -> Result<WebSocket<TcpStream>, ClientError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{}/", stream.peer_addr()?);
        let request = url.into_client_request()?;
        let (ws, _) = tungstenite::client(request, stream).map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => ClientError::WebSocket(e),
            tungstenite::HandshakeError::Interrupted(_) => {
                ClientError::Unexpected("handshake interrupted".to_owned())
            }
        })?;
        Ok(ws)
    }

    /// What the host said in `Welcome`.
    pub fn welcome(&self) -> &WelcomeInfo {
        &self.welcome
    }

    /// The channels known now (from `Welcome`, `Advertise`, `Unadvertise`).
    pub fn channels(&self) -> impl Iterator<Item = &ChannelDescription> {
        self.channels.values()
    }

    /// A channel's id by name.
    pub fn channel_id(&self, name: &str) -> Option<u32> {
        self.channels
            .values()
            .find(|c| c.name == name)
            .map(|c| c.id)
    }

    /// Subscribes and waits for the host to confirm.
    pub fn subscribe(&mut self, channel_ids: &[u32], patterns: &[&str]) -> Result<(), ClientError> {
        let id = self.take_request_id();
        self.send_frame(encode_subscribe(id, channel_ids, patterns))?;
        self.wait_response(id, Duration::from_secs(5)).map(|_| ())
    }

    /// Unsubscribes and waits for the host to confirm.
    pub fn unsubscribe(
        &mut self,
        channel_ids: &[u32],
        patterns: &[&str],
    ) -> Result<(), ClientError> {
        let id = self.take_request_id();
        self.send_frame(encode_unsubscribe(id, channel_ids, patterns))?;
        self.wait_response(id, Duration::from_secs(5)).map(|_| ())
    }

    /// Sends a one-way message.
    pub fn publish(&mut self, channel: u32, content: &[u8]) -> Result<(), ClientError> {
        self.send_frame(encode_data(channel, 0, 0, 0, content))
    }

    /// Sends a request without waiting; returns its id.
    pub fn request(&mut self, channel: u32, content: &[u8]) -> Result<u64, ClientError> {
        let id = self.take_request_id();
        self.send_frame(encode_data(channel, id, 0, 0, content))?;
        Ok(id)
    }

    /// Sends a request and waits for its answer.
    pub fn call(
        &mut self,
        channel: u32,
        content: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, ClientError> {
        let id = self.request(channel, content)?;
        self.wait_response(id, timeout)
    }

    /// Answers a request from the game.
    pub fn respond(
        &mut self,
        request_id: u64,
        channel: u32,
        result: Result<&[u8], &str>,
    ) -> Result<(), ClientError> {
        self.send_frame(encode_response(request_id, channel, result))
    }

    /// Sends any bytes as one binary message (for tests of bad input).
    pub fn send_frame(&mut self, frame: impl Into<Bytes>) -> Result<(), ClientError> {
        self.wire.send_frame(frame.into())
    }

    /// Sends any WebSocket message (for tests of bad input). Over the
    /// in-memory transport only binary messages and closes exist.
    pub fn send_message(&mut self, message: Message) -> Result<(), ClientError> {
        self.wire.send(message)
    }

    /// The next thing from the host, waiting up to `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Result<Incoming, ClientError> {
        if let Some(incoming) = self.backlog.pop_front() {
            return Ok(incoming);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(ClientError::Timeout);
            }
            match self.wire.read_one(remaining)? {
                Received::Other(incoming) => {
                    self.track_channels(&incoming);
                    return Ok(incoming);
                }
                Received::Welcome(..) => {
                    return Err(ClientError::Unexpected("second Welcome".to_owned()));
                }
                Received::Nothing => continue,
            }
        }
    }

    /// Waits for the answer to `request_id`, keeping anything else for
    /// later [`recv`](Self::recv) calls.
    pub fn wait_response(
        &mut self,
        request_id: u64,
        timeout: Duration,
    ) -> Result<Vec<u8>, ClientError> {
        let deadline = Instant::now() + timeout;
        let mut kept = VecDeque::new();
        let result = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break Err(ClientError::Timeout);
            }
            let incoming = match self.wire.read_one(remaining) {
                Ok(Received::Other(incoming)) => incoming,
                Ok(Received::Nothing) => continue,
                Ok(Received::Welcome(..)) => {
                    break Err(ClientError::Unexpected("second Welcome".to_owned()));
                }
                Err(e) => break Err(e),
            };
            self.track_channels(&incoming);
            match incoming {
                Incoming::Response {
                    request_id: id,
                    result,
                    ..
                } if id == request_id => break result.map_err(ClientError::Failed),
                // UnknownRequest names one of the host's request ids (it
                // refuses a Response this client sent), not one of ours.
                Incoming::Error {
                    request_id: id,
                    code,
                    message,
                    ..
                } if id == request_id && code != ipc::ErrorCode::UnknownRequest => {
                    break Err(ClientError::Refused { code, message });
                }
                Incoming::Closed { code, reason } => {
                    break Err(ClientError::Closed { code, reason });
                }
                other => kept.push_back(other),
            }
        };
        // What was kept before this wait came first: order is kept.
        self.backlog.extend(kept);
        result
    }

    /// Closes with 1000 and waits briefly for the host's reply.
    pub fn close(mut self) -> Result<(), ClientError> {
        self.wire.close()?;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match self.wire.read_one(Duration::from_millis(200)) {
                Ok(Received::Other(Incoming::Closed { .. })) | Err(_) => break,
                Ok(_) => {}
            }
        }
        Ok(())
    }

    fn take_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    fn track_channels(&mut self, incoming: &Incoming) {
        match incoming {
            Incoming::Advertise(channels) => {
                for c in channels {
                    self.channels.insert(c.id, c.clone());
                }
            }
            Incoming::Unadvertise(ids) => {
                for id in ids {
                    self.channels.remove(id);
                }
            }
            _ => {}
        }
    }
}
