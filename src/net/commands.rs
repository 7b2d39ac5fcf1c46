//! What the game asks the network thread to do, and how each request is
//! carried out on the sessions.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::connections::Connections;
use super::core::Core;
use super::event::{HostEvent, RequestFailure};
use super::id_hash::IdSet;
use super::session::outbound::{self, close_session};
use super::session::{Class, PendingOutbound};
use super::timers::Timer;
use super::transport::Link;
use crate::protocol::{
    ChannelDescription, ChannelId, ClientId, CloseCode, DATA_FRAME_OVERHEAD, DataHead, RequestId,
    encode_advertise, encode_data, encode_data_into, encode_response, encode_unadvertise, ipc,
};

/// A request from the game to one client.
pub(crate) struct GameRequest {
    pub client: ClientId,
    pub channel: ChannelId,
    pub request_id: RequestId,
    pub content: Bytes,
    pub timeout: Duration,
}

/// What the game asks the network thread to do.
pub(crate) enum Command {
    Advertise(ChannelDescription),
    Unadvertise(ChannelId),
    /// Encode a `Data` frame once, and send it to every subscriber.
    Publish {
        channel: ChannelId,
        content: Bytes,
        sequence: u64,
    },
    /// Send this finished frame to every subscriber, as it is.
    PublishFrame {
        channel: ChannelId,
        frame: Bytes,
    },
    /// Send this finished frame to one client, as it is.
    SendFrame {
        client: ClientId,
        channel: ChannelId,
        frame: Bytes,
    },
    SendTo {
        client: ClientId,
        channel: ChannelId,
        content: Bytes,
    },
    Respond {
        client: ClientId,
        request_id: RequestId,
        result: Result<Bytes, String>,
    },
    Request(GameRequest),
    Disconnect {
        client: ClientId,
        reason: String,
    },
    /// These, in order (`Host::batch`): one queue operation for many.
    Batch(Vec<Command>),
    /// Start a session over a link made outside the network thread.
    Attach(Box<dyn Link>),
    Shutdown,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Command::Advertise(_) => "Advertise",
            Command::Unadvertise(_) => "Unadvertise",
            Command::Publish { .. } => "Publish",
            Command::PublishFrame { .. } => "PublishFrame",
            Command::SendFrame { .. } => "SendFrame",
            Command::SendTo { .. } => "SendTo",
            Command::Respond { .. } => "Respond",
            Command::Request(_) => "Request",
            Command::Disconnect { .. } => "Disconnect",
            Command::Batch(commands) => return write!(f, "Batch({})", commands.len()),
            Command::Attach(link) => return write!(f, "Attach({})", link.peer()),
            Command::Shutdown => "Shutdown",
        };
        f.write_str(name)
    }
}

fn class_for(delivery: ipc::DeliveryPolicy, channel: ChannelId) -> Class {
    if delivery == ipc::DeliveryPolicy::Latest {
        Class::Latest(channel.0)
    } else {
        Class::Reliable
    }
}

/// Carries out a command that touches sessions. `Attach` and `Shutdown`
/// need the loop itself; it handles them before calling this.
pub(crate) fn apply(command: Command, conns: &mut Connections, core: &mut Core) {
    match command {
        Command::Advertise(description) => advertise(conns, core, description),
        Command::Unadvertise(channel) => unadvertise(conns, core, channel),
        Command::Publish {
            channel,
            content,
            sequence,
        } => {
            if has_subscribers(core, channel) {
                let timestamp_ns = core.clock.now_ns();
                let frame = encode_data(channel.0, 0, sequence, timestamp_ns, &content);
                publish(conns, core, channel, frame);
            }
        }
        Command::PublishFrame { channel, frame } => publish(conns, core, channel, frame),
        Command::SendFrame {
            client,
            channel,
            frame,
        } => send_frame(conns, core, client, channel, frame),
        Command::SendTo {
            client,
            channel,
            content,
        } => send_to(conns, core, client, channel, &content),
        Command::Respond {
            client,
            request_id,
            result,
        } => respond(conns, core, client, request_id, result),
        Command::Request(asked) => request(conns, core, &asked),
        Command::Batch(commands) => {
            for command in commands {
                apply(command, conns, core);
            }
        }
        Command::Disconnect { client, reason } => {
            if let Some(session) = conns.session_mut(client) {
                close_session(core, client, session, CloseCode::Normal, &reason, true);
            }
        }
        Command::Attach(_) | Command::Shutdown => {
            tracing::error!("{command:?} reached the session commands");
        }
    }
}

fn advertise(conns: &mut Connections, core: &mut Core, description: ChannelDescription) {
    let mut subscribers = IdSet::default();
    for (id, session) in conns.sessions() {
        if session.is_open() && session.subscriptions.wants(&description) {
            subscribers.insert(id);
        }
    }
    let frame = encode_advertise([&description]);
    core.router.advertise(description, subscribers);
    broadcast_control(conns, core, &frame);
}

