//! What a thread other than the game's needs to hand links to the network
//! thread and close them, without holding the [`Host`](super::Host): the
//! plugin supervisor starts and stops plugin sessions through it.

use std::sync::Arc;

use super::HostError;
use crate::net::transport::Link;
use crate::net::{Command, CommandSender, Handoff, TrySendError};
use crate::protocol::ClientId;

/// A clone of the host's command queue, for attach and disconnect only.
pub(crate) struct Port {
    commands: CommandSender,
    handoff: Arc<Handoff>,
    command_capacity: usize,
    pub max_message_size: usize,
    pub preferences: Vec<(String, String)>,
}

impl Port {
    pub(crate) fn new(
        commands: CommandSender,
        handoff: Arc<Handoff>,
        command_capacity: usize,
        max_message_size: usize,
        preferences: Vec<(String, String)>,
    ) -> Self {
        Self {
            commands,
            handoff,
            command_capacity,
            max_message_size,
            preferences,
        }
    }

    fn send(&self, command: Command) -> Result<(), HostError> {
        let sent = self.commands.try_send(command);
        self.handoff.wake();
        match sent {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(HostError::QueueFull(self.command_capacity)),
            Err(TrySendError::Disconnected(_)) => Err(HostError::Stopped),
        }
    }

    /// Starts a session over `link`.
    pub(crate) fn attach(&self, link: Box<dyn Link>) -> Result<(), HostError> {
        self.send(Command::Attach(link))
    }

    /// Sends `content` on `channel` to one session (a lifecycle event to a
    /// plugin), queued before anything sent after it, a close included.
    pub(crate) fn send_to(
        &self,
        client: ClientId,
        channel: crate::ChannelId,
        content: Vec<u8>,
    ) -> Result<(), HostError> {
        self.send(Command::SendTo {
            client,
            channel,
            content: content.into(),
        })
    }

    /// Closes one session (code 1000) with `reason`.
    pub(crate) fn disconnect(&self, client: ClientId, reason: &str) -> Result<(), HostError> {
        self.send(Command::Disconnect {
            client,
            reason: reason.to_owned(),
        })
    }
}
