//! WebSocket close codes the host uses, with the meaning it gives them.

/// Why the host closed a connection. The number travels in the WebSocket close
/// frame, with a human-readable reason beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 1000: the host or the game asked the client to leave.
    Normal,
    /// 1001: the host is shutting down.
    GoingAway,
    /// 1002: the peer broke the WebSocket protocol itself.
    ProtocolError,
    /// 1007: a text message that was not UTF-8.
    InvalidPayload,
    /// 1009: a message larger than `max_message_size`.
    MessageTooBig,
    /// 1013: the host is full (`max_clients`); try again later. WebSocket
    /// clients are turned away with HTTP 503 before the upgrade instead.
    TryAgainLater,
    /// 4000: a reliable channel's outbound queue overflowed because the
    /// client did not read fast enough.
    SlowConsumer,
    /// 4001: no `Hello` within the handshake timeout.
    HandshakeTimeout,
    /// 4002: no protocol version in common.
    UnsupportedVersion,
    /// 4003: missing or wrong token.
    Unauthorized,
}

impl CloseCode {
    /// The number sent on the wire.
    pub fn code(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::InvalidPayload => 1007,
            CloseCode::MessageTooBig => 1009,
            CloseCode::TryAgainLater => 1013,
            CloseCode::SlowConsumer => 4000,
            CloseCode::HandshakeTimeout => 4001,
            CloseCode::UnsupportedVersion => 4002,
            CloseCode::Unauthorized => 4003,
        }
    }
}

impl From<CloseCode> for tungstenite::protocol::frame::coding::CloseCode {
    fn from(code: CloseCode) -> Self {
        Self::from(code.code())
    }
}
