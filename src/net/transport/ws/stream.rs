//! The byte stream under a connection: plain TCP, or TLS (with the `tls`
//! feature) over the same non-blocking socket.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

/// A TCP socket, with TLS around it when the host serves `wss://`.
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
    /// TLS on a connection the host dialled.
    #[cfg(feature = "tls")]
    TlsClient(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    /// The socket itself, for registering with the poll.
    pub(crate) fn tcp_mut(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => &mut tls.sock,
            #[cfg(feature = "tls")]
            Stream::TlsClient(tls) => &mut tls.sock,
        }
    }

    /// Ends our direction of the stream (TLS: close_notify first).
    pub(crate) fn shutdown_write(&mut self) {
        #[cfg(feature = "tls")]
        match self {
            Stream::Plain(_) => {}
            Stream::Tls(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.conn.complete_io(&mut tls.sock);
            }
            Stream::TlsClient(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.conn.complete_io(&mut tls.sock);
            }
        }
        let _ = self.tcp_mut().shutdown(std::net::Shutdown::Write);
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => tls.read(buf),
            #[cfg(feature = "tls")]
            Stream::TlsClient(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => tls.write(buf),
            #[cfg(feature = "tls")]
            Stream::TlsClient(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(tls) => tls.flush(),
            #[cfg(feature = "tls")]
            Stream::TlsClient(tls) => tls.flush(),
        }
    }
}
