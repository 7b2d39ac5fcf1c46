//! How nodes map to the bridge's device model: which device type a node's
//! command classes make, which state fields its reports change, and which
//! Serial API commands the `switch` type's commands become. Pure functions,
//! no I/O.

use serde_json::Value;

use super::super::command_class::{NodeCommand, switch_binary};
use super::super::frame::FunctionId;
use super::super::received::Callback;
use crate::agents::hardware::adapter::{FoundDevice, Object};

/// The device type binary switches are listed as.
pub const SWITCH_TYPE: &str = "switch";

/// Meter command class (0x32).
pub(super) const METER: u8 = 0x32;
/// `METER_REPORT`.
const METER_REPORT: u8 = 0x02;
/// `ApplicationUpdate` status: a node information frame arrived.
const NODE_INFO_RECEIVED: u8 = 0x84;
/// In a node information frame, the command classes after this mark are
/// ones the node controls, not ones it supports.
const CONTROLLED_MARK: u8 = 0xEF;

/// The device type of a node that supports these command classes, if the
/// adapter can drive it (see the table in the module documentation).
pub fn device_type_for(command_classes: &[u8]) -> Option<&'static str> {
    command_classes
        .contains(&switch_binary::ID)
        .then_some(SWITCH_TYPE)
}

/// The device discovery reports for a node, if its type is known.
pub fn found_device(node_id: u8, command_classes: &[u8]) -> Option<FoundDevice> {
    let type_id = device_type_for(command_classes)?;
    let model = match type_id {
        SWITCH_TYPE => "Z-Wave binary switch",
        other => other,
    };
    Some(FoundDevice {
        address: node_id.to_string(),
        type_id: type_id.to_owned(),
        // The Manufacturer Specific command class is not asked (yet).
        manufacturer: "unknown".to_owned(),
        model: model.to_owned(),
    })
}

/// The nodes of a `SerialApiGetInitData` node list that can be devices:
/// every valid node id except the controller's own.
pub fn network_nodes(node_ids: &[u8], controller_node: u16) -> Vec<u8> {
    node_ids
        .iter()
        .copied()
        .filter(|&id| (1..=232).contains(&id) && u16::from(id) != controller_node)
        .collect()
}

/// Parses a device address (a node id in decimal) of a node that can be a
/// device.
pub fn parse_node(address: &str, controller_node: u16) -> Option<u8> {
    if address.is_empty() || !address.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: u8 = address.parse().ok()?;
    ((1..=232).contains(&id) && u16::from(id) != controller_node).then_some(id)
}

/// The state fields a node's command changes, for a device of `type_id`;
/// empty when the command says nothing the type holds.
pub fn state_changes(type_id: &str, command: &NodeCommand) -> Object {
    let mut changes = Object::new();
    if type_id != SWITCH_TYPE {
        return changes;
    }
    match command {
        NodeCommand::SwitchBinaryReport {
            current: Some(on), ..
        } => {
            changes.insert("on".to_owned(), Value::Bool(*on));
        }
        NodeCommand::BasicSet { value } | NodeCommand::BasicReport { value } => {
            if let Some(on) = basic_on(*value) {
                changes.insert("on".to_owned(), Value::Bool(on));
            }
        }
        NodeCommand::Other {
            command_class: METER,
            command: Some(METER_REPORT),
            params,
        } => {
            if let Some(watts) = meter_watts(params) {
                changes.insert("power_w".to_owned(), Value::from(watts));
            }
        }
        _ => {}
    }
    changes
}

/// A Basic value as on/off: 0x00 off, 0x01..=0x63 and 0xFF on, anything
/// else (0xFE: unknown) says nothing.
fn basic_on(value: u8) -> Option<bool> {
    match value {
        0x00 => Some(false),
        0x01..=0x63 | 0xFF => Some(true),
        _ => None,
    }
}

