//! What the host does with each frame a client sends: verify it, then the
//! handshake, data and requests, answers, subscriptions.

use std::time::Instant;

use bytes::Bytes;

use super::outbound::{close_session, queue_control, reply_error};
use super::{PendingInbound, Session, SessionState};
use crate::net::core::Core;
use crate::net::event::{ClientInfo, HostEvent};
use crate::net::router::MAX_PATTERNS_PER_CLIENT;
use crate::net::timers::Timer;
use crate::protocol::fast_verify::{self, DataFields};
use crate::protocol::{
    self, ChannelId, ChannelPattern, ClientId, CloseCode, RemoteMessage, RemoteResponse,
    WelcomeArgs, encode_response, encode_welcome, ipc, verify_frame,
};

/// Features this host offers, listed in `Welcome.capabilities`.
const CAPABILITIES: &[&str] = &["subscribe-pattern", "request-response", "latest-policy"];
/// Added to the capabilities when the host checks tokens.
const TOKEN_CAPABILITY: &str = "token";

/// Longest client name kept; longer ones are cut.
const MAX_CLIENT_NAME: usize = 64;

fn has_identifier(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(protocol::FILE_IDENTIFIER)
}

/// Handles one binary message from a client.
pub(crate) fn on_binary(core: &mut Core, id: ClientId, session: &mut Session, bytes: Bytes) {
    // Most frames are `Data`: check those and read their fields in one pass.
    if session.state != SessionState::AwaitingHello && has_identifier(&bytes) {
        if let Some(fields) = fast_verify::data_fields(&bytes) {
            on_data(core, id, session, bytes, fields);
            return;
        }
    }
    let frame = match verify_frame(&bytes) {
        Ok(frame) => frame,
        Err(e) => {
            let message = format!("bad frame: {e}");
            reply_error(core, id, session, ipc::ErrorCode::BadFrame, &message, 0, 0);
            return;
        }
    };
    let body_name = frame.body_type().variant_name().unwrap_or("unknown");
    if session.state == SessionState::AwaitingHello {
        match frame.body_as_hello() {
            Some(hello) => on_hello(core, id, session, hello),
            None => {
                let message = format!("send Hello first (got {body_name})");
                reply_error(
                    core,
                    id,
                    session,
                    ipc::ErrorCode::HandshakeRequired,
                    &message,
                    0,
                    0,
                );
            }
        }
        return;
    }
    match frame.body_type() {
        ipc::Body::Data => {
            if let Some(data) = frame.body_as_data() {
                let fields = DataFields::of(data);
                on_data(core, id, session, bytes, fields);
            }
        }
        ipc::Body::Response => {
            if let Some(response) = frame.body_as_response() {
                let (request_id, loc) = (response.request_id(), response._tab.loc());
                on_response(core, id, session, bytes, request_id, loc);
            }
        }
        ipc::Body::Subscribe => {
            if let Some(sub) = frame.body_as_subscribe() {
                let change = SubscriptionChange::new(
                    true,
                    sub.request_id(),
                    sub.channel_ids(),
                    sub.patterns(),
                );
                on_subscription(core, id, session, change);
            }
        }
        ipc::Body::Unsubscribe => {
            if let Some(sub) = frame.body_as_unsubscribe() {
                let change = SubscriptionChange::new(
                    false,
                    sub.request_id(),
                    sub.channel_ids(),
                    sub.patterns(),
                );
                on_subscription(core, id, session, change);
            }
        }
        ipc::Body::Error => {
            if let Some(error) = frame.body_as_error() {
                tracing::info!(
                    "{id} reported an error ({:?}, request {}): {}",
                    error.code(),
                    error.request_id(),
                    error.message().unwrap_or("")
                );
            }
        }
        ipc::Body::Hello => {
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::BadFrame,
                "Hello was already accepted on this connection",
                0,
                0,
            );
        }
        _ => {
            let message = format!("{body_name} is sent by the host, never to it");
            reply_error(core, id, session, ipc::ErrorCode::BadFrame, &message, 0, 0);
        }
    }
}

