//! `SendData`'s transmit options and the status its callback reports.

use std::fmt;
use std::ops::BitOr;

/// Transmit options for `SendData`, combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxOptions(pub u8);

impl TxOptions {
    /// Ask the destination to acknowledge (retried by the controller).
    pub const ACK: TxOptions = TxOptions(0x01);
    /// Transmit at low power.
    pub const LOW_POWER: TxOptions = TxOptions(0x02);
    /// Use routes if the direct transmission fails.
    pub const AUTO_ROUTE: TxOptions = TxOptions(0x04);
    /// Only transmit directly.
    pub const NO_ROUTE: TxOptions = TxOptions(0x10);
    /// Fall back to explorer frames when routing fails.
    pub const EXPLORE: TxOptions = TxOptions(0x20);
}

impl Default for TxOptions {
    /// `ACK | AUTO_ROUTE | EXPLORE`, what hosts normally use.
    fn default() -> Self {
        TxOptions::ACK | TxOptions::AUTO_ROUTE | TxOptions::EXPLORE
    }
}

impl BitOr for TxOptions {
    type Output = TxOptions;

    fn bitor(self, rhs: TxOptions) -> TxOptions {
        TxOptions(self.0 | rhs.0)
    }
}

/// The transmit status of a `SendData` callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitStatus {
    /// 0x00: delivered (acknowledged by the node when `ACK` was requested).
    Ok,
    /// 0x01: the node did not acknowledge.
    NoAck,
    /// 0x02: transmission failed (network busy, jammed).
    Fail,
    /// 0x03: the routing layer was busy.
    RoutingNotIdle,
    /// 0x04: no route to the node.
    NoRoute,
    /// Any other value.
    Other(u8),
}

impl TransmitStatus {
    /// Decodes the status byte.
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            0x00 => TransmitStatus::Ok,
            0x01 => TransmitStatus::NoAck,
            0x02 => TransmitStatus::Fail,
            0x03 => TransmitStatus::RoutingNotIdle,
            0x04 => TransmitStatus::NoRoute,
            other => TransmitStatus::Other(other),
        }
    }

    /// The status byte.
    pub fn to_byte(self) -> u8 {
        match self {
            TransmitStatus::Ok => 0x00,
            TransmitStatus::NoAck => 0x01,
            TransmitStatus::Fail => 0x02,
            TransmitStatus::RoutingNotIdle => 0x03,
            TransmitStatus::NoRoute => 0x04,
            TransmitStatus::Other(other) => other,
        }
    }
}

impl fmt::Display for TransmitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransmitStatus::Ok => f.write_str("delivered"),
            TransmitStatus::NoAck => f.write_str("node did not acknowledge"),
            TransmitStatus::Fail => f.write_str("transmission failed"),
            TransmitStatus::RoutingNotIdle => f.write_str("routing busy"),
            TransmitStatus::NoRoute => f.write_str("no route to node"),
            TransmitStatus::Other(b) => write!(f, "status 0x{b:02X}"),
        }
    }
}

/// The callback that closes a successful `SendData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransmitReport {
    /// The callback id that tied the callback to the request.
    pub callback_id: u8,
    /// Always [`TransmitStatus::Ok`]: other statuses are returned as
    /// [`ZWaveError::TransmitFailed`](super::ZWaveError::TransmitFailed).
    pub status: TransmitStatus,
    /// Any bytes after the status (newer firmware appends a transmit
    /// report: timing, routes, signal strength).
    pub details: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_options_and_status() {
        assert_eq!(TxOptions::default().0, 0x25);
        assert_eq!((TxOptions::ACK | TxOptions::LOW_POWER).0, 0x03);
        for b in 0..=255u8 {
            assert_eq!(TransmitStatus::from_byte(b).to_byte(), b);
        }
        assert_eq!(
            TransmitStatus::NoAck.to_string(),
            "node did not acknowledge"
        );
    }
}
