//! The host's discovery record ([`crate::discovery`]): what it says, and
//! that failing to write it never stops the game.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::discovery::{Published, QueueNames, Record};
use crate::net::HostConfig;

/// Publishes the record unless the config opts out; a failure is logged.
pub(crate) fn publish(
    config: &HostConfig,
    local_addr: SocketAddr,
    session_id: &str,
) -> Option<Published> {
    if !config.discovery {
        return None;
    }
    let record = Record {
        pid: std::process::id(),
        name: config.host_name.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        session_id: session_id.to_owned(),
        url: url(local_addr, config.tls_enabled()),
        queues: queue_names(config),
        started_unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        process_start: None,
    };
    match Published::write(record, config.discovery_dir.as_deref()) {
        Ok(published) => Some(published),
        Err(e) => {
            tracing::warn!("not discoverable: cannot write the discovery record: {e}");
            None
        }
    }
}

/// The queue pair a local tool creates to talk over message queues, when
/// the host takes them.
fn queue_names(config: &HostConfig) -> Option<QueueNames> {
    #[cfg(feature = "mqueue")]
    if let Some(queues) = &config.mqueue {
        let (to_game, from_game) = queues.names(std::process::id());
        return Some(QueueNames { to_game, from_game });
    }
    let _ = config;
    None
}

/// The URL a local tool connects to: an unspecified address (listening on
/// every interface) is reached through loopback.
fn url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "wss" } else { "ws" };
    format!("{scheme}://{}/", SocketAddr::new(ip, addr.port()))
}
