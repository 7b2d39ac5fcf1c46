//! What happens when a deadline passes: a handshake that took too long, a
//! request nobody answered, a close the peer did not finish.

use std::time::Instant;

use super::connections::{Connections, Endpoint, tell_game_gone};
use super::core::Core;
use super::event::{HostEvent, RequestFailure};
use super::session::SessionState;
use super::session::outbound::{close_session, queue_control, reply_error};
use super::timers::Timer;
use crate::protocol::{ClientId, CloseCode, RequestId, encode_error, ipc};

/// What the loop must do after a timer fired.
pub(crate) enum Verdict {
    Keep,
    Remove(ClientId, String),
}

pub(crate) fn fire(core: &mut Core, conns: &mut Connections, timer: Timer, at: Instant) -> Verdict {
    match timer {
        Timer::Handshake(id) => handshake_expired(core, conns, id),
        Timer::CloseGrace(id) => close_grace_expired(core, conns, id),
        Timer::InboundRequest(id, request_id) => {
            inbound_request_expired(core, conns, id, request_id, at);
            Verdict::Keep
        }
        // The loop's dialer handles these before calling here.
        Timer::Dial(_) => Verdict::Keep,
        // The loop handles its finders' turns itself.
        Timer::Look(_) => Verdict::Keep,
        Timer::OutboundRequest(id, request_id) => {
            let Some(session) = conns.session_mut(id) else {
                return Verdict::Keep;
            };
            if session
                .pending_out
                .get(&request_id)
                .is_some_and(|p| p.deadline == at)
            {
                session.pending_out.remove(&request_id);
                core.emit(HostEvent::RequestFailed {
                    client: id,
                    request_id: RequestId(request_id),
                    reason: RequestFailure::Timeout,
                });
            }
            Verdict::Keep
        }
    }
}

fn handshake_expired(core: &mut Core, conns: &mut Connections, id: ClientId) -> Verdict {
    let Some(conn) = conns.get_mut(id) else {
        return Verdict::Keep;
    };
    let timeout = core.config.host.limits.handshake_timeout;
    match &mut conn.endpoint {
        Endpoint::Opening(_) | Endpoint::Switching => {
            tracing::debug!("{id}: not open within {timeout:?}");
            Verdict::Remove(
                id,
                "connection not open in time (HTTP request, or for a dialled URL the connect and upgrade)"
                    .to_owned(),
            )
        }
        Endpoint::Session(session) if session.state == SessionState::AwaitingHello => {
            let reason = format!("no Hello within {} ms", timeout.as_millis());
            reply_error(
                core,
                id,
                session,
                ipc::ErrorCode::HandshakeRequired,
                &reason,
                0,
                0,
            );
            close_session(
                core,
                id,
                session,
                CloseCode::HandshakeTimeout,
                &reason,
                true,
            );
            Verdict::Keep
        }
        Endpoint::Session(_) => Verdict::Keep,
    }
}

fn inbound_request_expired(
    core: &mut Core,
    conns: &mut Connections,
    id: ClientId,
    request_id: u64,
    at: Instant,
) {
    let Some(session) = conns.session_mut(id) else {
        return;
    };
    let Some(pending) = session.pending_in.get(&request_id).copied() else {
        return;
    };
    if pending.deadline != at {
        return;
    }
    session.pending_in.remove(&request_id);
    let timeout = core.config.host.limits.request_timeout;
    let message = format!(
        "no agent answered request {request_id} on channel {} within {} ms",
        pending.channel,
        timeout.as_millis()
    );
    let frame = encode_error(
        ipc::ErrorCode::Timeout,
        &message,
        request_id,
        pending.channel,
    );
    queue_control(core, id, session, frame);
}

/// A closing session's grace period is over and the peer has not answered
/// our close. The game is told the client is gone now, but the connection
/// is let go only after `close_linger`, so a peer that stopped reading (and
/// may still be writing) can still learn why it was closed:
/// - our close frame is stuck behind data the peer has not read: it stays
///   queued, and goes out if the peer reads again;
/// - our close frame is out: we end our direction (TCP: FIN) and keep
///   reading and discarding, because closing a socket with unread input
///   resets it, and a reset destroys what the peer has not read yet.
fn close_grace_expired(core: &mut Core, conns: &mut Connections, id: ClientId) -> Verdict {
    let Some(session) = conns.session_mut(id) else {
        return Verdict::Keep;
    };
    if session.state != SessionState::Closing {
        return Verdict::Keep;
    }
    let reason = session.close_reason.clone().unwrap_or_default();
    if session.lingering {
        return Verdict::Remove(id, format!("{reason}; peer did not finish closing"));
    }
    session.lingering = true;
    let linger = core.config.host.limits.close_linger;
    core.timers
        .add(Instant::now() + linger, Timer::CloseGrace(id));
    let told = if session.write_blocked() {
        format!("{reason}; peer is not reading")
    } else {
        session.shutdown_write();
        format!("{reason}; peer did not finish closing")
    };
    let welcomed = std::mem::replace(&mut session.welcomed, false);
    let pending: Vec<u64> = session.pending_out.drain().map(|(k, _)| k).collect();
    if welcomed {
        tell_game_gone(core, id, &told, pending);
    }
    Verdict::Keep
}

/// Drops timers whose reason is gone, once the heap has doubled.
pub(crate) fn compact(core: &mut Core, conns: &Connections) {
    core.timers.compact(|at, timer| match timer {
        Timer::Handshake(id) | Timer::CloseGrace(id) => conns.contains(*id),
        // At most one per outbound connection is ever armed.
        Timer::Dial(_) => true,
        Timer::InboundRequest(id, request) => conns
            .session(*id)
            .and_then(|s| s.pending_in.get(request).map(|p| p.deadline == at))
            .unwrap_or(false),
        Timer::OutboundRequest(id, request) => conns
            .session(*id)
            .and_then(|s| s.pending_out.get(request).map(|p| p.deadline == at))
            .unwrap_or(false),
        Timer::Look(_) => true,
    });
}
