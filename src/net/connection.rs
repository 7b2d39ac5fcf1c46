//! A TCP connection from accept to close: first an HTTP exchange, then
//! (after an upgrade) a WebSocket session.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::TcpStream;

use super::transport::Transport;

use super::http::{self, Decision, MAX_REQUEST_HEAD, Parsed, Response};
use super::session::Session;
use super::{access, static_files};
use crate::host::HostConfig;

/// What the HTTP exchange decided once its response is written.
#[derive(Debug)]
pub(crate) enum AfterResponse {
    /// Become a WebSocket session; these bytes arrived after the request head.
    Upgrade { leftover: Vec<u8> },
    /// Close the connection.
    Close,
}

/// Reading a request head and writing the answer.
pub(crate) struct HttpExchange {
    pub stream: Transport,
    request: Vec<u8>,
    response: Vec<u8>,
    written: usize,
    after: Option<AfterResponse>,
}

/// Progress of an HTTP exchange.
#[derive(Debug)]
pub(crate) enum HttpProgress {
    /// Waiting for the socket.
    Pending,
    /// The response is out; do this next.
    Finished(AfterResponse),
    /// The peer went away or the socket failed.
    Failed(String),
}

impl HttpExchange {
    pub(crate) fn new(stream: Transport) -> Self {
        Self {
            stream,
            request: Vec::new(),
            response: Vec::new(),
            written: 0,
            after: None,
        }
    }

    /// Reads what has arrived and, once the head is complete, prepares the
    /// answer; then writes as much of it as the socket takes.
    pub(crate) fn advance(&mut self, config: &HostConfig) -> HttpProgress {
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

pub(crate) enum Phase {
    Http(HttpExchange),
    WebSocket(Box<Session>),
    /// Only while switching from HTTP to WebSocket.
    Switching,
}

pub(crate) struct Connection {
    pub addr: SocketAddr,
    pub phase: Phase,
    /// A readable edge was seen and the socket has not yet said WouldBlock.
    pub want_read: bool,
    /// Listed in the loop's read list.
    pub listed_for_read: bool,
}

impl Connection {
    pub(crate) fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.phase {
            Phase::WebSocket(session) => Some(session),
            Phase::Http(_) | Phase::Switching => None,
        }
    }

    pub(crate) fn stream_mut(&mut self) -> Option<&mut TcpStream> {
        match &mut self.phase {
            Phase::WebSocket(session) => Some(session.stream_mut().tcp_mut()),
            Phase::Http(exchange) => Some(exchange.stream.tcp_mut()),
            Phase::Switching => None,
        }
    }
}
