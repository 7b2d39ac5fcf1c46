//! Host configuration: where to listen, who may connect, and every limit.
//! The network layer owns it because it is the one that enforces it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

mod dial;
#[cfg(feature = "tls")]
mod dial_tls;
#[cfg(feature = "mqueue")]
mod mqueue;
#[cfg(feature = "tls")]
mod tls;
pub use dial::DialBackoff;
#[cfg(feature = "tls")]
pub use dial_tls::DialTlsConfig;
#[cfg(feature = "mqueue")]
pub use mqueue::MqueueConfig;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};

/// The port a host listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 9001;

/// How a [`Host`](crate::Host) listens and what it allows.
///
/// ```
/// use std::time::Duration;
/// use switchboard::HostConfig;
/// let config = HostConfig::default()
///     .port(0) // any free port; ask Host::local_addr() which
///     .host_name("my game")
///     .max_message_size(1 << 20)
///     .handshake_timeout(Duration::from_secs(2));
/// assert_eq!(config.bind.port(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Address to listen on. Default `127.0.0.1:9001`: loopback only.
    pub bind: SocketAddr,
    /// Name sent to clients in `Welcome`.
    pub host_name: String,
    /// When set, a client's `Hello` must carry this token.
    pub token: Option<String>,
    /// Named directories sent to clients in `Welcome` (e.g. "data").
    pub directories: Vec<(String, String)>,
    /// User preferences sent to clients in `Welcome` (e.g. "language").
    pub preferences: Vec<(String, String)>,
    /// Folder served over plain HTTP on the same port (the browser editor).
    /// `None`: non-WebSocket requests get 426.
    pub web_root: Option<PathBuf>,
    /// Browser origins (e.g. `http://localhost:5173`) allowed to open a
    /// WebSocket besides the host's own; `"*"` allows every origin (not
    /// recommended). Clients that send no Origin (scripts, tools) are not
    /// affected; the token governs them.
    pub allowed_origins: Vec<String>,
    /// Host header names accepted besides loopback names and IP literals
    /// (DNS rebinding protection), e.g. `game.lan`.
    pub allowed_hosts: Vec<String>,
    /// Allow listening on a non-loopback address without both a token and
    /// TLS. Anyone who can reach the port can then drive the game.
    pub allow_insecure_remote: bool,
    /// Serve `wss://` with this certificate.
    #[cfg(feature = "tls")]
    pub tls: Option<TlsConfig>,
    /// URLs to dial and keep connected ([`dial`](Self::dial)); the peer
    /// at each speaks as a client.
    pub dial: Vec<String>,
    /// Reconnect delays for [`dial`](Self::dial).
    pub dial_backoff: DialBackoff,
    /// Roots trusted for `wss://` dial URLs; `None`: the system's.
    #[cfg(feature = "tls")]
    pub dial_tls: Option<DialTlsConfig>,
    /// Publish a record of this host for local tools
    /// ([`discovery`](crate::discovery)). Default true.
    pub discovery: bool,
    /// Where to publish it; `None`: [`discovery::runtime_dir`](crate::discovery::runtime_dir).
    pub discovery_dir: Option<PathBuf>,
    /// Also take clients over POSIX message queues named after this
    /// process's id (feature `mqueue`, Linux). `None` (the default): off.
    #[cfg(feature = "mqueue")]
    pub mqueue: Option<MqueueConfig>,
    /// Every bound on memory and time.
    pub limits: Limits,
    /// Testing only: skip the protocol and echo every WebSocket message back
    /// as it came (text or binary). Used for WebSocket conformance runs and
    /// as the floor in benchmarks; no events reach the game.
    #[doc(hidden)]
    pub echo_mode: bool,
}

/// Bounds on what one client, or all of them, can make the host hold or wait for.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message accepted; larger ones close the connection
    /// with 1009. Default 8 MiB.
    pub max_message_size: usize,
    /// Most connections at once (handshaking ones included); more are turned
    /// away with HTTP 503. Default 256.
    pub max_clients: usize,
    /// Time from TCP accept to a valid `Hello`; slower clients are closed
    /// (4001). Default 5 s.
    pub handshake_timeout: Duration,
    /// Time an agent has to answer a client's request before the client gets
    /// a Timeout error; also the default for [`Host::request`](crate::Host::request).
    /// Default 10 s.
    pub request_timeout: Duration,
    /// Most requests one client may have in flight. Default 1024.
    pub max_pending_requests: usize,
    /// Most frames queued for one client before a reliable channel closes it
    /// (4000). Default 4096.
    pub outbound_queue_messages: usize,
    /// Most bytes queued for one client (same rule). Default 16 MiB.
    pub outbound_queue_bytes: usize,
    /// Events waiting for the game to drain; when full, the host stops
    /// reading sockets so TCP pushes back on clients. Default 8192.
    pub inbound_queue: usize,
    /// Bytes of client frames waiting for the game to drain (same rule);
    /// bounds that queue's memory whatever the message sizes. A single
    /// frame always fits in an empty queue. Default 64 MiB.
    pub inbound_queue_bytes: usize,
    /// Commands from the game waiting for the network thread; when full,
    /// sending returns [`HostError::QueueFull`](crate::HostError::QueueFull).
    /// Default 65536.
    pub command_queue: usize,
    /// Read buffer per connection. Small buffers are cheaper per message
    /// because the WebSocket layer clears the buffer before each read.
    /// Default 16 KiB.
    pub read_buffer_size: usize,
    /// How long a closing connection may take to finish the close handshake,
    /// and how long shutdown waits for clients. Default 1 s.
    pub close_grace: Duration,
    /// How long a closed client that is not reading keeps its socket, so the
    /// close frame (with its reason) can still reach it once it reads; the
    /// game is told it is gone when `close_grace` ends. Default 10 s.
    pub close_linger: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: 8 << 20,
            max_clients: 256,
            handshake_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_pending_requests: 1024,
            outbound_queue_messages: 4096,
            outbound_queue_bytes: 16 << 20,
            inbound_queue: 8192,
            inbound_queue_bytes: 64 << 20,
            command_queue: 65536,
            read_buffer_size: 16 << 10,
            close_grace: Duration::from_secs(1),
            close_linger: Duration::from_secs(10),
        }
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            host_name: "switchboard".to_owned(),
            token: None,
            directories: Vec::new(),
            preferences: Vec::new(),
            web_root: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            allow_insecure_remote: false,
            #[cfg(feature = "tls")]
            tls: None,
            dial: Vec::new(),
            dial_backoff: DialBackoff::default(),
            #[cfg(feature = "tls")]
            dial_tls: None,
            discovery: true,
            discovery_dir: None,
            #[cfg(feature = "mqueue")]
            mqueue: None,
            limits: Limits::default(),
            echo_mode: false,
        }
    }
}

