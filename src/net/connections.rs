//! Every connection the network thread holds, by client id: still opening
//! (a transport's own handshake) or a session, and how one is let go.

use mio::Registry;

use super::core::Core;
use super::event::{HostEvent, RequestFailure};
use super::id_hash::IdMap;
use super::session::Session;
use super::transport::Opening;
use crate::protocol::{ClientId, RequestId};

pub(crate) enum Endpoint {
    /// The transport's own handshake (an HTTP upgrade, say).
    Opening(Box<dyn Opening>),
    Session(Box<Session>),
    /// Only while an opening turns into a session.
    Switching,
}

pub(crate) struct Conn {
    pub endpoint: Endpoint,
    /// A readable report arrived and the link has not yet said WouldBlock.
    pub want_read: bool,
    /// Listed in the loop's read list.
    pub listed_for_read: bool,
}

#[derive(Default)]
pub(crate) struct Connections {
    map: IdMap<ClientId, Conn>,
}

impl Connections {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn contains(&self, id: ClientId) -> bool {
        self.map.contains_key(&id)
    }

    pub(crate) fn insert(&mut self, id: ClientId, endpoint: Endpoint) {
        self.map.insert(
            id,
            Conn {
                endpoint,
                want_read: true,
                listed_for_read: false,
            },
        );
    }

    pub(crate) fn get_mut(&mut self, id: ClientId) -> Option<&mut Conn> {
        self.map.get_mut(&id)
    }

    pub(crate) fn session(&self, id: ClientId) -> Option<&Session> {
        match &self.map.get(&id)?.endpoint {
            Endpoint::Session(session) => Some(session),
            Endpoint::Opening(_) | Endpoint::Switching => None,
        }
    }

    pub(crate) fn session_mut(&mut self, id: ClientId) -> Option<&mut Session> {
        match &mut self.map.get_mut(&id)?.endpoint {
            Endpoint::Session(session) => Some(session),
            Endpoint::Opening(_) | Endpoint::Switching => None,
        }
    }

    pub(crate) fn ids(&self) -> Vec<ClientId> {
        self.map.keys().copied().collect()
    }

    /// Every session that finished its handshake and is not closing.
    pub(crate) fn open_clients(&self) -> Vec<ClientId> {
        self.sessions()
            .filter(|(_, s)| s.is_open())
            .map(|(id, _)| id)
            .collect()
    }

    pub(crate) fn sessions(&self) -> impl Iterator<Item = (ClientId, &Session)> {
        self.map.iter().filter_map(|(id, c)| match &c.endpoint {
            Endpoint::Session(s) => Some((*id, &**s)),
            _ => None,
        })
    }

    pub(crate) fn sessions_mut(&mut self) -> impl Iterator<Item = (ClientId, &mut Session)> {
        self.map
            .iter_mut()
            .filter_map(|(id, c)| match &mut c.endpoint {
                Endpoint::Session(s) => Some((*id, &mut **s)),
                _ => None,
            })
    }

    /// Forgets a connection; tells the game if it knew the client.
    pub(crate) fn remove(
        &mut self,
        id: ClientId,
        reason: &str,
        registry: &Registry,
        core: &mut Core,
    ) {
        let Some(conn) = self.map.remove(&id) else {
            return;
        };
        core.router.drop_client(id);
        let mut session = match conn.endpoint {
            Endpoint::Session(session) => session,
            Endpoint::Opening(mut opening) => {
                opening.deregister(registry);
                tracing::debug!("{id} ({}) gone before upgrade: {reason}", opening.peer());
                return;
            }
            Endpoint::Switching => return,
        };
        session.link_mut().deregister(registry);
        if !session.welcomed {
            tracing::debug!("{id} ({}) gone before Hello: {reason}", session.peer);
            return;
        }
        let pending: Vec<u64> = session.pending_out.keys().copied().collect();
        tell_game_gone(core, id, reason, pending);
    }
}

/// Fails the game's requests to `id` and reports it disconnected.
pub(crate) fn tell_game_gone(core: &mut Core, id: ClientId, reason: &str, mut failed: Vec<u64>) {
    tracing::info!("{id} disconnected: {reason}");
    failed.sort_unstable();
    for request_id in failed {
        core.emit(HostEvent::RequestFailed {
            client: id,
            request_id: RequestId(request_id),
            reason: RequestFailure::ClientGone,
        });
    }
    core.emit(HostEvent::Disconnected {
        client: id,
        reason: reason.to_owned(),
    });
}
