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

/// A test certificate authority and a `localhost` certificate it signed:
/// (CA PEM, leaf certificate PEM, leaf key PEM).
pub fn ca_and_localhost_cert() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "switchboard test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}
