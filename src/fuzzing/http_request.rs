//! The `http_request` target: the HTTP head parser and the access checks.

use std::sync::OnceLock;

use super::MAX_INPUT;
use super::static_path::check_served;
use crate::HostConfig;
use crate::net::transport::ws::{access, http};

/// What the host does with the bytes of a request head: parse it, run the
/// access checks (default configuration and one with allowlists, plain and
/// TLS), decide the upgrade and write the answer; for GET and HEAD also the
/// static-file path sanitizer.
pub fn http_request(bytes: &[u8]) {
    if bytes.len() > MAX_INPUT {
        return;
    }
    let (head, len) = match http::parse_request(bytes) {
        http::Parsed::Partial => return,
        http::Parsed::Invalid(reason) => {
            assert!(!reason.is_empty());
            return;
        }
        http::Parsed::Complete(head, len) => (head, len),
    };
    assert!(len <= bytes.len());
    // The head alone parses to the same thing (the connection re-parses a
    // growing buffer; eager WebSocket bytes after the head do not count).
    match http::parse_request(&bytes[..len]) {
        http::Parsed::Complete(again, len2) => assert_eq!((again, len2), (head.clone(), len)),
        other => panic!("the head alone parsed as {other:?}"),
    }

    static CONFIGS: OnceLock<[HostConfig; 2]> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        [
            HostConfig::default(),
            HostConfig::default()
                .allow_origin("http://localhost:5173")
                .allow_host("game.lan"),
        ]
    });
    for config in configs {
        for tls in [false, true] {
            if let Err(refusal) = access::check(&head, config, tls) {
                assert!(matches!(refusal.status, 400 | 403));
                let _ = refusal.to_bytes(true);
            }
        }
    }
    match http::decide_upgrade(&head) {
        http::Decision::Upgrade { accept_key } => {
            assert!(head.upgrade_websocket && head.connection_upgrade);
            assert_eq!(head.method, "GET");
            assert_eq!(accept_key.len(), 28, "base64 of a SHA-1");
            let answer = http::switching_protocols(&accept_key);
            assert!(answer.starts_with(b"HTTP/1.1 101 "));
        }
        http::Decision::Respond(response) => {
            assert!(matches!(response.status, 400 | 405 | 426));
            let include_body = head.method != "HEAD";
            let _ = response.to_bytes(include_body);
        }
    }
    // With a web root configured, a non-upgrade request is served from it.
    if !head.upgrade_websocket {
        check_served(&head);
    }
}
