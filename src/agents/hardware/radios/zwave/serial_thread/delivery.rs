//! One data frame on the wire at a time: its `ACK` wait, the backoff and
//! retransmission after a `NAK`, `CAN` or silence, the wait for its
//! response, and giving up once its caller's deadline has passed.

use std::time::Instant;

use tracing::{debug, trace, warn};

use super::super::error::{AckFailure, ZWaveError};
use super::super::frame::DataFrame;
use super::super::received::Response;
use super::messages::{OutgoingFrame, ReplyTo, bump};
use super::{SerialThread, Stop};

/// Where the frame on the wire stands, and until when.
#[derive(Debug, Clone, Copy)]
pub(super) enum DeliveryPhase {
    AwaitingAck(Instant),
    Backoff(Instant),
    AwaitingResponse(Instant),
}

/// The frame on the wire.
pub(super) struct FrameInFlight {
    frame: OutgoingFrame,
    attempts: u32,
    phase: DeliveryPhase,
    last_failure: AckFailure,
}

impl FrameInFlight {
    pub(super) fn fail(self, error: ZWaveError) {
        self.frame.fail(error);
    }
}

impl SerialThread {
    /// Puts the next queued frame on the wire if none is; frames whose
    /// caller gave up meanwhile are failed without being sent.
    pub(super) fn send_next(&mut self) -> Result<(), Stop> {
        if let Some(until) = self.quiet_until {
            if Instant::now() < until {
                return Ok(());
            }
            self.quiet_until = None;
        }
        while self.current.is_none()
            && let Some(frame) = self.queue.pop_front()
        {
            if frame.give_up.is_some_and(|t| Instant::now() >= t) {
                debug!("zwave: {} abandoned before it was sent", frame.func_id);
                let func_id = frame.func_id;
                frame.fail(ZWaveError::Abandoned {
                    func_id,
                    attempts: 0,
                });
                continue;
            }
            self.start(frame)?;
        }
        Ok(())
    }

    /// When the frame on the wire next needs attention.
    pub(super) fn delivery_deadline(&self) -> Option<Instant> {
        self.current.as_ref().map(|inflight| match inflight.phase {
            DeliveryPhase::Backoff(t) => inflight.frame.give_up.map_or(t, |g| g.min(t)),
            DeliveryPhase::AwaitingAck(t) | DeliveryPhase::AwaitingResponse(t) => t,
        })
    }