fn on_hello(core: &mut Core, id: ClientId, session: &mut Session, hello: ipc::Hello<'_>) {
    let admission = session.link().admission().cloned();
    if let Some(admission) = &admission {
        let given = hello.client_name().unwrap_or("");
        if given != admission.name {
            let message = format!(
                "this plugin must register as {:?} (its manifest id), not {:?}",
                admission.name,
                clean_name(given)
            );
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::Unauthorized,
                &message,
                0,
                0,
            );
            close_session(core, id, session, CloseCode::Unauthorized, &message, true);
            return;
        }
    } else if let Some(expected) = &core.config.host.token {
        let given = hello.token().unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            let message = if given.is_empty() {
                "this host needs a token in Hello"
            } else {
                "wrong token"
            };
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::Unauthorized,
                message,
                0,
                0,
            );
            close_session(core, id, session, CloseCode::Unauthorized, message, true);
            return;
        }
    }
    let offered: Vec<u16> = hello
        .protocol_versions()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let Some(version) = protocol::negotiate_version(&offered) else {
        let message = format!(
            "no protocol version in common: client speaks {offered:?}, host speaks {}..={}",
            protocol::MIN_PROTOCOL_VERSION,
            protocol::MAX_PROTOCOL_VERSION
        );
        reply_error(
            core,
            id,
            session,
            ipc::ErrorCode::UnsupportedVersion,
            &message,
            0,
            0,
        );
        close_session(
            core,
            id,
            session,
            CloseCode::UnsupportedVersion,
            &message,
            true,
        );
        return;
    };
    let name = clean_name(hello.client_name().unwrap_or(""));
    session.state = SessionState::Open { name: name.clone() };
    session.welcomed = true;
    session.welcomed_at = Some(Instant::now());

    let host = &core.config.host;
    let mut capabilities = CAPABILITIES.to_vec();
    if host.token.is_some() {
        capabilities.push(TOKEN_CAPABILITY);
    }
    let args = WelcomeArgs {
        client_id: id.0,
        host_name: &host.host_name,
        host_version: env!("CARGO_PKG_VERSION"),
        protocol_version: version,
        capabilities: &capabilities,
        session_id: &core.config.session_id,
        directories: admission
            .as_ref()
            .map_or(&host.directories, |a| &a.directories),
        preferences: admission
            .as_ref()
            .map_or(&host.preferences, |a| &a.preferences),
        max_message_size: host.limits.max_message_size as u64,
        max_pending_requests: u32::try_from(host.limits.max_pending_requests).unwrap_or(u32::MAX),
        request_timeout_ms: u32::try_from(host.limits.request_timeout.as_millis())
            .unwrap_or(u32::MAX),
    };
    let welcome = encode_welcome(&args, core.router.descriptions());
    queue_control(core, id, session, welcome);
    session.link_mut().welcomed(id);
    tracing::info!(
        "{id} connected from {} as {name:?} (protocol {version})",
        session.peer
    );
    core.emit(HostEvent::Connected(ClientInfo {
        id,
        name,
        peer: session.peer,
        protocol_version: version,
    }));
}

fn on_data(core: &mut Core, id: ClientId, session: &mut Session, bytes: Bytes, fields: DataFields) {
    let DataFields {
        channel,
        request_id,
        ..
    } = fields;
    let Some(routed) = core.router.get(ChannelId(channel)) else {
        let message = format!("no channel {channel} is advertised");
        reply_error(
            core,
            id,
            session,
            ipc::ErrorCode::UnknownChannel,
            &message,
            request_id,
            channel,
        );
        return;
    };
    if request_id == 0 && routed.description.publishers == ipc::Publishers::AgentsOnly {
        let message = format!(
            "only agents publish on {:?}; send a request (non-zero request_id) instead",
            routed.description.name
        );
        reply_error(
            core,
            id,
            session,
            ipc::ErrorCode::NotAllowed,
            &message,
            0,
            channel,
        );
        return;
    }
    if request_id != 0 {
        let limits = &core.config.host.limits;
        if session.pending_in.contains_key(&request_id) {
            let message = format!("request {request_id} is already in flight");
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::DuplicateRequest,
                &message,
                request_id,
                channel,
            );
            return;
        }
        if session.pending_in.len() >= limits.max_pending_requests {
            let message = format!(
                "{} requests already in flight (max_pending_requests)",
                session.pending_in.len()
            );
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::Overloaded,
                &message,
                request_id,
                channel,
            );
            return;
        }
        let deadline = Instant::now() + limits.request_timeout;
        session
            .pending_in
            .insert(request_id, PendingInbound { channel, deadline });
        core.timers
            .add(deadline, Timer::InboundRequest(id, request_id));
    }
    core.emit(HostEvent::Message(RemoteMessage::from_verified(
        id, bytes, fields,
    )));
}

