//! Who may talk to the host over HTTP: the Host header check that stops DNS
//! rebinding, and the Origin check that stops cross-site WebSocket hijacking.
//!
//! A web page the developer happens to visit can make the browser open
//! `ws://127.0.0.1:9001`; the browser then sends that page's Origin, which
//! the host refuses unless it is the host's own origin or on the allowlist.
//! A page on a rebinding domain (`evil.example` resolving to 127.0.0.1)
//! passes an Origin-equals-Host test, so the Host itself must be a loopback
//! name, an IP literal, or explicitly allowed.

use super::http::{RequestHead, Response};
use crate::net::config::HostConfig;

/// Checks a request head; `Err` carries the refusal to send.
pub(crate) fn check(head: &RequestHead, config: &HostConfig, tls: bool) -> Result<(), Response> {
    let Some(host) = head.host.as_deref() else {
        return Err(Response::text(400, "Bad Request", "missing Host header\n"));
    };
    if !host_allowed(host, &config.allowed_hosts) {
        tracing::warn!(
            "refused a request for Host {host:?} (not loopback, not an IP, not allowed)"
        );
        return Err(Response::text(
            403,
            "Forbidden",
            &format!(
                "Host {host:?} is not allowed; add it to the host's allowed_hosts to serve it\n"
            ),
        ));
    }
    if head.upgrade_websocket {
        if let Some(origin) = head.origin.as_deref() {
            if !origin_allowed(origin, host, tls, &config.allowed_origins) {
                tracing::warn!("refused a WebSocket from Origin {origin:?}");
                return Err(Response::text(
                    403,
                    "Forbidden",
                    &format!(
                        "Origin {origin:?} may not open a WebSocket to this host; add it to allowed_origins\n"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The name part of a Host header value (`name:port`, `[v6]:port`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = host_name(host).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok()
        || allowed
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&name) || a.eq_ignore_ascii_case(host))
}

fn origin_allowed(origin: &str, host: &str, tls: bool, allowed: &[String]) -> bool {
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    // Same origin: the page the host served itself.
    let scheme = if tls { "https://" } else { "http://" };
    origin
        .strip_prefix(scheme)
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(host: Option<&str>, origin: Option<&str>) -> RequestHead {
        RequestHead {
            method: "GET".into(),
            path: "/".into(),
            upgrade_websocket: true,
            connection_upgrade: true,
            websocket_version: Some("13".into()),
            websocket_key: Some("k".into()),
            origin: origin.map(Into::into),
            host: host.map(Into::into),
        }
    }

    #[test]
    fn same_origin_and_non_browser_clients_pass() {
        let c = HostConfig::default();
        assert!(check(&head(Some("127.0.0.1:9001"), None), &c, false).is_ok());
        assert!(
            check(
                &head(Some("127.0.0.1:9001"), Some("http://127.0.0.1:9001")),
                &c,
                false
            )
            .is_ok()
        );
        assert!(
            check(
                &head(Some("localhost:9001"), Some("http://localhost:9001")),
                &c,
                false
            )
            .is_ok()
        );
        assert!(
            check(
                &head(Some("[::1]:9001"), Some("http://[::1]:9001")),
                &c,
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn foreign_origins_and_rebinding_hosts_are_refused() {
        let c = HostConfig::default();
        let refused = |h, o| check(&head(h, o), &c, false).unwrap_err().status;
        assert_eq!(
            refused(Some("127.0.0.1:9001"), Some("https://evil.example")),
            403
        );
        assert_eq!(refused(Some("127.0.0.1:9001"), Some("null")), 403);
        assert_eq!(
            refused(Some("127.0.0.1:9001"), Some("http://127.0.0.1:9002")),
            403
        );
        assert_eq!(
            refused(Some("evil.example:9001"), Some("http://evil.example:9001")),
            403
        );
        assert_eq!(refused(None, None), 400);
        // https origin for a plain host is not the same origin.
        assert_eq!(
            refused(Some("127.0.0.1:9001"), Some("https://127.0.0.1:9001")),
            403
        );
    }

    #[test]
    fn allowlists_open_exactly_what_they_name() {
        let c = HostConfig::default()
            .allow_origin("http://localhost:5173")
            .allow_host("game.lan");
        assert!(
            check(
                &head(Some("127.0.0.1:9001"), Some("http://localhost:5173")),
                &c,
                false
            )
            .is_ok()
        );
        assert!(check(&head(Some("game.lan:9001"), None), &c, false).is_ok());
        assert!(
            check(
                &head(Some("127.0.0.1:9001"), Some("http://localhost:5174")),
                &c,
                false
            )
            .is_err()
        );
    }
}
