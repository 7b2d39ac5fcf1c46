//! One outbound attempt as an [`Opening`]: a non-blocking TCP connect,
//! TLS for `wss://`, then the WebSocket client handshake, each step taken
//! when the socket is ready, so the network thread never waits.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use tungstenite::WebSocket;
use tungstenite::handshake::client::ClientHandshake;
use tungstenite::handshake::{HandshakeError, MidHandshake};

use super::url::DialUrl;
use crate::net::config::NetConfig;
use crate::net::event::Peer;
use crate::net::transport::ws::link::WsLink;
use crate::net::transport::ws::stream::Stream;
use crate::net::transport::ws::websocket_config;
use crate::net::transport::{Broken, Flow, Incoming, Link, OpenProgress, Opening, Ring};
use crate::protocol::CloseCode;

/// Where an outbound attempt is.
enum Step {
    /// The TCP connect is under way.
    Connecting(Stream),
    /// The request is written, or being; waiting for the 101.
    Upgrading(MidHandshake<ClientHandshake<Stream>>),
    /// The WebSocket is open.
    Open(WebSocket<Stream>),
    /// Failed or finished; nothing left.
    Spent,
}

pub(crate) struct DialOpening {
    url: DialUrl,
    addr: SocketAddr,
    config: Arc<NetConfig>,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ClientConfig>>,
    step: Step,
}

impl DialOpening {
    /// Starts connecting to `addr` (the resolved `url`); returns at once.
    pub(crate) fn connect(
        url: DialUrl,
        addr: SocketAddr,
        config: Arc<NetConfig>,
        #[cfg(feature = "tls")] tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self, String> {
        let tcp = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        Ok(Self {
            url,
            addr,
            config,
            #[cfg(feature = "tls")]
            tls,
            step: Step::Connecting(Stream::Plain(tcp)),
        })
    }

    fn stream_mut(&mut self) -> Option<&mut Stream> {
        match &mut self.step {
            Step::Connecting(stream) => Some(stream),
            Step::Upgrading(mid) => Some(mid.get_mut().get_mut()),
            Step::Open(ws) => Some(ws.get_mut()),
            Step::Spent => None,
        }
    }

    /// Whether the TCP connect has finished; `Err` when it failed.
    fn connected(stream: &mut Stream) -> Result<bool, String> {
        let tcp = stream.tcp_mut();
        if let Ok(Some(e)) | Err(e) = tcp.take_error() {
            return Err(format!("connect failed: {e}"));
        }
        match tcp.peer_addr() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(format!("connect failed: {e}")),
        }
    }

    /// Puts TLS around the connected socket for `wss://`.
    fn secure(&self, stream: Stream) -> Result<Stream, String> {
        if !self.url.tls {
            return Ok(stream);
        }
        #[cfg(feature = "tls")]
        if let (Some(tls), Stream::Plain(tcp)) = (&self.tls, stream) {
            let name = rustls::pki_types::ServerName::try_from(self.url.host.clone())
                .map_err(|e| format!("{} is not a TLS server name: {e}", self.url.host))?;
            let connection = rustls::ClientConnection::new(Arc::clone(tls), name)
                .map_err(|e| format!("cannot start TLS: {e}"))?;
            return Ok(Stream::TlsClient(Box::new(rustls::StreamOwned::new(
                connection, tcp,
            ))));
        }
        Err("wss:// needs the tls feature and a TLS configuration".to_owned())
    }

    fn start_upgrade(&mut self, stream: Stream) -> OpenProgress {
        let stream = match self.secure(stream) {
            Ok(stream) => stream,
            Err(reason) => return self.fail(reason),
        };
        let ws_config = websocket_config(&self.config.host.limits);
        let result = tungstenite::client::client_with_config(
            self.url.text.as_str(),
            stream,
            Some(ws_config),
        );
        self.upgrade_result(result)
    }

    fn upgrade_result(
        &mut self,
        result: Result<
            (WebSocket<Stream>, tungstenite::handshake::client::Response),
            HandshakeError<ClientHandshake<Stream>>,
        >,
    ) -> OpenProgress {
        match result {
            Ok((ws, _response)) => {
                self.step = Step::Open(ws);
                OpenProgress::Ready
            }
            Err(HandshakeError::Interrupted(mid)) => {
                self.step = Step::Upgrading(mid);
                OpenProgress::Pending
            }
            Err(HandshakeError::Failure(e)) => self.fail(format!(
                "WebSocket handshake with {} failed: {e}",
                self.addr
            )),
        }
    }

    fn fail(&mut self, reason: String) -> OpenProgress {
        self.step = Step::Spent;
        OpenProgress::Done(reason)
    }
}

impl Opening for DialOpening {
    fn peer(&self) -> Peer {
        Peer::Tcp(self.addr)
    }

    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let stream = self
            .stream_mut()
            .ok_or_else(|| io::Error::other("attempt already finished"))?;
        registry.register(
            stream.tcp_mut(),
            token,
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    fn deregister(&mut self, registry: &Registry) {
        if let Some(stream) = self.stream_mut() {
            let _ = registry.deregister(stream.tcp_mut());
        }
    }

    fn advance(&mut self) -> OpenProgress {
        match std::mem::replace(&mut self.step, Step::Spent) {
            Step::Connecting(mut stream) => match Self::connected(&mut stream) {
                Ok(true) => {
                    if let Err(e) = stream.tcp_mut().set_nodelay(true) {
                        tracing::debug!("set_nodelay on {}: {e}", self.addr);
                    }
                    self.start_upgrade(stream)
                }
                Ok(false) => {
                    self.step = Step::Connecting(stream);
                    OpenProgress::Pending
                }
                Err(reason) => self.fail(reason),
            },
            Step::Upgrading(mid) => {
                let result = mid.handshake();
                self.upgrade_result(result)
            }
            Step::Open(ws) => {
                self.step = Step::Open(ws);
                OpenProgress::Ready
            }
            Step::Spent => OpenProgress::Done("outbound attempt already finished".to_owned()),
        }
    }

    fn into_link(self: Box<Self>) -> Box<dyn Link> {
        let addr = self.addr;
        match self.step {
            Step::Open(ws) => Box::new(WsLink::dialled(ws, addr)),
            // advance() said Ready only with an open WebSocket.
            _ => Box::new(Unopened(addr)),
        }
    }
}

/// Stands in for a link that never opened, so the loop's bookkeeping stays
/// the same: it ends at the first read.
struct Unopened(SocketAddr);

impl Link for Unopened {
    fn peer(&self) -> Peer {
        Peer::Tcp(self.0)
    }

    fn register(&mut self, _: &Registry, _: Token, doorbell: Ring) -> io::Result<()> {
        doorbell.ring();
        Ok(())
    }

    fn deregister(&mut self, _: &Registry) {}

    fn read(&mut self) -> Incoming {
        Incoming::Ended(Some("outbound connection did not open".to_owned()))
    }

    fn send(&mut self, _: crate::net::transport::Payload) -> Result<Flow, Broken> {
        Err(Broken::Failed(
            "outbound connection did not open".to_owned(),
        ))
    }

    fn flush(&mut self) -> Result<Flow, Broken> {
        Err(Broken::Failed(
            "outbound connection did not open".to_owned(),
        ))
    }

    fn close(&mut self, _: CloseCode, _: &str) -> Flow {
        Flow::Ready
    }

    fn shutdown_write(&mut self) {}
}
