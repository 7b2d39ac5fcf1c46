//! The seam between the session core and the ways frames travel.
//!
//! The session core (handshake, subscriptions, queues, delivery policies,
//! limits, request correlation) never touches a socket. It talks to a
//! [`Link`]: something that carries whole messages to and from one peer.
//! A transport is a folder or file here that provides links, plus one line
//! in [`accepting`] (for transports that take connections from a listening
//! endpoint) or a way to hand a finished link to the network thread
//! ([`Command::Attach`](super::Command::Attach), for links made elsewhere,
//! such as the in-memory pair). Outbound connections ([`dial`]) are
//! [`Opening`]s the loop starts itself, on a timer, instead of taking them
//! from an [`Acceptor`].
//!
//! # What a link must guarantee
//!
//! ## Messages, not bytes
//! [`Link::read`] yields one whole message or says why it cannot. A link
//! never returns part of a message, and never joins two. The size limit
//! (`Limits::max_message_size`) is the link's to enforce while reading, so
//! an oversized message is refused before it is buffered whole
//! ([`Incoming::Violation`] with [`CloseCode::MessageTooBig`]).
//!
//! ## Order
//! Messages are delivered in the order they were sent, in both directions.
//! A close goes out after every message sent before it.
//!
//! ## Writes never block, and never lose a message
//! [`Link::send`] always takes the message: it is written or buffered.
//! [`Flow::Blocked`] says the peer is not keeping up; the session then stops
//! sending until the link reports the peer writable again (a writable event
//! for its token, or a [`Doorbell`] ring) and calls [`Link::flush`]. What a
//! link buffers beyond the session's own outbound queue is bounded by one
//! message plus the link's write buffer, so the session's queue limits are
//! the real bound on memory.
//!
//! ## Readiness is edge-triggered
//! After [`Link::register`], the network thread is told when the link may
//! have become readable or writable: through mio for links with a file
//! descriptor, through the [`Doorbell`] for links without one. The thread
//! then reads until [`Incoming::WouldBlock`] (or a budget runs out and it
//! comes back on its own), so a link must report readiness again only for
//! data that arrives after a `WouldBlock`. A spurious wake-up is harmless.
//!
//! ## Close
//! [`Link::close`] sends a close with a code and a reason, after everything
//! already sent. The peer's own close arrives as [`Incoming::CloseReceived`];
//! the end of the stream as [`Incoming::Ended`]. After a close is out,
//! [`Link::shutdown_write`] ends our direction (TCP: FIN) while reading goes
//! on, so a peer that is still writing is not reset before it has read why
//! it was closed.

pub(crate) mod dial;
mod doorbell;
pub(crate) mod memory;
#[cfg(all(feature = "mqueue", target_os = "linux"))]
pub(crate) mod mqueue;
#[cfg(all(unix, feature = "plugins"))]
pub(crate) mod pipe;
pub(crate) mod ws;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mio::{Registry, Token};

pub(crate) use doorbell::{Doorbell, Ring};

use super::config::NetConfig;
use super::event::Peer;
use crate::protocol::{ClientId, CloseCode};

/// What a link made for one known peer (a plugin process) tells the
/// session instead of the host-wide rules: the name its `Hello` must give,
/// and the directories and preferences its `Welcome` carries. The link is
/// the credential (only that process holds its descriptors), so the host's
/// token is not asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Admission {
    /// The exact `Hello.client_name` to accept.
    pub name: String,
    /// `Welcome.info.directories` for this peer.
    pub directories: Vec<(String, String)>,
    /// `Welcome.info.preferences` for this peer.
    pub preferences: Vec<(String, String)>,
    /// How long this peer has for its `Hello`, instead of the host's
    /// `handshake_timeout` (a plugin gets its supervisor's registration
    /// timeout: an interpreter may take seconds to start).
    pub handshake_timeout: Option<std::time::Duration>,
}

/// One message as a link carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A protocol frame.
    Binary(Bytes),
    /// UTF-8 text; only WebSocket links carry it, and only the echo mode
    /// used for conformance runs sends it.
    Text(Bytes),
}

impl Payload {
    /// Bytes it holds, for queue bounds.
    pub(crate) fn len(&self) -> usize {
        match self {
            Payload::Binary(b) | Payload::Text(b) => b.len(),
        }
    }
}

/// What one read produced.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// One whole message.
    Message(Payload),
    /// The link did work of its own (answered a ping, say) whose reply may
    /// need a flush.
    Control,
    /// The peer sent its close; the words describe it ("client closed (1000 bye)").
    CloseReceived(String),
    /// Nothing more to read now; readiness will be reported again.
    WouldBlock,
    /// The link is finished: `None` after an orderly close (the session
    /// knows why), otherwise the words say what broke.
    Ended(Option<String>),
    /// The peer broke the link's framing rules; the session closes with this
    /// code and reason. The link discards further input itself.
    Violation(CloseCode, String),
}

/// Whether the peer is keeping up with what we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Everything is written (or the link has room); keep going.
    Ready,
    /// Buffered, but the peer is not taking more: wait for writable.
    Blocked,
}

