//! One open controller as the adapter uses it: a request bounded by the
//! job's deadline, `SendData` with its transmit status, `Switch Binary Get`
//! with the node's report; and how transport errors sort into what the
//! bridge is told.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tracing::debug;

use super::super::command_class::{NodeCommand, switch_binary};
use super::super::frame::FunctionId;
use super::super::transmit::{TransmitStatus, TxOptions};
use super::super::{AckFailure, Callback, ZWaveController, ZWaveError};
use crate::agents::hardware::adapter::AdapterError;

/// Why an exchange failed, sorted by what the bridge should say.
#[derive(Debug)]
pub(super) enum Fail {
    /// The controller did not take or answer a request in time.
    Silent(String),
    /// The node (or the transmit status) did not come in time.
    NoReply(String),
    /// The node or controller refused, or answered nonsense.
    Device(String),
    /// The port is gone or broken.
    Port(String),
}

impl Fail {
    pub(super) fn into_adapter(self, timeout: Duration) -> AdapterError {
        match self {
            Fail::Silent(m) | Fail::NoReply(m) => {
                debug!("zwave: timeout: {m}");
                AdapterError::Timeout(timeout)
            }
            Fail::Device(m) => AdapterError::Device(m),
            Fail::Port(m) => AdapterError::Io(m),
        }
    }

    /// A node-level failure (the controller itself answered).
    pub(super) fn is_node(&self) -> bool {
        matches!(self, Fail::NoReply(_) | Fail::Device(_))
    }
}

pub(super) fn classify(error: ZWaveError) -> Fail {
    let text = error.to_string();
    match error {
        ZWaveError::NoAck { last, .. } => match last {
            AckFailure::Timeout => Fail::Silent(text),
            _ => Fail::Port(text),
        },
        ZWaveError::Abandoned { .. } | ZWaveError::ResponseTimeout { .. } => Fail::Silent(text),
        ZWaveError::CallbackTimeout { .. } => Fail::NoReply(text),
        ZWaveError::Rejected { .. }
        | ZWaveError::TransmitFailed { .. }
        | ZWaveError::Malformed { .. } => Fail::Device(text),
        ZWaveError::Open { .. }
        | ZWaveError::Io(_)
        | ZWaveError::Frame(_)
        | ZWaveError::Disconnected { .. } => Fail::Port(text),
    }
}

pub(super) fn open_error(path: &Path, error: ZWaveError) -> Fail {
    match error {
        ZWaveError::Open { source, .. } => Fail::Port(match source.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no Z-Wave controller at {}: the device does not exist (is the stick plugged in?)",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot open the Z-Wave controller at {}: permission denied (is the user in the dialout group?)",
                path.display()
            ),
            _ => format!(
                "cannot open the Z-Wave controller at {}: {source}",
                path.display()
            ),
        }),
        other => classify(other),
    }
}

/// The time left until `deadline`, if any.
fn left(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// An open controller and the receiver of what it sends on its own.
pub(super) struct ControllerLink {
    pub(super) controller: ZWaveController,
    pub(super) events: Receiver<Callback>,
}

impl ControllerLink {
    /// A request and its response, given up at `deadline`.
    pub(super) fn request(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, Fail> {
        let wait = left(deadline)
            .ok_or_else(|| Fail::Silent(format!("no time left to send {func_id}")))?;
        let rx = self
            .controller
            .submit_request_by(func_id, payload, wait, deadline)
            .map_err(classify)?;
        match rx.recv_timeout(wait) {
            Ok(Ok(response)) => Ok(response.payload),
            Ok(Err(e)) => Err(classify(e)),
            Err(RecvTimeoutError::Timeout) => Err(Fail::Silent(format!(
                "no response to {func_id} within {} ms",
                wait.as_millis()
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(Fail::Port(
                "the Z-Wave transport stopped during the request".to_owned(),
            )),
        }
    }

    /// `SendData` to a node, with its transmit status checked.
    pub(super) fn send_data(
        &self,
        node: u8,
        command: &[u8],
        deadline: Instant,
    ) -> Result<(), Fail> {
        let func = FunctionId::SEND_DATA;
        let callback_id = self.controller.next_callback_id();
        let mut payload = Vec::with_capacity(command.len() + 4);
        payload.push(node);
        payload.push(command.len() as u8);
        payload.extend_from_slice(command);
        payload.push(TxOptions::default().0);
        payload.push(callback_id);
        // Registered before sending, so a quick callback cannot slip past.
        let pending = self
            .controller
            .expect(
                Box::new(move |cb: &Callback| {
                    cb.func_id == func && cb.payload.first() == Some(&callback_id)
                }),
                true,
            )
            .map_err(classify)?;
        let response = self.request(func, &payload, deadline)?;
        match response.first() {
            Some(0) => {
                return Err(Fail::Device(format!(
                    "the controller refused SendData to node {node} (its queue is full or the node id is invalid)"
                )));
            }
            Some(_) => {}
            None => return Err(Fail::Device("empty SendData response".to_owned())),
        }
        let wait = left(deadline).ok_or_else(|| {
            Fail::NoReply(format!(
                "no time left for the transmit status of node {node}"
            ))
        })?;
        let callback = pending.wait(wait).map_err(|e| match e {
            ZWaveError::CallbackTimeout { .. } => Fail::NoReply(format!(
                "no transmit status for node {node} within {} ms",
                wait.as_millis()
            )),
            other => classify(other),
        })?;
        let status = callback
            .payload
            .get(1)
            .map(|&b| TransmitStatus::from_byte(b))
            .ok_or_else(|| {
                Fail::Device("SendData callback without a transmit status".to_owned())
            })?;
        if status != TransmitStatus::Ok {
            return Err(Fail::Device(format!(
                "transmission to node {node} failed: {status}"
            )));
        }
        Ok(())
    }

    /// `Switch Binary Get` and the node's report (`None`: the node does not
    /// know its state).
    pub(super) fn switch_get(&self, node: u8, deadline: Instant) -> Result<Option<bool>, Fail> {
        // Consumed, so a read is not also reported as a change on its own.
        let pending = self
            .controller
            .expect(
                Box::new(move |cb: &Callback| {
                    cb.application_command().is_some_and(|c| {
                        c.source_node == node
                            && matches!(c.decode(), NodeCommand::SwitchBinaryReport { .. })
                    })
                }),
                true,
            )
            .map_err(classify)?;
        self.send_data(node, &switch_binary::get(), deadline)?;
        let wait = left(deadline)
            .ok_or_else(|| Fail::NoReply(format!("no time left for the report of node {node}")))?;
        let callback = pending.wait(wait).map_err(|e| match e {
            ZWaveError::CallbackTimeout { .. } => Fail::NoReply(format!(
                "node {node} sent no Switch Binary Report within {} ms",
                wait.as_millis()
            )),
            other => classify(other),
        })?;
        match callback.application_command().map(|c| c.decode()) {
            Some(NodeCommand::SwitchBinaryReport { current, .. }) => Ok(current),
            _ => Err(Fail::Device(format!(
                "node {node} sent a malformed Switch Binary Report"
            ))),
        }
    }
}
