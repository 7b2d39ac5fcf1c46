//! The few command classes the bridge speaks: building the commands sent to
//! nodes and decoding the ones nodes send back.
//!
//! A command is `[command class, command, parameters...]`; it travels inside
//! `SendData` to a node and inside `ApplicationCommandHandler` from one.

/// Basic command class (0x20): every node maps it to its main function.
pub mod basic {
    /// The command class id.
    pub const ID: u8 = 0x20;
    /// `BASIC_SET`: value.
    pub const SET: u8 = 0x01;
    /// `BASIC_GET`: asks for a `BASIC_REPORT`.
    pub const GET: u8 = 0x02;
    /// `BASIC_REPORT`: value.
    pub const REPORT: u8 = 0x03;

    /// `Basic Set`: 0x00 is off, 0x01..=0x63 a level, 0xFF on (or the last
    /// level).
    pub fn set(value: u8) -> [u8; 3] {
        [ID, SET, value]
    }

    /// `Basic Get`.
    pub fn get() -> [u8; 2] {
        [ID, GET]
    }
}

/// Binary Switch command class (0x25): on/off devices.
pub mod switch_binary {
    /// The command class id.
    pub const ID: u8 = 0x25;
    /// `SWITCH_BINARY_SET`: 0x00 off, 0xFF on.
    pub const SET: u8 = 0x01;
    /// `SWITCH_BINARY_GET`: asks for a `SWITCH_BINARY_REPORT`.
    pub const GET: u8 = 0x02;
    /// `SWITCH_BINARY_REPORT`: current value (and in version 2 the target
    /// value and duration).
    pub const REPORT: u8 = 0x03;

    /// The "on" value.
    pub const ON: u8 = 0xFF;
    /// The "off" value.
    pub const OFF: u8 = 0x00;
    /// The "unknown" value a version 2 report may carry.
    pub const UNKNOWN: u8 = 0xFE;

    /// `Switch Binary Set`.
    pub fn set(on: bool) -> [u8; 3] {
        [ID, SET, if on { ON } else { OFF }]
    }

    /// `Switch Binary Get`.
    pub fn get() -> [u8; 2] {
        [ID, GET]
    }

    /// Decodes a state byte: `Some(false)` for 0x00, `None` for 0xFE
    /// (unknown), `Some(true)` otherwise (0xFF, and 0x01..=0x63 sent by old
    /// devices).
    pub fn decode(value: u8) -> Option<bool> {
        match value {
            OFF => Some(false),
            UNKNOWN => None,
            _ => Some(true),
        }
    }
}

/// A command received from a node, decoded where this module knows how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeCommand {
    /// `Basic Set`, as sent by a button or sensor associated with the
    /// controller.
    BasicSet {
        /// The value set.
        value: u8,
    },
    /// `Basic Report`.
    BasicReport {
        /// The current value.
        value: u8,
    },
    /// `Switch Binary Report`.
    SwitchBinaryReport {
        /// The current state (`None`: the node does not know).
        current: Option<bool>,
        /// The target state, in version 2 reports.
        target: Option<bool>,
    },
    /// Any other command.
    Other {
        /// The command class id.
        command_class: u8,
        /// The command id, if present.
        command: Option<u8>,
        /// The parameters after the command id.
        params: Vec<u8>,
    },
}

impl NodeCommand {
    /// Decodes `[command class, command, parameters...]`; `None` if empty.
    pub fn parse(bytes: &[u8]) -> Option<NodeCommand> {
        let (&command_class, rest) = bytes.split_first()?;
        Some(match (command_class, rest) {
            (basic::ID, [basic::SET, value, ..]) => NodeCommand::BasicSet { value: *value },
            (basic::ID, [basic::REPORT, value, ..]) => NodeCommand::BasicReport { value: *value },
            (switch_binary::ID, [switch_binary::REPORT, current, more @ ..]) => {
                NodeCommand::SwitchBinaryReport {
                    current: switch_binary::decode(*current),
                    target: more.first().and_then(|t| switch_binary::decode(*t)),
                }
            }
            _ => NodeCommand::Other {
                command_class,
                command: rest.first().copied(),
                params: rest.get(1..).unwrap_or_default().to_vec(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        assert_eq!(basic::set(0xFF), [0x20, 0x01, 0xFF]);
        assert_eq!(basic::get(), [0x20, 0x02]);
        assert_eq!(switch_binary::set(true), [0x25, 0x01, 0xFF]);
        assert_eq!(switch_binary::set(false), [0x25, 0x01, 0x00]);
        assert_eq!(switch_binary::get(), [0x25, 0x02]);
    }

    #[test]
    fn parse_reports() {
        assert_eq!(
            NodeCommand::parse(&[0x25, 0x03, 0xFF]),
            Some(NodeCommand::SwitchBinaryReport {
                current: Some(true),
                target: None
            })
        );
        assert_eq!(
            NodeCommand::parse(&[0x25, 0x03, 0x00, 0xFF, 0x05]),
            Some(NodeCommand::SwitchBinaryReport {
                current: Some(false),
                target: Some(true)
            })
        );
        assert_eq!(
            NodeCommand::parse(&[0x25, 0x03, 0xFE]),
            Some(NodeCommand::SwitchBinaryReport {
                current: None,
                target: None
            })
        );
        assert_eq!(
            NodeCommand::parse(&[0x20, 0x03, 0x32]),
            Some(NodeCommand::BasicReport { value: 0x32 })
        );
        assert_eq!(
            NodeCommand::parse(&[0x20, 0x01, 0x00]),
            Some(NodeCommand::BasicSet { value: 0 })
        );
        assert_eq!(
            NodeCommand::parse(&[0x31, 0x05, 0x01, 0x22, 0x00, 0xD7]),
            Some(NodeCommand::Other {
                command_class: 0x31,
                command: Some(0x05),
                params: vec![0x01, 0x22, 0x00, 0xD7]
            })
        );
        // Truncated known commands fall back to Other.
        assert_eq!(
            NodeCommand::parse(&[0x25, 0x03]),
            Some(NodeCommand::Other {
                command_class: 0x25,
                command: Some(0x03),
                params: vec![]
            })
        );
        assert_eq!(
            NodeCommand::parse(&[0x72]),
            Some(NodeCommand::Other {
                command_class: 0x72,
                command: None,
                params: vec![]
            })
        );
        assert_eq!(NodeCommand::parse(&[]), None);
    }
}
