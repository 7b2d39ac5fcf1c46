//! Readiness for links that have no file descriptor for mio to watch (the
//! in-memory pair): their other end rings, and the network thread treats
//! the ring as a readable-and-writable event for the link's token.

use std::sync::{Arc, Mutex, PoisonError};

use mio::Token;

use crate::net::handoff::Handoff;

/// The tokens rung since the network thread last looked.
pub(crate) struct Doorbell {
    rung: Mutex<Vec<Token>>,
    handoff: Arc<Handoff>,
}

impl Doorbell {
    pub(crate) fn new(handoff: Arc<Handoff>) -> Self {
        Self {
            rung: Mutex::new(Vec::new()),
            handoff,
        }
    }

    /// Takes the tokens rung so far. The network thread calls this after it
    /// has cleared `wake_pending`, so a ring never goes unseen.
    pub(crate) fn take(&self, into: &mut Vec<Token>) {
        let mut rung = self.rung.lock().unwrap_or_else(PoisonError::into_inner);
        into.append(&mut rung);
    }
}

/// One link's bell push: cheap to clone, safe to ring from any thread.
#[derive(Clone)]
pub(crate) struct Ring {
    bell: Arc<Doorbell>,
    token: Token,
}

impl Ring {
    pub(crate) fn new(bell: Arc<Doorbell>, token: Token) -> Self {
        Self { bell, token }
    }

    /// Tells the network thread to look at this link.
    pub(crate) fn ring(&self) {
        self.bell
            .rung
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.token);
        self.bell.handoff.wake();
    }
}