/// Why a link cannot write any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    /// The close handshake finished; the session knows why.
    Closed,
    /// The write failed; the words say how.
    Failed(String),
}

/// A message-oriented, non-blocking connection to one peer. The contract is
/// in the [module docs](self).
pub(crate) trait Link: Send {
    /// Who is on the other end, for logs and `ClientInfo`.
    fn peer(&self) -> Peer;

    /// Starts readiness reports under `token` (mio for sources with a file
    /// descriptor; otherwise `doorbell`).
    fn register(&mut self, registry: &Registry, token: Token, doorbell: Ring) -> io::Result<()>;

    /// Stops readiness reports; called once, when the link is dropped.
    fn deregister(&mut self, registry: &Registry);

    /// Reads at most one message.
    fn read(&mut self) -> Incoming;

    /// Takes one message (see the module docs: it is never refused for
    /// lack of room). `Err` means the link is finished.
    fn send(&mut self, payload: Payload) -> Result<Flow, Broken>;

    /// Whether `send` is done with the payload's bytes when it returns
    /// (it copied them into a buffer of its own), so the session may build
    /// the next message in the same memory. Links that keep the `Bytes`
    /// they were given say no.
    fn copies_payload(&self) -> bool {
        false
    }

    /// Pushes out what is buffered.
    fn flush(&mut self) -> Result<Flow, Broken>;

    /// Sends a close after everything sent so far.
    fn close(&mut self, code: CloseCode, reason: &str) -> Flow;

    /// Ends our direction once the close is out; reading goes on.
    fn shutdown_write(&mut self);

    /// Rules of its own for this peer's handshake; `None` (the default)
    /// for links anyone may open.
    fn admission(&self) -> Option<&Admission> {
        None
    }

    /// The handshake finished: the peer is `client` now.
    fn welcomed(&mut self, _client: ClientId) {}
}

/// A connection that has arrived but does not carry messages yet (a TCP
/// socket before its HTTP upgrade, say).
pub(crate) trait Opening: Send {
    /// Who is on the other end.
    fn peer(&self) -> Peer;

    /// Starts readiness reports under `token`.
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()>;

    /// Stops readiness reports, for an opening dropped before it opened.
    fn deregister(&mut self, registry: &Registry);

    /// Moves on after a readiness report.
    fn advance(&mut self) -> OpenProgress;

    /// The link, once [`advance`](Self::advance) said `Ready`; it keeps the
    /// opening's registration.
    fn into_link(self: Box<Self>) -> Box<dyn Link>;
}

/// Where an [`Opening`] is.
pub(crate) enum OpenProgress {
    /// Waiting for the peer.
    Pending,
    /// Ready to become a link ([`Opening::into_link`]).
    Ready,
    /// Finished without a link (an HTTP answer was sent, or the peer left).
    Done(String),
}

/// A listening endpoint that turns arrivals into [`Opening`]s.
pub(crate) trait Acceptor: Send {
    /// Starts readiness reports under `token`.
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()>;

    /// Stops taking arrivals (at shutdown).
    fn deregister(&mut self, registry: &Registry);

    /// Takes the next arrival, or `None` when there is none now. Without
    /// `room` (the host is full or shutting down) the acceptor turns the
    /// arrival away itself, in its transport's words, and returns `Err`
    /// with a line for the log, as it does for a failed arrival.
    fn accept(&mut self, room: bool) -> Option<Result<Box<dyn Opening>, String>>;
}

/// Every listening endpoint the host serves. A new accepting transport adds
/// its line here.
pub(crate) fn accepting(
    config: &Arc<NetConfig>,
    tcp: mio::net::TcpListener,
) -> Vec<Box<dyn Acceptor>> {
    vec![Box::new(ws::TcpAcceptor::new(tcp, Arc::clone(config)))]
}

/// A transport that finds its peers by looking rather than by listening
/// (the message queues: a client makes a named pair, the host notices it).
/// The network thread gives each finder a turn every
/// [`interval`](Self::interval), on its own timers: no thread, no spinning.
pub(crate) trait Finder: Send {
    /// Time between turns.
    fn interval(&self) -> Duration;

    /// One turn: checks the peers found earlier (a gone one is told
    /// through its link) and returns a link for a new peer, if any. The
    /// network thread attaches it like any other link.
    fn look(&mut self) -> Option<Box<dyn Link>>;
}

/// Every finder the host runs. A new finding transport adds its line here.
pub(crate) fn finding(config: &Arc<NetConfig>) -> Vec<Box<dyn Finder>> {
    #[allow(unused_mut)] // empty without the transports that find
    let mut finders: Vec<Box<dyn Finder>> = Vec::new();
    #[cfg(all(feature = "mqueue", target_os = "linux"))]
    if let Some(queues) = &config.host.mqueue {
        finders.push(Box::new(mqueue::QueueFinder::new(
            queues,
            std::process::id(),
            config.host.limits.max_message_size,
        )));
    }
    #[cfg(not(all(feature = "mqueue", target_os = "linux")))]
    let _ = config;
    finders
}
