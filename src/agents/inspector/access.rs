//! Who may change the world. Reading is open to every client the host let
//! in (its token decides that); the channels that change the world are
//! off until the game turns them on, then open to the clients its setting
//! and its own rule allow. Every refusal says which of these refused.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use bevy_ecs::prelude::*;

use super::error::InspectorError;
use crate::{ClientId, ClientInfo, Peer};

/// Which clients may use the channels that change the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Writes {
    /// Nobody (the default): the inspector only reads.
    #[default]
    Off,
    /// Clients on this machine: a loopback address, or the in-memory
    /// transport.
    Local,
    /// Every client the host admitted. With a host token that means every
    /// holder of the token; without one, everyone who can reach the port.
    Any,
}

/// The game's own rule for writes, asked after [`Writes`] allowed one:
/// the client, the channel (`world/insert`, ...), and `Err(why)` to refuse.
pub type WriteRule = Arc<dyn Fn(&ClientInfo, &str) -> Result<(), String> + Send + Sync>;

/// The write settings and the clients the inspector has seen connect.
#[derive(Resource, Default)]
pub(super) struct Access {
    pub(super) writes: Writes,
    pub(super) rule: Option<WriteRule>,
    pub(super) clients: HashMap<ClientId, ClientInfo>,
    /// Largest answer or watch message sent; larger ones are refused with
    /// `too_large`, so one request cannot fill a client's queue.
    pub(super) max_answer_bytes: usize,
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("writes", &self.writes)
            .field("rule", &self.rule.is_some())
            .field("clients", &self.clients.len())
            .finish()
    }
}

impl Access {
    /// Whether `client` may use the write channel `channel`.
    pub(super) fn check(&self, client: ClientId, channel: &str) -> Result<(), InspectorError> {
        if self.writes == Writes::Off {
            return Err(InspectorError::new(
                "writes_disabled",
                format!(
                    "{channel} changes the world, and this game has not enabled inspector writes \
                     (InspectorPlugin::writes)"
                ),
            ));
        }
        let info = self.clients.get(&client).ok_or_else(|| {
            InspectorError::new(
                "forbidden",
                format!("{channel} refused: {client} is not known to the inspector"),
            )
        })?;
        if self.writes == Writes::Local && !is_local(&info.peer) {
            return Err(InspectorError::new(
                "forbidden",
                format!(
                    "{channel} is allowed from this machine only, and {client} is connected from {}",
                    info.peer
                ),
            ));
        }
        if let Some(rule) = &self.rule {
            rule(info, channel).map_err(|why| {
                InspectorError::new(
                    "forbidden",
                    format!(
                        "{channel} refused for {client} ({}) by the game: {why}",
                        info.name
                    ),
                )
            })?;
        }
        Ok(())
    }
}

fn is_local(peer: &Peer) -> bool {
    match peer {
        Peer::Tcp(addr) => addr.ip().is_loopback(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(writes: Writes, peer: Peer) -> Access {
        let mut access = Access {
            writes,
            ..Default::default()
        };
        let info = ClientInfo {
            id: ClientId(3),
            name: "editor".into(),
            peer,
            protocol_version: 1,
        };
        access.clients.insert(ClientId(3), info);
        access
    }

    #[test]
    fn local_writes_refuse_other_machines_and_say_from_where() {
        let remote = Peer::Tcp("192.0.2.7:5000".parse().unwrap());
        let e = access(Writes::Local, remote)
            .check(ClientId(3), "world/spawn")
            .unwrap_err();
        assert_eq!(e.code, "forbidden");
        assert!(e.message.contains("192.0.2.7:5000"), "{}", e.message);
        assert!(
            access(Writes::Any, remote)
                .check(ClientId(3), "world/spawn")
                .is_ok()
        );
        let local = Peer::Tcp("127.0.0.1:5000".parse().unwrap());
        assert!(
            access(Writes::Local, local)
                .check(ClientId(3), "world/spawn")
                .is_ok()
        );
        assert!(
            access(Writes::Local, Peer::Memory)
                .check(ClientId(3), "world/spawn")
                .is_ok()
        );
        let e = access(Writes::Local, local)
            .check(ClientId(9), "world/spawn")
            .unwrap_err();
        assert!(e.message.contains("client 9"), "{}", e.message);
    }
}
