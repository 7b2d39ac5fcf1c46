//! Sends collected and handed to the network thread at once: one lock of
//! the channel registry, one clock read, one queue operation and one wake-up
//! for all of them, instead of one of each per message.

use bytes::Bytes;

use super::{Host, HostError};
use crate::net::Command;
use crate::net::now_ns;
use crate::protocol::{ChannelId, ClientId, RequestId, Stamp};

/// Messages for clients, collected to be sent together
/// ([`Host::batch`]). They leave in the order they were added when the
/// batch is committed (or dropped).
///
/// ```
/// use switchboard::{ChannelSpec, Host, HostConfig};
///
/// let host = Host::start(HostConfig::default().port(0))?;
/// let fps = host.advertise(ChannelSpec::new("telemetry/fps").latest())?;
/// let load = host.advertise(ChannelSpec::new("telemetry/load").latest())?;
/// let mut batch = host.batch();
/// batch.publish(fps, &br#"{"value":60}"#[..])?;
/// batch.publish(load, &br#"{"value":0.4}"#[..])?;
/// batch.commit()?;
/// # Ok::<(), switchboard::HostError>(())
/// ```
pub struct Batch<'h> {
    host: &'h Host,
    items: Vec<Item>,
}

enum Item {
    Publish {
        channel: ChannelId,
        content: Bytes,
    },
    // Finished frames come from the Bevy plugin's `ToRemote`.
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    PublishFrame {
        channel: ChannelId,
        frame: Bytes,
        stamp: Stamp,
    },
    SendTo {
        client: ClientId,
        channel: ChannelId,
        content: Bytes,
    },
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    SendFrame {
        client: ClientId,
        channel: ChannelId,
        frame: Bytes,
        stamp: Stamp,
    },
    Respond {
        client: ClientId,
        request_id: RequestId,
        result: Result<Bytes, String>,
    },
}

impl Item {
    fn channel(&self) -> Option<ChannelId> {
        match self {
            Item::Publish { channel, .. }
            | Item::PublishFrame { channel, .. }
            | Item::SendTo { channel, .. }
            | Item::SendFrame { channel, .. } => Some(*channel),
            Item::Respond { .. } => None,
        }
    }
}

impl<'h> Batch<'h> {
    pub(super) fn new(host: &'h Host) -> Self {
        Self {
            host,
            items: Vec::new(),
        }
    }

    /// Messages collected so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// As [`Host::publish`], when the batch is committed.
    pub fn publish(
        &mut self,
        channel: ChannelId,
        content: impl Into<Bytes>,
    ) -> Result<(), HostError> {
        let content = content.into();
        Host::check_size(&content)?;
        self.items.push(Item::Publish { channel, content });
        Ok(())
    }

    /// As [`Host::send_to`], when the batch is committed.
    pub fn send_to(
        &mut self,
        client: ClientId,
        channel: ChannelId,
        content: impl Into<Bytes>,
    ) -> Result<(), HostError> {
        let content = content.into();
        Host::check_size(&content)?;
        self.items.push(Item::SendTo {
            client,
            channel,
            content,
        });
        Ok(())
    }

    /// As [`Host::respond`], when the batch is committed.
    pub fn respond(&mut self, client: ClientId, request_id: RequestId, content: impl Into<Bytes>) {
        self.items.push(Item::Respond {
            client,
            request_id,
            result: Ok(content.into()),
        });
    }

    /// As [`Host::respond_error`], when the batch is committed.
    pub fn respond_error(
        &mut self,
        client: ClientId,
        request_id: RequestId,
        reason: impl Into<String>,
    ) {
        self.items.push(Item::Respond {
            client,
            request_id,
            result: Err(reason.into()),
        });
    }

    /// A finished `Data` frame for every subscriber (see `Stamp`).
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    pub(crate) fn publish_frame(&mut self, channel: ChannelId, frame: Bytes, stamp: Stamp) {
        self.items.push(Item::PublishFrame {
            channel,
            frame,
            stamp,
        });
    }

    /// A finished `Data` frame for one client.
    #[cfg_attr(not(feature = "bevy"), allow(dead_code))]
    pub(crate) fn send_frame(
        &mut self,
        client: ClientId,
        channel: ChannelId,
        frame: Bytes,
        stamp: Stamp,
    ) {
        self.items.push(Item::SendFrame {
            client,
            channel,
            frame,
            stamp,
        });
    }

    /// Hands everything to the network thread. A message on a channel that
    /// is not advertised (any more) is left out and named in the error;
    /// the others still go. [`HostError::QueueFull`] or
    /// [`HostError::Stopped`] mean nothing went.
    pub fn commit(mut self) -> Result<(), HostError> {
        self.send_all()
    }

    fn send_all(&mut self) -> Result<(), HostError> {
        if self.items.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.items);
        let timestamp_ns = now_ns();
        let mut commands = Vec::with_capacity(items.len());
        let mut published = Vec::new();
        let mut unknown = None;
        // Under the registry's lock until the batch is queued, so sequence
        // numbers reach the network thread in order from any thread.
        let mut registry = self.host.registry();
        for item in items {
            if let Some(channel) = item.channel() {
                if registry.get(channel).is_none() {
                    unknown.get_or_insert(channel);
                    continue;
                }
            }
            let command = match item {
                Item::Publish { channel, content } => {
                    let sequence = registry.next_sequence(channel)?;
                    published.push(channel);
                    Command::Publish {
                        channel,
                        content,
                        sequence,
                    }
                }
                Item::PublishFrame {
                    channel,
                    frame,
                    stamp,
                } => {
                    let sequence = registry.next_sequence(channel)?;
                    published.push(channel);
                    Command::PublishFrame {
                        channel,
                        frame: stamp.write(frame, sequence, timestamp_ns),
                    }
                }
                Item::SendTo {
                    client,
                    channel,
                    content,
                } => Command::SendTo {
                    client,
                    channel,
                    content,
                },
                Item::SendFrame {
                    client,
                    channel,
                    frame,
                    stamp,
                } => Command::SendFrame {
                    client,
                    channel,
                    frame: stamp.write(frame, 0, timestamp_ns),
                },
                Item::Respond {
                    client,
                    request_id,
                    result,
                } => Command::Respond {
                    client,
                    request_id,
                    result,
                },
            };
            commands.push(command);
        }
        if !commands.is_empty() {
            if let Err(e) = self.host.send(Command::Batch(commands)) {
                for channel in published {
                    registry.unpublish(channel);
                }
                return Err(e);
            }
        }
        match unknown {
            Some(channel) => Err(HostError::UnknownChannel(channel)),
            None => Ok(()),
        }
    }
}

impl Drop for Batch<'_> {
    /// A batch that was not committed is sent when it goes out of scope.
    fn drop(&mut self) {
        if let Err(e) = self.send_all() {
            tracing::warn!("batch of messages to remote not sent: {e}");
        }
    }
}
