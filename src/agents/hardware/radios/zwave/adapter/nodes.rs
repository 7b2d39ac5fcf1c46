//! What the adapter knows about each node, and how what nodes send on
//! their own becomes events.

use std::collections::BTreeSet;

use serde_json::Value;
use tracing::debug;

use super::super::command_class::{NodeCommand, switch_binary};
use super::super::payloads::ApplicationCommand;
use super::ZWaveAdapter;
use super::mapping::{
    METER, device_type_for, found_device, network_nodes, parse_node, state_changes,
};
use crate::agents::hardware::adapter::{AdapterError, AdapterEvent};

/// What the adapter knows about one node.
#[derive(Debug, Clone, Default)]
pub(super) struct KnownNode {
    /// Command classes the node is known to support.
    pub(super) command_classes: BTreeSet<u8>,
    /// Registered through the bridge: its reports become state changes.
    pub(super) paired: bool,
    /// Its last known switch state.
    pub(super) on: Option<bool>,
}

impl KnownNode {
    pub(super) fn type_id(&self) -> Option<&'static str> {
        let classes: Vec<u8> = self.command_classes.iter().copied().collect();
        device_type_for(&classes)
    }
}

impl ZWaveAdapter {
    /// Makes the node list match the controller's, keeping what is known
    /// about nodes still there.
    pub(super) fn set_nodes(&mut self, node_ids: &[u8]) {
        let present = network_nodes(node_ids, self.controller_node());
        self.nodes.retain(|id, _| present.contains(id));
        for id in present {
            self.nodes.entry(id).or_default();
        }
    }

    /// The node behind a paired device's address.
    pub(super) fn paired_node(&self, address: &str) -> Result<u8, AdapterError> {
        let node = parse_node(address, self.controller_node())
            .filter(|id| self.nodes.contains_key(id))
            .ok_or_else(|| AdapterError::UnknownAddress(address.to_owned()))?;
        if !self.nodes[&node].paired {
            return Err(AdapterError::NotPaired(address.to_owned()));
        }
        Ok(node)
    }

    /// Turns a command a node sent into events.
    pub(super) fn on_node_command(
        &mut self,
        command: &ApplicationCommand,
        events: &mut Vec<AdapterEvent>,
    ) {
        let node_id = command.source_node;
        if parse_node(&node_id.to_string(), self.controller_node()).is_none() {
            return;
        }
        let decoded = command.decode();
        let node = self.nodes.entry(node_id).or_default();
        let known = node.type_id();
        match &decoded {
            NodeCommand::SwitchBinaryReport { .. } => {
                node.command_classes.insert(switch_binary::ID);
            }
            NodeCommand::Other {
                command_class: METER,
                ..
            } => {
                node.command_classes.insert(METER);
            }
            _ => {}
        }
        let Some(type_id) = node.type_id() else {
            debug!("zwave: node {node_id} of unknown kind sent {decoded:?}");
            return;
        };
        if known.is_none() {
            let classes: Vec<u8> = node.command_classes.iter().copied().collect();
            if let Some(found) = found_device(node_id, &classes) {
                events.push(AdapterEvent::Discovered(found));
            }
        }
        let changes = state_changes(type_id, &decoded);
        if let Some(on) = changes.get("on").and_then(Value::as_bool) {
            node.on = Some(on);
        }
        if node.paired && !changes.is_empty() {
            events.push(AdapterEvent::StateChanged {
                address: node_id.to_string(),
                changes,
            });
        }
    }

    /// Takes in a node information frame.
    pub(super) fn on_node_info(
        &mut self,
        node_id: u8,
        classes: Vec<u8>,
        events: &mut Vec<AdapterEvent>,
    ) {
        if parse_node(&node_id.to_string(), self.controller_node()).is_none() {
            return;
        }
        let node = self.nodes.entry(node_id).or_default();
        let known = node.type_id();
        node.command_classes.extend(classes);
        if known.is_none() {
            let classes: Vec<u8> = node.command_classes.iter().copied().collect();
            if let Some(found) = found_device(node_id, &classes) {
                events.push(AdapterEvent::Discovered(found));
            }
        }
    }
}
