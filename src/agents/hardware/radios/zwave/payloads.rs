//! The payloads of the Serial API functions the host uses, as types, and
//! their parsers: version, network ids, the node list, and the commands
//! nodes send.

use super::command_class::NodeCommand;
use super::error::ZWaveError;
use super::frame::FunctionId;
use super::received::Callback;

/// Answer to `GetVersion` (0x15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerVersion {
    /// The library version string, such as `"Z-Wave 7.18"`.
    pub version: String,
    /// What kind of firmware library the controller runs.
    pub library_type: LibraryType,
}

/// The Z-Wave library type byte reported by `GetVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LibraryType {
    /// 0x01: static controller (the usual USB stick).
    StaticController,
    /// 0x02: portable controller.
    Controller,
    /// 0x03: enhanced end node.
    EnhancedEndNode,
    /// 0x04: end node.
    EndNode,
    /// 0x05: installer controller.
    Installer,
    /// 0x06: routing end node.
    RoutingEndNode,
    /// 0x07: bridge controller.
    BridgeController,
    /// 0x08: device under test.
    DeviceUnderTest,
    /// Any other value.
    Other(u8),
}

impl LibraryType {
    /// Decodes the library type byte.
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            0x01 => LibraryType::StaticController,
            0x02 => LibraryType::Controller,
            0x03 => LibraryType::EnhancedEndNode,
            0x04 => LibraryType::EndNode,
            0x05 => LibraryType::Installer,
            0x06 => LibraryType::RoutingEndNode,
            0x07 => LibraryType::BridgeController,
            0x08 => LibraryType::DeviceUnderTest,
            other => LibraryType::Other(other),
        }
    }
}

/// Answer to `MemoryGetId` (0x20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkIds {
    /// The network's home id.
    pub home_id: u32,
    /// The controller's own node id (16 bits wide when the controller runs
    /// in 16-bit node id mode).
    pub node_id: u16,
}

/// Answer to `SerialApiGetInitData` (0x02).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    /// Serial API version.
    pub api_version: u8,
    /// Capability bits; see the accessor methods.
    pub capabilities: u8,
    /// Node ids present in the network, in ascending order (includes the
    /// controller itself).
    pub node_ids: Vec<u8>,
    /// Chip type, if reported.
    pub chip_type: Option<u8>,
    /// Chip version, if reported.
    pub chip_version: Option<u8>,
}

impl InitData {
    /// Bit 0: the module runs end-node firmware rather than a controller.
    pub fn is_end_node(&self) -> bool {
        self.capabilities & 0x01 != 0
    }

    /// Bit 1: the Serial API supports timer functions.
    pub fn supports_timers(&self) -> bool {
        self.capabilities & 0x02 != 0
    }

    /// Bit 2: the controller is a secondary controller.
    pub fn is_secondary(&self) -> bool {
        self.capabilities & 0x04 != 0
    }

    /// Bit 3: the controller is the SIS (static update controller with id
    /// server).
    pub fn is_sis(&self) -> bool {
        self.capabilities & 0x08 != 0
    }
}

/// A command a node sent, from an `ApplicationCommandHandler` (0x04) or
/// `ApplicationCommandHandler_Bridge` (0xA8) callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationCommand {
    /// Receive status bits (routed, low power, broadcast/multicast...).
    pub rx_status: u8,
    /// The node that sent the command.
    pub source_node: u8,
    /// `[command class, command, parameters...]`.
    pub command: Vec<u8>,
}

impl ApplicationCommand {
    /// Parses a callback; `None` if it is not an application command or is
    /// malformed.
    ///
    /// `ApplicationCommandHandler` carries `rxStatus, sourceNode, cmdLength,
    /// command...` (trailing bytes such as RSSI are ignored); the bridge
    /// variant has a destination node before the source.
    pub fn from_callback(callback: &Callback) -> Option<ApplicationCommand> {
        let header = match callback.func_id {
            FunctionId::APPLICATION_COMMAND_HANDLER => 0,
            FunctionId::APPLICATION_COMMAND_HANDLER_BRIDGE => 1,
            _ => return None,
        };
        let p = &callback.payload;
        let rx_status = *p.first()?;
        let source_node = *p.get(1 + header)?;
        let len = usize::from(*p.get(2 + header)?);
        let start = 3 + header;
        let command = p.get(start..start + len)?;
        if command.is_empty() {
            return None;
        }
        Some(ApplicationCommand {
            rx_status,
            source_node,
            command: command.to_vec(),
        })
    }

