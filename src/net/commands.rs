//! What the network thread does with each command from the game.

use std::time::Instant;

use bytes::Bytes;

use super::Command;
use super::connection::Phase;
use super::dispatch;
use super::event_loop::NetLoop;
use super::id_hash::IdSet;
use super::outbound::Class;
use super::session::PendingOutbound;
use super::timers::Timer;
use crate::host::{ChannelId, ClientId, HostEvent, RequestFailure, RequestId};
use crate::protocol::{
    ChannelDescription, CloseCode, encode_advertise, encode_data, encode_response,
    encode_unadvertise, ipc,
};

fn class_for(delivery: ipc::DeliveryPolicy, channel: ChannelId) -> Class {
    if delivery == ipc::DeliveryPolicy::Latest {
        Class::Latest(channel.0)
    } else {
        Class::Reliable
    }
}

impl NetLoop {
    pub(super) fn apply(&mut self, command: Command) {
        match command {
            Command::Advertise(description) => self.advertise(description),
            Command::Unadvertise(channel) => self.unadvertise(channel),
            Command::Publish {
                channel,
                content,
                timestamp_ns,
            } => self.publish(channel, &content, timestamp_ns),
            Command::SendTo {
                client,
                channel,
                content,
                timestamp_ns,
            } => self.send_to(client, channel, &content, timestamp_ns),
            Command::Respond {
                client,
                request_id,
                result,
            } => self.respond(client, request_id, result),
            Command::Request {
                client,
                channel,
                request_id,
                content,
                timeout,
                timestamp_ns,
            } => {
                let deadline = Instant::now() + timeout;
                self.request(
                    client,
                    channel,
                    request_id,
                    &content,
                    deadline,
                    timestamp_ns,
                );
            }
            Command::Disconnect { client, reason } => {
                if let Some(session) = self.conns.get_mut(&client).and_then(|c| c.session_mut()) {
                    dispatch::close_session(
                        &mut self.core,
                        client,
                        session,
                        CloseCode::Normal,
                        &reason,
                        true,
                    );
                }
            }
            Command::Shutdown => self.begin_shutdown(),
        }
    }

    /// Every session that finished its handshake and is not closing.
    fn open_clients(&self) -> Vec<ClientId> {
        self.conns
            .iter()
            .filter_map(|(id, c)| match &c.phase {
                Phase::WebSocket(s) if s.is_open() => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn advertise(&mut self, description: ChannelDescription) {
        let mut subscribers = IdSet::default();
        for (id, conn) in &self.conns {
            if let Phase::WebSocket(session) = &conn.phase {
                if session.is_open() && session.subscriptions.wants(&description) {
                    subscribers.insert(*id);
                }
            }
        }
        let frame = encode_advertise([&description]);
        self.core.router.advertise(description, subscribers);
        self.broadcast_control(&frame);
    }

    fn unadvertise(&mut self, channel: ChannelId) {
        if self.core.router.unadvertise(channel).is_none() {
            return;
        }
        for conn in self.conns.values_mut() {
            if let Some(session) = conn.session_mut() {
                session.subscriptions.forget_channel(channel);
            }
        }
        self.broadcast_control(&encode_unadvertise(&[channel.0]));
    }

    fn broadcast_control(&mut self, frame: &Bytes) {
        for id in self.open_clients() {
            if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
                dispatch::queue_control(&mut self.core, id, session, frame.clone());
            }
        }
    }

    /// Encodes once and shares the bytes with every subscriber.
    fn publish(&mut self, channel: ChannelId, content: &[u8], timestamp_ns: u64) {
        let Some(routed) = self.core.router.get_mut(channel) else {
            tracing::warn!("publish on {channel}, which is not advertised: dropped");
            return;
        };
        routed.sequence += 1;
        if routed.subscribers.is_empty() {
            return;
        }
        let frame = encode_data(channel.0, 0, routed.sequence, timestamp_ns, content);
        let class = class_for(routed.description.delivery, channel);
        let subscribers: Vec<ClientId> = routed.subscribers.iter().copied().collect();
        for id in subscribers {
            if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
                dispatch::queue(&mut self.core, id, session, class, frame.clone());
            }
        }
    }

    fn send_to(&mut self, client: ClientId, channel: ChannelId, content: &[u8], timestamp_ns: u64) {
        if self.core.router.get(channel).is_none() {
            tracing::warn!("send to {client} on {channel}, which is not advertised: dropped");
            return;
        }
        // Direct messages are never conflated: a Latest slot holds the
        // channel's broadcast stream, and one client's message must not
        // replace it (or be replaced by it).
        let Some(session) = self.conns.get_mut(&client).and_then(|c| c.session_mut()) else {
            tracing::debug!("send to {client}, which is gone: dropped");
            return;
        };
        if !session.is_open() {
            return;
        }
        let frame = encode_data(channel.0, 0, 0, timestamp_ns, content);
        dispatch::queue(&mut self.core, client, session, Class::Reliable, frame);
    }

    fn respond(&mut self, client: ClientId, request_id: RequestId, result: Result<Bytes, String>) {
        let Some(session) = self.conns.get_mut(&client).and_then(|c| c.session_mut()) else {
            tracing::debug!("answer to {request_id} of {client}, which is gone: dropped");
            return;
        };
        let Some(pending) = session.pending_in.remove(&request_id.0) else {
            tracing::debug!(
                "answer to {request_id} of {client} is late (timed out) or unknown: dropped"
            );
            return;
        };
        let frame = match &result {
            Ok(content) => encode_response(request_id.0, pending.channel, Ok(content)),
            Err(reason) => encode_response(request_id.0, pending.channel, Err(reason)),
        };
        dispatch::queue_control(&mut self.core, client, session, frame);
    }

    fn request(
        &mut self,
        client: ClientId,
        channel: ChannelId,
        request_id: RequestId,
        content: &[u8],
        deadline: Instant,
        timestamp_ns: u64,
    ) {
        let max = self.core.config.host.limits.max_pending_requests;
        let failure = match self.conns.get_mut(&client).and_then(|c| c.session_mut()) {
            Some(session) if session.is_open() => {
                if session.pending_out.len() >= max {
                    Some(RequestFailure::TooManyInFlight)
                } else {
                    session
                        .pending_out
                        .insert(request_id.0, PendingOutbound { deadline });
                    self.core
                        .timers
                        .add(deadline, Timer::OutboundRequest(client, request_id.0));
                    let frame = encode_data(channel.0, request_id.0, 0, timestamp_ns, content);
                    dispatch::queue_control(&mut self.core, client, session, frame);
                    None
                }
            }
            _ => Some(RequestFailure::ClientGone),
        };
        if let Some(reason) = failure {
            self.core.emit(HostEvent::RequestFailed {
                client,
                request_id,
                reason,
            });
        }
    }
}