/// The power in watts from a Meter Report's parameters, if it is an
/// electric meter reading in W.
///
/// `[scale bit 2 | rate type | meter type, precision | scale bits 1-0 |
/// size, value (size bytes, signed, most significant first), ...]`.
fn meter_watts(params: &[u8]) -> Option<f64> {
    let [kind, format, rest @ ..] = params else {
        return None;
    };
    let meter_type = kind & 0x1F;
    let scale = ((kind & 0x80) >> 5) | ((format >> 3) & 0x03);
    let precision = i32::from(format >> 5);
    let size = usize::from(format & 0x07);
    if meter_type != 0x01 || scale != 2 || !matches!(size, 1 | 2 | 4) {
        return None;
    }
    let bytes = rest.get(..size)?;
    let raw = bytes.iter().fold(0i64, |acc, &b| (acc << 8) | i64::from(b));
    // Sign-extend from `size` bytes.
    let shift = 64 - 8 * size as u32;
    let value = (raw << shift) >> shift;
    Some(value as f64 / 10f64.powi(precision))
}

/// The node and the command classes it supports, from an
/// `ApplicationUpdate` (0x49) carrying a node information frame:
/// `status 0x84, node, length, basic, generic, specific, command classes...`.
pub fn node_info(callback: &Callback) -> Option<(u8, Vec<u8>)> {
    if callback.func_id != FunctionId::APPLICATION_UPDATE {
        return None;
    }
    let [status, node, len, rest @ ..] = callback.payload.as_slice() else {
        return None;
    };
    if *status != NODE_INFO_RECEIVED {
        return None;
    }
    let info = rest.get(..usize::from(*len))?;
    let classes = info
        .get(3..)?
        .iter()
        .copied()
        .take_while(|&cc| cc != CONTROLLED_MARK)
        .collect();
    Some((*node, classes))
}

/// What a switch command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SwitchAction {
    Set(bool),
    Toggle,
}

pub(super) fn switch_action(command: &str) -> Option<SwitchAction> {
    match command {
        "turn_on" => Some(SwitchAction::Set(true)),
        "turn_off" => Some(SwitchAction::Set(false)),
        "toggle" => Some(SwitchAction::Toggle),
        _ => None,
    }
}

pub(super) fn on_state(on: Option<bool>) -> Object {
    let mut state = Object::new();
    if let Some(on) = on {
        state.insert("on".to_owned(), Value::Bool(on));
    }
    state
}

#[cfg(test)]
mod tests {
    use super::super::super::command_class::basic;
    use super::*;

    #[test]
    fn nodes_map_to_device_types() {
        // The node list comes from SerialApiGetInitData; the controller
        // (node 1 here) is never a device.
        assert_eq!(network_nodes(&[1, 2, 5, 7], 1), [2, 5, 7]);
        assert_eq!(network_nodes(&[1, 2, 233], 2), [1]);

        // A node answering Switch Binary is a switch.
        let switch = found_device(2, &[switch_binary::ID]).unwrap();
        assert_eq!(switch.address, "2");
        assert_eq!(switch.type_id, SWITCH_TYPE);
        assert_eq!(switch.model, "Z-Wave binary switch");
        assert_eq!(
            device_type_for(&[basic::ID, switch_binary::ID, METER]),
            Some(SWITCH_TYPE)
        );
        // Kinds the adapter cannot drive yet are not listed: nothing
        // known, Basic only, multilevel switch, multilevel sensor.
        assert_eq!(device_type_for(&[]), None);
        assert_eq!(device_type_for(&[basic::ID]), None);
        assert_eq!(device_type_for(&[0x26]), None);
        assert_eq!(device_type_for(&[0x31, 0x80, 0x84]), None);
        assert_eq!(found_device(5, &[0x31]), None);

        // Addresses are node ids, never the controller's.
        assert_eq!(parse_node("2", 1), Some(2));
        assert_eq!(parse_node("232", 1), Some(232));
        assert_eq!(parse_node("1", 1), None);
        assert_eq!(parse_node("0", 1), None);
        assert_eq!(parse_node("233", 1), None);
        assert_eq!(parse_node("+2", 1), None);
        assert_eq!(parse_node("02x", 1), None);
        assert_eq!(parse_node("", 1), None);
    }