    /// Decodes the command.
    pub fn decode(&self) -> NodeCommand {
        NodeCommand::parse(&self.command).expect("command is never empty")
    }
}

impl Callback {
    /// The node command in this callback, if it is an
    /// `ApplicationCommandHandler` frame.
    pub fn application_command(&self) -> Option<ApplicationCommand> {
        ApplicationCommand::from_callback(self)
    }
}

pub(super) fn malformed(func_id: FunctionId, reason: impl Into<String>) -> ZWaveError {
    ZWaveError::Malformed {
        func_id,
        reason: reason.into(),
    }
}

/// Parses a `GetVersion` response payload: a NUL-terminated version string
/// (12 bytes on the wire, NUL included) and the library type.
pub fn parse_version(payload: &[u8]) -> Result<ControllerVersion, ZWaveError> {
    let func = FunctionId::GET_VERSION;
    let nul = payload
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| malformed(func, "version string is not terminated"))?;
    let library_type = *payload
        .get(nul + 1)
        .ok_or_else(|| malformed(func, "library type missing"))?;
    Ok(ControllerVersion {
        version: String::from_utf8_lossy(&payload[..nul]).into_owned(),
        library_type: LibraryType::from_byte(library_type),
    })
}

/// Parses a `MemoryGetId` response payload: home id (4 bytes, most
/// significant first) and node id (1 byte, or 2 in 16-bit mode).
pub fn parse_memory_get_id(payload: &[u8]) -> Result<NetworkIds, ZWaveError> {
    let func = FunctionId::MEMORY_GET_ID;
    let home_id = payload
        .get(..4)
        .ok_or_else(|| malformed(func, format!("{} bytes, need at least 5", payload.len())))?;
    let home_id = u32::from_be_bytes(home_id.try_into().expect("4 bytes"));
    let node_id = match payload[4..] {
        [id] => u16::from(id),
        [hi, lo, ..] => u16::from_be_bytes([hi, lo]),
        [] => return Err(malformed(func, "node id missing")),
    };
    Ok(NetworkIds { home_id, node_id })
}

/// Parses a `SerialApiGetInitData` response payload: API version,
/// capabilities, bitmask length, node bitmask (bit `i` of byte `j` is node
/// `8j + i + 1`), chip type and chip version.
pub fn parse_init_data(payload: &[u8]) -> Result<InitData, ZWaveError> {
    let func = FunctionId::GET_INIT_DATA;
    let [api_version, capabilities, mask_len, rest @ ..] = payload else {
        return Err(malformed(
            func,
            format!("{} bytes, need at least 3", payload.len()),
        ));
    };
    let mask_len = usize::from(*mask_len);
    let mask = rest.get(..mask_len).ok_or_else(|| {
        malformed(
            func,
            format!(
                "node bitmask of {mask_len} bytes, only {} present",
                rest.len()
            ),
        )
    })?;
    let node_ids = mask
        .iter()
        .enumerate()
        .flat_map(|(byte, bits)| {
            (0..8)
                .filter(move |bit| bits & (1 << bit) != 0)
                .map(move |bit| byte * 8 + bit + 1)
        })
        .filter_map(|id| u8::try_from(id).ok())
        .collect();
    Ok(InitData {
        api_version: *api_version,
        capabilities: *capabilities,
        node_ids,
        chip_type: rest.get(mask_len).copied(),
        chip_version: rest.get(mask_len + 1).copied(),
    })
}