/// A frame from a session the host is closing. Only answers to the host's
/// own requests still count: the game asked before the close and waits for
/// them (a plugin answering while it is being stopped, say). Anything else
/// is dropped, as the close already said.
pub(crate) fn on_binary_while_closing(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    bytes: Bytes,
) {
    if session.pending_out.is_empty() || !has_identifier(&bytes) {
        return;
    }
    let answered = match verify_frame(&bytes) {
        Ok(frame) => frame
            .body_as_response()
            .map(|response| (response.request_id(), response._tab.loc())),
        Err(_) => None,
    };
    if let Some((request_id, loc)) = answered {
        if session.pending_out.remove(&request_id).is_some() {
            core.emit(HostEvent::Response(RemoteResponse::from_verified(
                id, bytes, loc,
            )));
        }
    }
}

fn on_response(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    bytes: Bytes,
    request_id: u64,
    loc: usize,
) {
    if session.pending_out.remove(&request_id).is_some() {
        core.emit(HostEvent::Response(RemoteResponse::from_verified(
            id, bytes, loc,
        )));
    } else {
        let message = format!("no request {request_id} from the host is in flight");
        reply_error(
            core,
            id,
            session,
            ipc::ErrorCode::UnknownRequest,
            &message,
            request_id,
            0,
        );
    }
}

/// A pattern quoted in an error message, cut short.
fn quoted(pattern: &str) -> String {
    let mut end = pattern.len().min(48);
    while !pattern.is_char_boundary(end) {
        end -= 1;
    }
    if end < pattern.len() {
        format!("{:?}...", &pattern[..end])
    } else {
        format!("{pattern:?}")
    }
}

struct SubscriptionChange {
    subscribe: bool,
    request_id: u64,
    channel_ids: Vec<u32>,
    patterns: Vec<String>,
}

impl SubscriptionChange {
    /// Copies a Subscribe or Unsubscribe body out of the frame, keeping at
    /// most one pattern more than a client may hold (enough to report "too
    /// many" without copying a flood).
    fn new(
        subscribe: bool,
        request_id: u64,
        channel_ids: Option<flatbuffers::Vector<'_, u32>>,
        patterns: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<&str>>>,
    ) -> Self {
        Self {
            subscribe,
            request_id,
            channel_ids: channel_ids.map(|v| v.iter().collect()).unwrap_or_default(),
            patterns: patterns
                .map(|v| {
                    v.iter()
                        .take(MAX_PATTERNS_PER_CLIENT + 1)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

fn on_subscription(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    change: SubscriptionChange,
) {
    let mut unknown = Vec::new();
    let mut refused = Vec::new();
    let mut too_many = false;
    for channel in change.channel_ids {
        let channel = ChannelId(channel);
        if !change.subscribe {
            session.subscriptions.remove_id(channel);
        } else if core.router.get(channel).is_some() {
            session.subscriptions.add_id(channel);
        } else {
            unknown.push(channel.0);
        }
    }
    for pattern in change.patterns {
        if !change.subscribe {
            session.subscriptions.remove_pattern(&pattern);
            continue;
        }
        match ChannelPattern::parse(&pattern) {
            Ok(p) => {
                if !session.subscriptions.add_pattern(p) {
                    too_many = true;
                    refused.push(format!(
                        "{}: at most {MAX_PATTERNS_PER_CLIENT} patterns per client",
                        quoted(&pattern)
                    ));
                }
            }
            Err(e) => refused.push(format!("{}: {e}", quoted(&pattern))),
        }
    }
    core.router.resubscribe(id, &session.subscriptions);
    let request_id = change.request_id;
    if !unknown.is_empty() || !refused.is_empty() {
        let mut problems = Vec::new();
        if !unknown.is_empty() {
            problems.push(format!("no channels with ids {unknown:?}"));
        }
        if !refused.is_empty() {
            problems.push(format!("patterns refused: {}", refused.join(", ")));
        }
        let (code, channel) = match (unknown.first(), too_many) {
            (Some(first), _) => (ipc::ErrorCode::UnknownChannel, *first),
            (None, true) => (ipc::ErrorCode::Overloaded, 0),
            (None, false) => (ipc::ErrorCode::BadFrame, 0),
        };
        let message = format!("{}; the rest were applied", problems.join("; "));
        reply_error(core, id, session, code, &message, request_id, channel);
    } else if request_id != 0 {
        queue_control(core, id, session, encode_response(request_id, 0, Ok(&[])));
    }
}

/// Compares secrets without an early exit, so timing does not reveal how
/// much of a guess was right.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(MAX_CLIENT_NAME)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("ed\nitor"), "editor");
        assert_eq!(clean_name(&"x".repeat(100)).len(), MAX_CLIENT_NAME);
    }
}