impl HostConfig {
    /// Listen on `addr` (port 0 picks a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Keep the address, change the port (0 picks a free port).
    pub fn port(mut self, port: u16) -> Self {
        self.bind.set_port(port);
        self
    }

    /// Name sent to clients.
    pub fn host_name(mut self, name: impl Into<String>) -> Self {
        self.host_name = name.into();
        self
    }

    /// Require this token in every `Hello`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Add a named directory to the host info.
    pub fn directory(mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        let path: PathBuf = path.into();
        self.directories
            .push((name.into(), path.to_string_lossy().into_owned()));
        self
    }

    /// Add a preference to the host info.
    pub fn preference(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.preferences.push((key.into(), value.into()));
        self
    }

    /// Serve the files under `root` over HTTP on the host's port.
    pub fn web_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.web_root = Some(root.into());
        self
    }

    /// Let pages from `origin` (scheme://host:port) open WebSockets.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// Accept requests whose Host header names `host`.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// Publish a discovery record, or not ([`HostConfig::discovery`]).
    pub fn discovery(mut self, publish: bool) -> Self {
        self.discovery = publish;
        self
    }

    /// Publish the discovery record into `dir` instead of the runtime
    /// folder (a sandbox, a test).
    pub fn discovery_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.discovery_dir = Some(dir.into());
        self
    }

    /// Set [`Limits::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.limits.max_message_size = bytes;
        self
    }

    /// Set [`Limits::max_clients`].
    pub fn max_clients(mut self, clients: usize) -> Self {
        self.limits.max_clients = clients;
        self
    }

    /// Set [`Limits::handshake_timeout`].
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits.handshake_timeout = timeout;
        self
    }

    /// Set [`Limits::request_timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.limits.request_timeout = timeout;
        self
    }

    /// Replace every limit at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks that the limits make sense together.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        let positive = [
            ("max_message_size", l.max_message_size),
            ("max_clients", l.max_clients),
            ("max_pending_requests", l.max_pending_requests),
            ("outbound_queue_messages", l.outbound_queue_messages),
            ("outbound_queue_bytes", l.outbound_queue_bytes),
            ("inbound_queue", l.inbound_queue),
            ("inbound_queue_bytes", l.inbound_queue_bytes),
            ("command_queue", l.command_queue),
            ("read_buffer_size", l.read_buffer_size),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("limits.{name} must be greater than zero"));
            }
        }
        if l.max_message_size < 64 {
            return Err("limits.max_message_size must be at least 64 bytes".to_owned());
        }
        if self.token.as_deref() == Some("") {
            return Err("token is empty: set a real secret, or none".to_owned());
        }
        if !self.bind.ip().is_loopback() && !self.allow_insecure_remote {
            let has_token = self.token.as_deref().is_some_and(|t| !t.is_empty());
            if !has_token || !self.tls_enabled() {
                return Err(format!(
                    "listening on {} exposes the game beyond this machine: set a token and TLS, \
                     or set allow_insecure_remote to accept the risk",
                    self.bind
                ));
            }
        }
        for url in &self.dial {
            let parsed = crate::net::transport::dial::DialUrl::parse(url)?;
            if !parsed.tls && !parsed.is_loopback() && !self.allow_insecure_remote {
                return Err(format!(
                    "dialling {url} sends everything in the clear beyond this machine: use \
                     wss://, or set allow_insecure_remote to accept the risk"
                ));
            }
        }
        if self.dial_backoff.initial.is_zero() || self.dial_backoff.max < self.dial_backoff.initial
        {
            return Err("dial_backoff: initial must be above zero and at most max".to_owned());
        }
        #[cfg(feature = "mqueue")]
        if let Some(mqueue) = &self.mqueue {
            mqueue.validate()?;
        }
        if u32::try_from(l.request_timeout.as_millis()).is_err() {
            return Err("limits.request_timeout must fit in u32 milliseconds".to_owned());
        }
        Ok(())
    }

    /// Take clients over POSIX message queues too ([`MqueueConfig`]).
    #[cfg(feature = "mqueue")]
    pub fn message_queues(mut self, queues: MqueueConfig) -> Self {
        self.mqueue = Some(queues);
        self
    }

    /// Serve `wss://` with this certificate.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// True when connections are served over TLS.
    pub fn tls_enabled(&self) -> bool {
        #[cfg(feature = "tls")]
        {
            self.tls.is_some()
        }
        #[cfg(not(feature = "tls"))]
        {
            false
        }
    }
}

/// Everything the network thread needs to know, fixed at start.
pub(crate) struct NetConfig {
    pub host: HostConfig,
    pub session_id: String,
}
