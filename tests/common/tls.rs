//! A `wss://` client that trusts one certificate, for the TLS tests.

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

pub type TlsSocket =
    tungstenite::WebSocket<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>;

/// Connects to `addr` as `localhost` over TLS, trusting only `cert_pem`,
/// and upgrades to a WebSocket.
pub fn wss_client(addr: SocketAddr, cert_pem: &str, read_timeout: Duration) -> TlsSocket {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(read_timeout)).unwrap();
    let stream = rustls::StreamOwned::new(connection, tcp);
    let url = format!("wss://localhost:{}/", addr.port());
    tungstenite::client(url, stream)
        .expect("TLS WebSocket handshake")
        .0
}
