//! The HTTP side of a connection: reading the request head, deciding whether
//! it is a WebSocket upgrade, and writing the answer.

use tungstenite::handshake::derive_accept_key;

/// Largest request head accepted; bigger ones get 431.
pub(crate) const MAX_REQUEST_HEAD: usize = 16 << 10;
const MAX_HEADERS: usize = 48;

/// The parts of a request head the host acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RequestHead {
    pub method: String,
    pub path: String,
    pub upgrade_websocket: bool,
    pub connection_upgrade: bool,
    pub websocket_version: Option<String>,
    pub websocket_key: Option<String>,
    pub origin: Option<String>,
    pub host: Option<String>,
}

/// Outcome of trying to parse what has arrived so far.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// More bytes are needed.
    Partial,
    /// A complete head of `len` bytes; anything after it belongs to the next
    /// protocol (WebSocket frames sent eagerly).
    Complete(RequestHead, usize),
    /// Not HTTP, or broken: answer 400 with this reason.
    Invalid(String),
}

pub(crate) fn parse_request(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(e) => return Parsed::Invalid(format!("malformed HTTP request: {e}")),
    };
    let mut head = RequestHead {
        method: req.method.unwrap_or_default().to_owned(),
        path: req.path.unwrap_or_default().to_owned(),
        ..RequestHead::default()
    };
    for h in req.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_owned();
        let name = h.name;
        if name.eq_ignore_ascii_case("upgrade") {
            head.upgrade_websocket = has_token(&value, "websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            head.connection_upgrade = has_token(&value, "upgrade");
        } else if name.eq_ignore_ascii_case("sec-websocket-version") {
            head.websocket_version = Some(value);
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            head.websocket_key = Some(value);
        } else if name.eq_ignore_ascii_case("origin") {
            head.origin = Some(value);
        } else if name.eq_ignore_ascii_case("host") {
            head.host = Some(value);
        }
    }
    Parsed::Complete(head, len)
}

fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}

/// What to do with a complete request head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Switch to WebSocket with this `Sec-WebSocket-Accept` value.
    Upgrade { accept_key: String },
    /// Answer with this response and close.
    Respond(Response),
}

/// Decides what a request head asks for. Non-upgrade requests are refused
/// here; serving files is a separate step that sees them first.
pub(crate) fn decide_upgrade(head: &RequestHead) -> Decision {
    if !head.upgrade_websocket {
        return Decision::Respond(Response::text(
            426,
            "Upgrade Required",
            "this port speaks the Switchboard WebSocket protocol; connect with a WebSocket client\n",
        )
        .header("Upgrade", "websocket"));
    }
    if head.method != "GET" {
        return Decision::Respond(Response::text(
            405,
            "Method Not Allowed",
            "a WebSocket upgrade must use GET\n",
        ));
    }
    if !head.connection_upgrade {
        return Decision::Respond(Response::text(
            400,
            "Bad Request",
            "missing 'Connection: Upgrade'\n",
        ));
    }
    if head.websocket_version.as_deref() != Some("13") {
        return Decision::Respond(
            Response::text(
                426,
                "Upgrade Required",
                "unsupported Sec-WebSocket-Version; this host speaks 13\n",
            )
            .header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13"),
        );
    }
    match &head.websocket_key {
        Some(key) if !key.is_empty() => Decision::Upgrade {
            accept_key: derive_accept_key(key.as_bytes()),
        },
        _ => Decision::Respond(Response::text(
            400,
            "Bad Request",
            "missing Sec-WebSocket-Key\n",
        )),
    }
}

/// The 101 answer that completes a WebSocket upgrade.
pub(crate) fn switching_protocols(accept_key: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept_key}\r\n\r\n"
    )
    .into_bytes()
}

/// A complete HTTP response, sent with `Connection: close`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub(crate) fn text(status: u16, reason: &'static str, body: &str) -> Self {
        Self {
            status,
            reason,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Serializes status line, headers and body (no body for HEAD).
    pub(crate) fn to_bytes(&self, include_body: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        if include_body {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nEXTRA";

    #[test]
    fn upgrade_is_recognised_and_leftover_kept() {
        let Parsed::Complete(head, len) = parse_request(UPGRADE) else {
            panic!("not complete")
        };
        assert_eq!(&UPGRADE[len..], b"EXTRA");
        // The example key and answer from RFC 6455, section 1.3.
        assert_eq!(
            decide_upgrade(&head),
            Decision::Upgrade {
                accept_key: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_owned()
            }
        );
    }

    #[test]
    fn partial_plain_and_garbage_requests() {
        assert!(matches!(parse_request(&UPGRADE[..20]), Parsed::Partial));
        assert!(matches!(
            parse_request(b"\x00\x01\x02 garbage\r\n\r\n"),
            Parsed::Invalid(_)
        ));
        let Parsed::Complete(head, _) = parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") else {
            panic!("not complete")
        };
        assert!(matches!(decide_upgrade(&head), Decision::Respond(r) if r.status == 426));
    }
}
