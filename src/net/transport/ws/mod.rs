//! WebSocket over TCP, plain or TLS: the first transport. A TCP listener
//! accepts, each socket answers one HTTP request (an upgrade, a static file
//! of `web_root`, or a refusal), and an upgraded socket becomes a
//! [`WsLink`](link::WsLink).

mod acceptor;
pub(crate) mod access;
pub(crate) mod http;
pub(crate) mod link;
pub(crate) mod static_files;
pub(crate) mod stream;
mod upgrade;

pub(crate) use acceptor::TcpAcceptor;

use tungstenite::protocol::WebSocketConfig;

use crate::net::config::Limits;

/// The WebSocket layer's settings, from the host's limits.
pub(crate) fn websocket_config(limits: &Limits) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(limits.read_buffer_size)
        // Frames collect in the WebSocket layer's buffer and go out in one
        // write per loop turn (or when this much has piled up).
        .write_buffer_size(64 << 10)
        .max_message_size(Some(limits.max_message_size))
        .max_frame_size(Some(limits.max_message_size))
}
