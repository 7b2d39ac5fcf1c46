//! The URLs the host dials: `ws://` or `wss://`, a host, a port, a path.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tungstenite::http::Uri;

/// A dial URL, checked once when the host starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DialUrl {
    /// As configured, for logs and status events.
    pub text: String,
    pub tls: bool,
    /// Without brackets for IPv6 literals.
    pub host: String,
    pub port: u16,
}

impl DialUrl {
    /// Checks a URL; the error is a sentence for the configuration's author.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let uri: Uri = text
            .parse()
            .map_err(|e| format!("dial URL {text:?} is not a URL: {e}"))?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(format!("dial URL {text:?} must start with ws:// or wss://")),
        };
        if tls && !cfg!(feature = "tls") {
            return Err(format!(
                "dial URL {text:?} needs TLS: build with the tls feature"
            ));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("dial URL {text:?} has no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!(
                "dial URL {text:?} carries credentials; the peer sends the token in Hello instead"
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("dial URL {text:?} has no host"));
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        if port == 0 {
            return Err(format!("dial URL {text:?} has port 0"));
        }
        Ok(Self {
            text: text.to_owned(),
            tls,
            host: host.to_owned(),
            port,
        })
    }

    /// The host's addresses when no name lookup is needed: an IP literal,
    /// or `localhost` (IPv4 and IPv6 loopback, tried in turn).
    pub(crate) fn literal_ips(&self) -> Option<Vec<IpAddr>> {
        if self.host.eq_ignore_ascii_case("localhost") {
            return Some(vec![
                IpAddr::from(Ipv4Addr::LOCALHOST),
                IpAddr::from(Ipv6Addr::LOCALHOST),
            ]);
        }
        self.host.parse().ok().map(|ip| vec![ip])
    }

    /// Whether the peer is on this machine.
    pub(crate) fn is_loopback(&self) -> bool {
        self.literal_ips()
            .is_some_and(|ips| ips.iter().all(IpAddr::is_loopback))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ws_urls_and_fills_in_ports() {
        let url = DialUrl::parse("ws://127.0.0.1:7000/editor?x=1").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.tls),
            ("127.0.0.1", 7000, false)
        );
        assert!(url.is_loopback());
        let url = DialUrl::parse("ws://[::1]/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert!(url.is_loopback());
        let url = DialUrl::parse("ws://editor.lan:9/").unwrap();
        assert!(!url.is_loopback());
        assert_eq!(url.literal_ips(), None);
        assert!(DialUrl::parse("ws://localhost:1/").unwrap().is_loopback());
    }

    #[test]
    fn refuses_what_cannot_be_dialled() {
        for bad in [
            "http://127.0.0.1:1/",
            "127.0.0.1:7000",
            "ws://",
            "ws://user:pw@127.0.0.1:1/",
            "ws://127.0.0.1:0/",
            "not a url",
        ] {
            assert!(DialUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
