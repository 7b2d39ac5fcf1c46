//! The TCP listener: each accepted socket becomes an HTTP exchange.

use std::io::{self, Write};
use std::sync::Arc;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use super::stream::Stream;
use super::upgrade::HttpExchange;
use crate::net::config::NetConfig;
use crate::net::transport::{Acceptor, Opening};

pub(crate) struct TcpAcceptor {
    listener: TcpListener,
    config: Arc<NetConfig>,
}

impl TcpAcceptor {
    pub(crate) fn new(listener: TcpListener, config: Arc<NetConfig>) -> Self {
        Self { listener, config }
    }

    /// Puts TLS around a new socket when the host serves `wss://`.
    fn wrap(&self, stream: TcpStream) -> Result<Stream, String> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.config.host.tls {
            let connection =
                rustls::ServerConnection::new(tls.0.clone()).map_err(|e| e.to_string())?;
            return Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(
                connection, stream,
            ))));
        }
        Ok(Stream::Plain(stream))
    }
}

impl Acceptor for TcpAcceptor {
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.listener, token, Interest::READABLE)
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.listener);
    }

    fn accept(&mut self, room: bool) -> Option<Result<Box<dyn Opening>, String>> {
        loop {
            let (mut stream, addr) = match self.listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(format!("accept failed: {e}"))),
            };
            if !room {
                let max_clients = self.config.host.limits.max_clients;
                let body =
                    format!("host has reached max_clients ({max_clients}); try again later\n");
                let response = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                // Best effort: a fresh socket takes a small write at once.
                let _ = stream.write(response.as_bytes());
                return Some(Err(format!("turned away {addr}: {}", body.trim_end())));
            }
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("set_nodelay on {addr}: {e}");
            }
            return Some(match self.wrap(stream) {
                Ok(stream) => Ok(Box::new(HttpExchange::new(
                    stream,
                    addr,
                    Arc::clone(&self.config),
                ))),
                Err(e) => Err(format!("cannot start TLS for {addr}: {e}")),
            });
        }
    }
}