fn unadvertise(conns: &mut Connections, core: &mut Core, channel: ChannelId) {
    if core.router.unadvertise(channel).is_none() {
        return;
    }
    for (_, session) in conns.sessions_mut() {
        session.subscriptions.forget_channel(channel);
    }
    broadcast_control(conns, core, &encode_unadvertise(&[channel.0]));
}

fn broadcast_control(conns: &mut Connections, core: &mut Core, frame: &Bytes) {
    for id in conns.open_clients() {
        if let Some(session) = conns.session_mut(id) {
            outbound::queue_control(core, id, session, frame.clone());
        }
    }
}

fn has_subscribers(core: &Core, channel: ChannelId) -> bool {
    core.router
        .get(channel)
        .is_some_and(|routed| !routed.subscribers.is_empty())
}

/// Shares one frame's bytes with every subscriber.
fn publish(conns: &mut Connections, core: &mut Core, channel: ChannelId, frame: Bytes) {
    let Some(routed) = core.router.get(channel) else {
        tracing::warn!("publish on {channel}, which is not advertised: dropped");
        return;
    };
    if routed.subscribers.is_empty() {
        return;
    }
    let class = class_for(routed.description.delivery, channel);
    let subscribers: Vec<ClientId> = routed.subscribers.iter().copied().collect();
    for id in subscribers {
        if let Some(session) = conns.session_mut(id) {
            outbound::queue(core, id, session, class, frame.clone());
        }
    }
}

fn send_to(
    conns: &mut Connections,
    core: &mut Core,
    client: ClientId,
    channel: ChannelId,
    content: &[u8],
) {
    if !wants_direct(conns, core, client, channel) {
        return;
    }
    let timestamp_ns = core.clock.now_ns();
    if let Some(session) = conns.session_mut(client) {
        // Nothing queued before it: straight to the link, built in the
        // loop's reused buffer instead of an allocation of its own.
        let scratch = core.scratch.for_frame(DATA_FRAME_OVERHEAD + content.len());
        if let (Some(buf), true) = (scratch, session.writes_through()) {
            let head = DataHead {
                channel: channel.0,
                request_id: 0,
                sequence: 0,
                timestamp_ns,
            };
            let frame = encode_data_into(buf, head, content);
            if session.write_through(frame) {
                outbound::schedule_write(core, client, session);
                return;
            }
        }
    }
    let frame = encode_data(channel.0, 0, 0, timestamp_ns, content);
    queue_direct(conns, core, client, frame);
}

/// Whether a direct message to `client` on `channel` can be delivered.
fn wants_direct(conns: &Connections, core: &Core, client: ClientId, channel: ChannelId) -> bool {
    if core.router.get(channel).is_none() {
        tracing::warn!("send to {client} on {channel}, which is not advertised: dropped");
        return false;
    }
    match conns.session(client) {
        Some(session) => session.is_open(),
        None => {
            tracing::debug!("send to {client}, which is gone: dropped");
            false
        }
    }
}

fn send_frame(
    conns: &mut Connections,
    core: &mut Core,
    client: ClientId,
    channel: ChannelId,
    frame: Bytes,
) {
    if wants_direct(conns, core, client, channel) {
        queue_direct(conns, core, client, frame);
    }
}

fn queue_direct(conns: &mut Connections, core: &mut Core, client: ClientId, frame: Bytes) {
    // Direct messages are never conflated: a Latest slot holds the
    // channel's broadcast stream, and one client's message must not
    // replace it (or be replaced by it).
    if let Some(session) = conns.session_mut(client) {
        outbound::queue(core, client, session, Class::Reliable, frame);
    }
}

fn respond(
    conns: &mut Connections,
    core: &mut Core,
    client: ClientId,
    request_id: RequestId,
    result: Result<Bytes, String>,
) {
    let Some(session) = conns.session_mut(client) else {
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
    outbound::queue_control(core, client, session, frame);
}

fn request(conns: &mut Connections, core: &mut Core, asked: &GameRequest) {
    let GameRequest {
        client,
        channel,
        request_id,
        ref content,
        timeout,
    } = *asked;
    let deadline = Instant::now() + timeout;
    let max = core.config.host.limits.max_pending_requests;
    let failure = match conns.session_mut(client) {
        Some(session) if session.is_open() => {
            if session.pending_out.len() >= max {
                Some(RequestFailure::TooManyInFlight)
            } else {
                session
                    .pending_out
                    .insert(request_id.0, PendingOutbound { deadline });
                core.timers
                    .add(deadline, Timer::OutboundRequest(client, request_id.0));
                let timestamp_ns = core.clock.now_ns();
                let frame = encode_data(channel.0, request_id.0, 0, timestamp_ns, content);
                outbound::queue_control(core, client, session, frame);
                None
            }
        }
        _ => Some(RequestFailure::ClientGone),
    };
    if let Some(reason) = failure {
        core.emit(HostEvent::RequestFailed {
            client,
            request_id,
            reason,
        });
    }
}
