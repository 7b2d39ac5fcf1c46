//! `wss://` for the blocking client (feature `tls`): a TLS stream through
//! rustls, trusting the roots of a [`DialTlsConfig`](crate::DialTlsConfig)
//! (a given CA file or the system's bundle), then the same WebSocket
//! upgrade as over plain TCP.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocket;

use super::ClientError;
use crate::DialTlsConfig;

/// A WebSocket over TLS over TCP.
pub(super) type SecureSocket = WebSocket<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>;

/// Connects to `addr`, checks the server's certificate against
/// `tls`'s roots for `server_name`, and upgrades to a WebSocket at
/// `wss://server_name:port/`. Every read of the handshake waits at most
/// `timeout`, so a server that accepts and says nothing cannot hang it.
pub(super) fn open(
    addr: impl ToSocketAddrs,
    server_name: &str,
    tls: &DialTlsConfig,
    timeout: Duration,
) -> Result<SecureSocket, ClientError> {
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .map_err(|e| ClientError::Tls(format!("{server_name:?} is not a server name: {e}")))?;
    let connection = rustls::ClientConnection::new(Arc::clone(&tls.0), name)
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
    let port = tcp.peer_addr()?.port();
    let stream = rustls::StreamOwned::new(connection, tcp);
    let host = if server_name.contains(':') {
        format!("[{server_name}]")
    } else {
        server_name.to_owned()
    };
    let request = format!("wss://{host}:{port}/").into_client_request()?;
    let (ws, _) = tungstenite::client(request, stream).map_err(|e| match e {
        tungstenite::HandshakeError::Failure(e) => handshake_error(e),
        tungstenite::HandshakeError::Interrupted(_) => ClientError::Timeout,
    })?;
    Ok(ws)
}

/// rustls reports a refused certificate as an I/O error of kind
/// InvalidData; it is a TLS failure to the caller, not a broken socket.
fn handshake_error(error: tungstenite::Error) -> ClientError {
    match error {
        tungstenite::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            ClientError::Tls(e.to_string())
        }
        tungstenite::Error::Io(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            ClientError::Timeout
        }
        other => ClientError::WebSocket(other),
    }
}
