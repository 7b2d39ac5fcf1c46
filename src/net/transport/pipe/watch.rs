//! What the supervisor of a plugin process learns from its link without
//! touching the network thread's state: whether the plugin registered, when
//! it last answered a ping, whether the link is gone. The supervisor asks
//! for pings here too; the link sends them on the network thread.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::net::transport::Ring;
use crate::protocol::ClientId;

#[derive(Default)]
struct State {
    client: Option<ClientId>,
    ring: Option<Ring>,
    ping_wanted: Option<u64>,
    pong: Option<(u64, Instant)>,
    ended: bool,
    closed_by_host: Option<(u16, String)>,
}

/// Shared between one [`PipeLink`](super::PipeLink) and whoever supervises
/// its process.
#[derive(Default)]
pub(crate) struct PipeWatch {
    state: Mutex<State>,
}

impl PipeWatch {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is one field assignment: nothing half done to recover.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client id the plugin got in `Welcome`, once it registered.
    pub(crate) fn client(&self) -> Option<ClientId> {
        self.lock().client
    }

    /// The link was dropped (the session ended).
    pub(crate) fn ended(&self) -> bool {
        self.lock().ended
    }

    /// The close the host sent, if it closed the link: code and reason.
    pub(crate) fn closed_by_host(&self) -> Option<(u16, String)> {
        self.lock().closed_by_host.clone()
    }

    /// Asks the link to send a ping with `nonce` now.
    pub(crate) fn ping(&self, nonce: u64) {
        let mut state = self.lock();
        state.ping_wanted = Some(nonce);
        let ring = state.ring.clone();
        drop(state);
        if let Some(ring) = ring {
            ring.ring();
        }
    }

    /// The latest pong: its nonce and when it arrived.
    pub(crate) fn last_pong(&self) -> Option<(u64, Instant)> {
        self.lock().pong
    }

    pub(super) fn set_ring(&self, ring: Ring) {
        self.lock().ring = Some(ring);
    }

    pub(super) fn take_ping(&self) -> Option<u64> {
        self.lock().ping_wanted.take()
    }

    pub(super) fn pong(&self, nonce: u64) {
        self.lock().pong = Some((nonce, Instant::now()));
    }

    pub(super) fn registered(&self, client: ClientId) {
        self.lock().client = Some(client);
    }

    pub(super) fn host_closed(&self, code: u16, reason: &str) {
        self.lock().closed_by_host = Some((code, reason.to_owned()));
    }

    pub(super) fn end(&self) {
        let mut state = self.lock();
        state.ended = true;
        state.ring = None;
    }
}
