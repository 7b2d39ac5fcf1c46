//! Everything the host sends a client goes through here: queueing with the
//! client's delivery classes, the error replies, and closing.

use std::time::Instant;

use bytes::Bytes;

use super::{Class, Session, SessionState};
use crate::net::core::Core;
use crate::net::timers::Timer;
use crate::net::transport::Payload;
use crate::protocol::{ClientId, CloseCode, encode_error, ipc};

/// Lists a session for writing at the end of this loop turn.
pub(crate) fn schedule_write(core: &mut Core, id: ClientId, session: &mut Session) {
    if !session.listed_for_write {
        session.listed_for_write = true;
        core.write_list.push(id);
    }
}

/// Queues a control frame (never dropped; an overflow closes the client).
pub(crate) fn queue_control(core: &mut Core, id: ClientId, session: &mut Session, frame: Bytes) {
    queue(core, id, session, Class::Control, frame);
}

/// Queues a frame; a client whose queue overflows is closed with 4000.
pub(crate) fn queue(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    class: Class,
    frame: Bytes,
) {
    queue_payload(core, id, session, class, Payload::Binary(frame));
}

/// Queues any payload (echo mode's text replies too).
pub(crate) fn queue_payload(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    class: Class,
    message: Payload,
) {
    match session.queue_message(class, message) {
        Ok(()) => schedule_write(core, id, session),
        Err(overflow) => {
            let reason = format!(
                "slow consumer: outbound queue full ({} frames, {} bytes)",
                overflow.messages, overflow.bytes
            );
            tracing::warn!("{id}: {reason}");
            close_session(core, id, session, CloseCode::SlowConsumer, &reason, false);
        }
    }
}

/// Sends an `Error` frame.
pub(crate) fn reply_error(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    code: ipc::ErrorCode,
    message: &str,
    request_id: u64,
    channel: u32,
) {
    tracing::debug!("{id}: refused ({:?}): {message}", code);
    queue_control(
        core,
        id,
        session,
        encode_error(code, message, request_id, channel),
    );
}

/// Starts closing a session: no more routing to it, a grace timer for the
/// peer's close reply.
pub(crate) fn close_session(
    core: &mut Core,
    id: ClientId,
    session: &mut Session,
    code: CloseCode,
    reason: &str,
    send_queued: bool,
) {
    if session.state == SessionState::Closing {
        return;
    }
    session.begin_close(code, reason, send_queued);
    core.router.drop_client(id);
    let grace = core.config.host.limits.close_grace;
    core.timers
        .add(Instant::now() + grace, Timer::CloseGrace(id));
    schedule_write(core, id, session);
}
