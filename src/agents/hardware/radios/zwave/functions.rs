//! Typed Serial API functions on the controller: the requests the host
//! makes, built on [`send_request`](ZWaveController::send_request) and
//! callbacks.

use super::command_class::{NodeCommand, basic, switch_binary};
use super::controller::ZWaveController;
use super::error::ZWaveError;
use super::frame::{FrameError, FunctionId};
use super::payloads::{
    ControllerVersion, InitData, NetworkIds, malformed, parse_init_data, parse_memory_get_id,
    parse_version,
};
use super::received::Callback;
use super::transmit::{TransmitReport, TransmitStatus, TxOptions};

impl ZWaveController {
    /// `GetVersion` (0x15): the controller's library version and type.
    pub fn get_version(&self) -> Result<ControllerVersion, ZWaveError> {
        let response = self.send_request(
            FunctionId::GET_VERSION,
            &[],
            self.options().get_response_timeout(),
        )?;
        parse_version(&response.payload)
    }

    /// `MemoryGetId` (0x20): the home id and the controller's node id.
    pub fn memory_get_id(&self) -> Result<NetworkIds, ZWaveError> {
        let response = self.send_request(
            FunctionId::MEMORY_GET_ID,
            &[],
            self.options().get_response_timeout(),
        )?;
        parse_memory_get_id(&response.payload)
    }

    /// `SerialApiGetInitData` (0x02): API version, capabilities and the list
    /// of nodes in the network.
    pub fn get_init_data(&self) -> Result<InitData, ZWaveError> {
        let response = self.send_request(
            FunctionId::GET_INIT_DATA,
            &[],
            self.options().get_response_timeout(),
        )?;
        parse_init_data(&response.payload)
    }

    /// `SendData` (0x13): sends `command` to `node_id` and waits until the
    /// controller reports the transmission's outcome.
    ///
    /// The request carries a fresh callback id; the controller first
    /// responds whether it accepted the frame, then calls back with that id
    /// and the transmit status. Fails with [`ZWaveError::Rejected`] if the
    /// controller refused, [`ZWaveError::TransmitFailed`] if the node could
    /// not be reached, [`ZWaveError::CallbackTimeout`] if no status came
    /// within [`ControllerOptions::callback_timeout`].
    ///
    /// [`ControllerOptions::callback_timeout`]: super::ControllerOptions::callback_timeout
    pub fn send_data(
        &self,
        node_id: u8,
        command: &[u8],
        tx_options: TxOptions,
    ) -> Result<TransmitReport, ZWaveError> {
        let func = FunctionId::SEND_DATA;
        let len = u8::try_from(command.len())
            .map_err(|_| ZWaveError::Frame(FrameError::PayloadTooLong { len: command.len() }))?;
        let callback_id = self.next_callback_id();
        let mut payload = Vec::with_capacity(command.len() + 4);
        payload.push(node_id);
        payload.push(len);
        payload.extend_from_slice(command);
        payload.push(tx_options.0);
        payload.push(callback_id);

        // Register before sending so a quick callback cannot slip past.
        let pending = self.expect(
            Box::new(move |cb: &Callback| {
                cb.func_id == func && cb.payload.first() == Some(&callback_id)
            }),
            true,
        )?;
        let response = self.send_request(func, &payload, self.options().get_response_timeout())?;
        match response.payload.first() {
            Some(0) => return Err(ZWaveError::Rejected { func_id: func }),
            Some(_) => {}
            None => return Err(malformed(func, "empty response")),
        }
        let callback = pending.wait_for(
            &format!("SendData callback {callback_id} for node {node_id}"),
            self.options().get_callback_timeout(),
        )?;
        let status = callback
            .payload
            .get(1)
            .map(|&b| TransmitStatus::from_byte(b))
            .ok_or_else(|| malformed(func, "callback without transmit status"))?;
        if status != TransmitStatus::Ok {
            return Err(ZWaveError::TransmitFailed { node_id, status });
        }
        Ok(TransmitReport {
            callback_id,
            status,
            details: callback.payload[2..].to_vec(),
        })
    }

    /// Sends `Basic Set` (0x20 0x01 value) to a node.
    pub fn basic_set(&self, node_id: u8, value: u8) -> Result<(), ZWaveError> {
        self.send_data(node_id, &basic::set(value), TxOptions::default())
            .map(drop)
    }

    /// Sends `Switch Binary Set` (0x25 0x01 0xFF/0x00) to a node.
    pub fn switch_binary_set(&self, node_id: u8, on: bool) -> Result<(), ZWaveError> {
        self.send_data(node_id, &switch_binary::set(on), TxOptions::default())
            .map(drop)
    }

    /// Sends `Switch Binary Get` to a node and waits for its report.
    /// `Ok(None)` means the node reported its state as unknown.
    ///
    /// The report is also delivered to [`events`](Self::events) receivers.
    pub fn switch_binary_get(&self, node_id: u8) -> Result<Option<bool>, ZWaveError> {
        let pending = self.expect_callback(move |cb| {
            cb.application_command().is_some_and(|c| {
                c.source_node == node_id
                    && matches!(c.decode(), NodeCommand::SwitchBinaryReport { .. })
            })
        })?;
        self.send_data(node_id, &switch_binary::get(), TxOptions::default())?;
        let callback = pending.wait_for(
            &format!("Switch Binary Report from node {node_id}"),
            self.options().get_report_timeout(),
        )?;
        match callback.application_command().map(|c| c.decode()) {
            Some(NodeCommand::SwitchBinaryReport { current, .. }) => Ok(current),
            _ => Err(malformed(
                callback.func_id,
                "matched callback is not a Switch Binary Report",
            )),
        }
    }
}
