//! The byte stream under a connection: plain TCP, or TLS (with the `tls`
//! feature) over the same non-blocking socket.

use std::io::{self, Read, Write};

use mio::net::TcpStream;

pub(crate) enum Transport {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Transport {
    /// The socket itself, for registering with the poll.
    pub(crate) fn tcp_mut(&mut self) -> &mut TcpStream {
        match self {
            Transport::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => &mut tls.sock,
        }
    }

    /// Ends our direction of the stream (TLS: close_notify first).
    pub(crate) fn shutdown_write(&mut self) {
        #[cfg(feature = "tls")]
        if let Transport::Tls(tls) = self {
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
        let _ = self.tcp_mut().shutdown(std::net::Shutdown::Write);
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.read(buf),
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.write(buf),
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.flush(),
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => tls.flush(),
        }
    }
}