/// Encodes a node list as the 29-byte bitmask `SerialApiGetInitData` uses.
pub fn node_bitmask(node_ids: &[u8]) -> [u8; 29] {
    let mut mask = [0u8; 29];
    for &id in node_ids {
        if (1..=232).contains(&id) {
            let i = usize::from(id - 1);
            mask[i / 8] |= 1 << (i % 8);
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version() {
        let mut payload = b"Z-Wave 4.05\0".to_vec();
        payload.push(0x01);
        assert_eq!(
            parse_version(&payload).unwrap(),
            ControllerVersion {
                version: "Z-Wave 4.05".into(),
                library_type: LibraryType::StaticController
            }
        );
        assert!(parse_version(b"Z-Wave 4.05").is_err());
        assert!(parse_version(b"Z-Wave 4.05\0").is_err());
    }

    #[test]
    fn memory_get_id() {
        assert_eq!(
            parse_memory_get_id(&[0xC0, 0xFF, 0xEE, 0x42, 0x01]).unwrap(),
            NetworkIds {
                home_id: 0xC0FF_EE42,
                node_id: 1
            }
        );
        assert_eq!(
            parse_memory_get_id(&[0xC0, 0xFF, 0xEE, 0x42, 0x01, 0x02]).unwrap(),
            NetworkIds {
                home_id: 0xC0FF_EE42,
                node_id: 0x0102
            }
        );
        assert!(parse_memory_get_id(&[0xC0, 0xFF, 0xEE, 0x42]).is_err());
        assert!(parse_memory_get_id(&[]).is_err());
    }

    #[test]
    fn init_data_bitmask() {
        let mask = node_bitmask(&[1, 2, 9, 232, 0, 233]);
        assert_eq!(mask[0], 0b0000_0011);
        assert_eq!(mask[1], 0b0000_0001);
        assert_eq!(mask[28], 0b1000_0000);
        let mut payload = vec![0x08, 0x08, 29];
        payload.extend(mask);
        payload.extend([0x07, 0x00]);
        let data = parse_init_data(&payload).unwrap();
        assert_eq!(data.node_ids, [1, 2, 9, 232]);
        assert_eq!(data.api_version, 8);
        assert!(data.is_sis() && !data.is_secondary() && !data.is_end_node());
        assert!(!data.supports_timers());
        assert_eq!((data.chip_type, data.chip_version), (Some(7), Some(0)));

        // Without chip bytes, and truncated.
        let data = parse_init_data(&payload[..32]).unwrap();
        assert_eq!((data.chip_type, data.chip_version), (None, None));
        assert!(parse_init_data(&payload[..20]).is_err());
        assert!(parse_init_data(&[0x08]).is_err());
    }

    #[test]
    fn application_command() {
        let cb = Callback {
            func_id: FunctionId::APPLICATION_COMMAND_HANDLER,
            payload: vec![0x00, 0x05, 0x03, 0x25, 0x03, 0xFF, 0xC4],
        };
        let cmd = cb.application_command().unwrap();
        assert_eq!(cmd.source_node, 5);
        assert_eq!(cmd.command, [0x25, 0x03, 0xFF]);
        assert_eq!(
            cmd.decode(),
            NodeCommand::SwitchBinaryReport {
                current: Some(true),
                target: None
            }
        );

        let bridge = Callback {
            func_id: FunctionId::APPLICATION_COMMAND_HANDLER_BRIDGE,
            payload: vec![0x00, 0x01, 0x07, 0x03, 0x20, 0x03, 0x00],
        };
        let cmd = bridge.application_command().unwrap();
        assert_eq!(cmd.source_node, 7);
        assert_eq!(cmd.decode(), NodeCommand::BasicReport { value: 0 });

        let short = Callback {
            func_id: FunctionId::APPLICATION_COMMAND_HANDLER,
            payload: vec![0x00, 0x05, 0x04, 0x25, 0x03],
        };
        assert_eq!(short.application_command(), None);
        let empty = Callback {
            func_id: FunctionId::APPLICATION_COMMAND_HANDLER,
            payload: vec![0x00, 0x05, 0x00],
        };
        assert_eq!(empty.application_command(), None);
        let other = Callback {
            func_id: FunctionId::SEND_DATA,
            payload: vec![0x01, 0x00],
        };
        assert_eq!(other.application_command(), None);
    }
}
