//! Whom the host trusts when it dials `wss://` (feature `tls`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::TlsError;

/// Where Linux distributions keep the system's CA bundle, after
/// `SSL_CERT_FILE`.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The certificate authorities trusted for `wss://` URLs the host dials.
///
/// ```no_run
/// use switchboard::{DialTlsConfig, HostConfig};
/// let tls = DialTlsConfig::from_ca_pem_file("editor-ca.pem")?;
/// let config = HostConfig::default().dial("wss://editor.lan:7443/").dial_tls(tls);
/// # Ok::<(), switchboard::TlsError>(())
/// ```
#[derive(Clone)]
pub struct DialTlsConfig(pub(crate) Arc<rustls::ClientConfig>);

impl DialTlsConfig {
    /// Trust exactly the certificates in this PEM data.
    pub fn from_ca_pem(pem: &[u8]) -> Result<Self, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TlsError::Certificate(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| TlsError::Certificate(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(TlsError::Certificate("no CA certificate".to_owned()));
        }
        Self::from_roots(roots)
    }

    /// Trust exactly the certificates in this PEM file.
    pub fn from_ca_pem_file(path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_ca_pem(&pem)
    }

    /// Trust the system's CA bundle: the file `SSL_CERT_FILE` names, or
    /// the first of the usual Linux locations that exists.
    pub fn system_roots() -> Result<Self, TlsError> {
        let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        let candidates = from_env
            .into_iter()
            .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from));
        for path in candidates {
            if path.is_file() {
                return Self::from_ca_pem_file(&path);
            }
        }
        Err(TlsError::Certificate(
            "no system CA bundle found; set SSL_CERT_FILE or give the CA with DialTlsConfig::from_ca_pem"
                .to_owned(),
        ))
    }

    /// From a rustls client configuration built by the caller.
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        Self(config)
    }

    fn from_roots(roots: rustls::RootCertStore) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self(Arc::new(config)))
    }
}

impl std::fmt::Debug for DialTlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DialTlsConfig(..)")
    }
}