    /// Acts on a passed `ACK`, backoff or response deadline.
    pub(super) fn check_delivery(&mut self, now: Instant) -> Result<(), Stop> {
        let Some(phase) = self.current.as_ref().map(|f| f.phase) else {
            return Ok(());
        };
        match phase {
            DeliveryPhase::AwaitingAck(deadline) if now >= deadline => {
                self.attempt_failed(AckFailure::Timeout, now);
            }
            // A caller that gave up is not kept waiting for the backoff.
            DeliveryPhase::Backoff(_) if self.abandon_if_late(now) => {}
            DeliveryPhase::Backoff(until) if now >= until => self.retransmit()?,
            DeliveryPhase::AwaitingResponse(deadline) if now >= deadline => {
                if let Some(inflight) = self.current.take() {
                    let timeout = inflight.frame.response_timeout.unwrap_or_default();
                    let func_id = inflight.frame.func_id;
                    debug!("zwave: no response to {func_id} within {timeout:?}");
                    inflight.fail(ZWaveError::ResponseTimeout { func_id, timeout });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn start(&mut self, frame: OutgoingFrame) -> Result<(), Stop> {
        trace!("zwave: -> {} {:02X?}", frame.func_id, frame.bytes);
        self.write(&frame.bytes)?;
        bump(&self.status.counters.frames_sent, 1);
        self.current = Some(FrameInFlight {
            frame,
            attempts: 1,
            phase: DeliveryPhase::AwaitingAck(Instant::now() + self.options.ack_timeout),
            last_failure: AckFailure::Timeout,
        });
        Ok(())
    }

    fn retransmit(&mut self) -> Result<(), Stop> {
        let Some(mut inflight) = self.current.take() else {
            return Ok(());
        };
        inflight.attempts += 1;
        debug!(
            "zwave: retransmitting {} (attempt {}, previous: {})",
            inflight.frame.func_id, inflight.attempts, inflight.last_failure
        );
        let result = self.write(&inflight.frame.bytes);
        bump(&self.status.counters.retransmissions, 1);
        inflight.phase = DeliveryPhase::AwaitingAck(Instant::now() + self.options.ack_timeout);
        self.current = Some(inflight);
        result
    }

    /// Fails the frame in flight if its caller's deadline has passed;
    /// returns whether it did.
    fn abandon_if_late(&mut self, now: Instant) -> bool {
        let late = self
            .current
            .as_ref()
            .and_then(|f| f.frame.give_up)
            .is_some_and(|g| now >= g);
        if late && let Some(inflight) = self.current.take() {
            debug!(
                "zwave: {} abandoned after {} attempt(s): its deadline passed",
                inflight.frame.func_id, inflight.attempts
            );
            bump(&self.status.counters.undelivered, 1);
            let (func_id, attempts) = (inflight.frame.func_id, inflight.attempts);
            inflight.fail(ZWaveError::Abandoned { func_id, attempts });
        }
        late
    }

    fn attempt_failed(&mut self, failure: AckFailure, now: Instant) {
        if self.abandon_if_late(now) {
            return;
        }
        let Some(mut inflight) = self.current.take() else {
            return;
        };
        inflight.last_failure = failure;
        let retransmissions_done = inflight.attempts - 1;
        if retransmissions_done >= self.options.max_retransmissions {
            warn!(
                "zwave: {} undelivered after {} attempt(s): {failure}",
                inflight.frame.func_id, inflight.attempts
            );
            bump(&self.status.counters.undelivered, 1);
            let error = ZWaveError::NoAck {
                func_id: inflight.frame.func_id,
                attempts: inflight.attempts,
                last: failure,
            };
            inflight.fail(error);
            return;
        }
        let delay = self.options.retransmit_delay_for(retransmissions_done);
        debug!(
            "zwave: {} attempt {} failed ({failure}); retrying in {delay:?}",
            inflight.frame.func_id, inflight.attempts
        );
        inflight.phase = DeliveryPhase::Backoff(now + delay);
        self.current = Some(inflight);
    }

    pub(super) fn on_ack(&mut self) {
        let Some(mut inflight) = self.current.take() else {
            trace!("zwave: stray ACK");
            return;
        };
        if !matches!(inflight.phase, DeliveryPhase::AwaitingAck(_)) {
            trace!("zwave: stray ACK");
            self.current = Some(inflight);
            return;
        }
        match inflight.frame.response_timeout {
            Some(timeout) => {
                inflight.phase = DeliveryPhase::AwaitingResponse(Instant::now() + timeout);
                self.current = Some(inflight);
            }
            None => {
                if let ReplyTo::Ack(tx) = inflight.frame.reply {
                    let _ = tx.send(Ok(()));
                }
            }
        }
    }

    pub(super) fn on_refused(&mut self, failure: AckFailure) {
        match self.current.as_ref().map(|f| f.phase) {
            Some(DeliveryPhase::AwaitingAck(_)) => self.attempt_failed(failure, Instant::now()),
            _ => trace!("zwave: stray {failure:?}"),
        }
    }

    pub(super) fn on_response(&mut self, frame: DataFrame) {
        let matches = self.current.as_ref().is_some_and(|inflight| {
            inflight.frame.func_id == frame.func_id()
                && matches!(inflight.frame.reply, ReplyTo::Response(_))
        });
        if !matches {
            debug!("zwave: ignoring unexpected response to {}", frame.func_id());
            return;
        }
        // A response while still waiting for the ACK (or backing off after a
        // missed one) means the ACK was lost but the request arrived.
        if let Some(inflight) = self.current.take()
            && let ReplyTo::Response(tx) = inflight.frame.reply
        {
            let _ = tx.send(Ok(Response {
                func_id: frame.func_id(),
                payload: frame.into_payload(),
            }));
        }
    }
}