    #[test]
    fn switch_commands_map_to_switch_binary_set() {
        assert_eq!(switch_action("turn_on"), Some(SwitchAction::Set(true)));
        assert_eq!(switch_action("turn_off"), Some(SwitchAction::Set(false)));
        assert_eq!(switch_action("toggle"), Some(SwitchAction::Toggle));
        assert_eq!(switch_action("set_brightness"), None);
        // The names match the built-in switch type's commands.
        let types = crate::agents::hardware::DeviceTypes::builtin();
        let switch = types.get(SWITCH_TYPE).unwrap();
        for name in switch.commands.keys() {
            assert!(switch_action(name).is_some(), "{name} is not mapped");
        }
    }

    fn changes(command: &[u8]) -> Object {
        state_changes(SWITCH_TYPE, &NodeCommand::parse(command).unwrap())
    }

    #[test]
    fn node_reports_map_to_state_changes() {
        let on = |v: bool| on_state(Some(v));
        assert_eq!(changes(&[0x25, 0x03, 0xFF]), on(true));
        assert_eq!(changes(&[0x25, 0x03, 0x00, 0xFF, 0x00]), on(false));
        assert_eq!(changes(&[0x25, 0x03, 0xFE]), Object::new());
        assert_eq!(changes(&[0x20, 0x01, 0xFF]), on(true));
        assert_eq!(changes(&[0x20, 0x01, 0x00]), on(false));
        assert_eq!(changes(&[0x20, 0x03, 0x32]), on(true));
        assert_eq!(changes(&[0x20, 0x03, 0xFE]), Object::new());
        // Meter Report, electric (type 1), W (scale 2), precision 1, two
        // bytes: 0x04D2 = 1234 -> 123.4 W.
        let watts = changes(&[0x32, 0x02, 0x01, 0b0011_0010, 0x04, 0xD2]);
        assert_eq!(watts["power_w"], Value::from(123.4));
        // Four bytes, precision 0, negative.
        let watts = changes(&[0x32, 0x02, 0x21, 0b0001_0100, 0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(watts["power_w"], Value::from(-2.0));
        // kWh (scale 0) is not power.
        assert_eq!(
            changes(&[0x32, 0x02, 0x01, 0b0000_0001, 0x05]),
            Object::new()
        );
        // Other classes, and other types, say nothing.
        assert_eq!(
            changes(&[0x31, 0x05, 0x01, 0x22, 0x00, 0xD7]),
            Object::new()
        );
        assert_eq!(
            state_changes("bulb", &NodeCommand::parse(&[0x25, 0x03, 0xFF]).unwrap()),
            Object::new()
        );
    }

    #[test]
    fn node_information_frames_name_command_classes() {
        let nif = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            // Node 9: basic 4, generic 0x10, specific 1; supports 0x5E 0x25
            // 0x32, controls 0x20.
            payload: vec![0x84, 9, 8, 0x04, 0x10, 0x01, 0x5E, 0x25, 0x32, 0xEF, 0x20],
        };
        let (node, classes) = node_info(&nif).unwrap();
        assert_eq!(node, 9);
        assert_eq!(classes, [0x5E, 0x25, 0x32]);
        assert_eq!(device_type_for(&classes), Some(SWITCH_TYPE));
        let other_status = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            payload: vec![0x81, 9, 0],
        };
        assert_eq!(node_info(&other_status), None);
        let truncated = Callback {
            func_id: FunctionId::APPLICATION_UPDATE,
            payload: vec![0x84, 9, 8, 0x04],
        };
        assert_eq!(node_info(&truncated), None);
    }
}
