//! A TCP connection before it carries messages: one HTTP request read, and
//! its answer written. An upgrade turns it into a [`WsLink`]; anything else
//! (a static file, a refusal) closes it.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use mio::{Interest, Registry, Token};

use super::http::{self, Decision, MAX_REQUEST_HEAD, Parsed, Response};
use super::link::WsLink;
use super::stream::Stream;
use super::{access, static_files, websocket_config};
use crate::net::config::{HostConfig, NetConfig};
use crate::net::event::Peer;
use crate::net::transport::{Link, OpenProgress, Opening};

/// What the HTTP exchange decided once its response is written.
#[derive(Debug)]
enum AfterResponse {
    /// Become a WebSocket session; these bytes arrived after the request head.
    Upgrade { leftover: Vec<u8> },
    /// Close the connection.
    Close,
}

/// Reading a request head and writing the answer.
pub(crate) struct HttpExchange {
    stream: Stream,
    addr: SocketAddr,
    config: Arc<NetConfig>,
    request: Vec<u8>,
    /// Bytes that arrived after the request head, for the WebSocket.
    leftover: Vec<u8>,
    response: Vec<u8>,
    written: usize,
    after: Option<AfterResponse>,
}

/// Progress of an HTTP exchange.
#[derive(Debug)]
enum HttpProgress {
    /// Waiting for the socket.
    Pending,
    /// The response is out; do this next.
    Finished(AfterResponse),
    /// The peer went away or the socket failed.
    Failed(String),
}

impl HttpExchange {
    pub(crate) fn new(stream: Stream, addr: SocketAddr, config: Arc<NetConfig>) -> Self {
        Self {
            stream,
            addr,
            config,
            request: Vec::new(),
            leftover: Vec::new(),
            response: Vec::new(),
            written: 0,
            after: None,
        }
    }

    /// Reads what has arrived and, once the head is complete, prepares the
    /// answer; then writes as much of it as the socket takes.
    fn advance_http(&mut self, config: &HostConfig) -> HttpProgress {
        if self.after.is_none() {
            if let Err(reason) = self.read_head(config) {
                return HttpProgress::Failed(reason);
            }
        }
        if self.after.is_none() {
            return HttpProgress::Pending;
        }
        while self.written < self.response.len() {
            match self.stream.write(&self.response[self.written..]) {
                Ok(0) => return HttpProgress::Failed("peer stopped reading".to_owned()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return HttpProgress::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return HttpProgress::Failed(format!("I/O error: {e}")),
            }
        }
        match self.after.take() {
            Some(after) => HttpProgress::Finished(after),
            None => HttpProgress::Pending,
        }
    }

    fn read_head(&mut self, config: &HostConfig) -> Result<(), String> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err("peer closed during the HTTP request".to_owned()),
                Ok(n) => {
                    self.request.extend_from_slice(&chunk[..n]);
                    if self.try_decide(config) {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("I/O error: {e}")),
            }
        }
    }

    /// Returns true once the answer is decided.
    fn try_decide(&mut self, config: &HostConfig) -> bool {
        match http::parse_request(&self.request) {
            Parsed::Partial if self.request.len() > MAX_REQUEST_HEAD => {
                self.respond(Response::text(
                    431,
                    "Request Header Fields Too Large",
                    "request head is larger than 16 KiB\n",
                ));
                true
            }
            Parsed::Partial => false,
            Parsed::Invalid(reason) => {
                self.respond(Response::text(400, "Bad Request", &format!("{reason}\n")));
                true
            }
            Parsed::Complete(_, len) if len > MAX_REQUEST_HEAD => {
                self.respond(Response::text(
                    431,
                    "Request Header Fields Too Large",
                    "request head is larger than 16 KiB\n",
                ));
                true
            }
            Parsed::Complete(head, len) => {
                if let Err(refusal) = access::check(&head, config, config.tls_enabled()) {
                    self.respond(refusal);
                    return true;
                }
                if let (false, Some(root)) = (head.upgrade_websocket, config.web_root.as_deref()) {
                    let response = static_files::serve(root, &head);
                    self.response = response.to_bytes(head.method != "HEAD");
                    self.after = Some(AfterResponse::Close);
                    return true;
                }
                match http::decide_upgrade(&head) {
                    Decision::Upgrade { accept_key } => {
                        self.response = http::switching_protocols(&accept_key);
                        self.after = Some(AfterResponse::Upgrade {
                            leftover: self.request.split_off(len),
                        });
                        self.request = Vec::new();
                    }
                    Decision::Respond(response) => {
                        let include_body = head.method != "HEAD";
                        self.response = response.to_bytes(include_body);
                        self.after = Some(AfterResponse::Close);
                    }
                }
                true
            }
        }
    }

    fn respond(&mut self, response: Response) {
        self.response = response.to_bytes(true);
        self.after = Some(AfterResponse::Close);
    }
}

impl Opening for HttpExchange {
    fn peer(&self) -> Peer {
        Peer::Tcp(self.addr)
    }

    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(
            self.stream.tcp_mut(),
            token,
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(self.stream.tcp_mut());
    }

    fn advance(&mut self) -> OpenProgress {
        let config = Arc::clone(&self.config);
        match self.advance_http(&config.host) {
            HttpProgress::Pending => OpenProgress::Pending,
            HttpProgress::Failed(reason) => OpenProgress::Done(reason),
            HttpProgress::Finished(AfterResponse::Close) => {
                OpenProgress::Done("HTTP response sent".to_owned())
            }
            HttpProgress::Finished(AfterResponse::Upgrade { leftover }) => {
                self.leftover = leftover;
                OpenProgress::Ready
            }
        }
    }

    fn into_link(self: Box<Self>) -> Box<dyn Link> {
        // The socket moves into the link and keeps its registration.
        let ws = websocket_config(&self.config.host.limits);
        Box::new(WsLink::new(self.stream, self.leftover, ws, self.addr))
    }
}
