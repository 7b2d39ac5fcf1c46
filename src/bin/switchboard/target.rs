//! What a TARGET argument names: a WebSocket URL, a game's process id
//! (reached over its message queues), or a game's name, looked up in the
//! discovery records (`switchboard ls` lists them). One function turns the
//! text into a [`Target`].

use std::fmt;

use crate::exit::{Failure, Kind};

/// A game to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `ws://HOST:PORT/...`: the address to connect to.
    WebSocket { addr: String, url: String },
    /// `wss://HOST:PORT/...`: the address, and the host name the server's
    /// certificate must be valid for.
    SecureWebSocket {
        addr: String,
        server_name: String,
        url: String,
    },
    /// A process id: the game's message queues.
    Process(u32),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::WebSocket { url, .. } | Target::SecureWebSocket { url, .. } => f.write_str(url),
            Target::Process(pid) => write!(f, "process {pid}"),
        }
    }
}

/// Reads a TARGET argument.
pub fn parse(text: &str) -> Result<Target, Failure> {
    if let Some(rest) = text.strip_prefix("ws://") {
        let (addr, _) = authority(text, rest, 80)?;
        return Ok(Target::WebSocket {
            addr,
            url: text.to_owned(),
        });
    }
    if let Some(rest) = text.strip_prefix("wss://") {
        let (addr, server_name) = authority(text, rest, 443)?;
        return Ok(Target::SecureWebSocket {
            addr,
            server_name,
            url: text.to_owned(),
        });
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(pid) if pid > 0 => Ok(Target::Process(pid)),
            _ => Err(Failure::new(
                Kind::Usage,
                format!("{text:?} is not a process id"),
            )),
        };
    }
    if text.is_empty() || text.contains("://") {
        return Err(Failure::new(
            Kind::Usage,
            format!("{text:?} is not a target: give a ws:// URL, a process id or a game's name"),
        ));
    }
    by_name(text)
}

/// The `host:port` to connect to and the bare host name (IPv6 brackets
/// off) of a URL's authority, `rest` being the URL after its scheme.
fn authority(text: &str, rest: &str, default_port: u16) -> Result<(String, String), Failure> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(Failure::new(
            Kind::Usage,
            format!("{text:?} names no host (or has credentials in it)"),
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.starts_with('[') || host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(Failure::new(Kind::Usage, format!("{text:?} names no host")));
    }
    let addr = match port {
        Some(port) => format!("{host}:{port}"),
        None => format!("{host}:{default_port}"),
    };
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((addr, bare.to_owned()))
}

/// A game's name from discovery: exactly one running game must have it.
fn by_name(name: &str) -> Result<Target, Failure> {
    let found = switchboard::discovery::find(name).map_err(|e| {
        Failure::new(
            Kind::Unreachable,
            format!("cannot look up {name:?} among the running games: {e}"),
        )
    })?;
    match found.as_slice() {
        [record] => parse(&record.url),
        [] => Err(Failure::new(
            Kind::Unreachable,
            format!(
                "no running game is named {name:?} (switchboard ls lists them; a URL or a process id works too)"
            ),
        )),
        several => {
            let pids: Vec<String> = several.iter().map(|r| r.pid.to_string()).collect();
            Err(Failure::new(
                Kind::Usage,
                format!(
                    "{} running games are named {name:?} (process ids {}): give one of the ids",
                    several.len(),
                    pids.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_process_ids() {
        assert_eq!(
            parse("ws://127.0.0.1:9001/").unwrap(),
            Target::WebSocket {
                addr: "127.0.0.1:9001".into(),
                url: "ws://127.0.0.1:9001/".into()
            }
        );
        assert!(
            matches!(parse("ws://localhost").unwrap(), Target::WebSocket { addr, .. } if addr == "localhost:80")
        );
        assert!(
            matches!(parse("ws://[::1]:9001").unwrap(), Target::WebSocket { addr, .. } if addr == "[::1]:9001")
        );
        assert_eq!(parse("4242").unwrap(), Target::Process(4242));
        assert_eq!(
            parse("wss://localhost:9443/").unwrap(),
            Target::SecureWebSocket {
                addr: "localhost:9443".into(),
                server_name: "localhost".into(),
                url: "wss://localhost:9443/".into()
            }
        );
        assert!(matches!(
            parse("wss://[::1]").unwrap(),
            Target::SecureWebSocket { addr, server_name, .. } if addr == "[::1]:443" && server_name == "::1"
        ));
        for bad in [
            "",
            "0",
            "ws://",
            "wss://",
            "wss://:9443/",
            "ws://user@host:1/",
            "http://x",
            "no such game, surely",
            "99999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
