//! Name lookups for dial URLs, off the network thread: `getaddrinfo`
//! blocks, sometimes for seconds, and the network thread serves everyone.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError};

use super::url::DialUrl;
use crate::net::handoff::Handoff;

/// One lookup in flight; at most one per dial URL.
pub(crate) struct Lookup {
    answer: Receiver<Result<Vec<SocketAddr>, String>>,
}

impl Lookup {
    /// Starts looking up `url`'s host on a helper thread that wakes the
    /// network thread when it has the answer.
    pub(crate) fn start(url: &DialUrl, handoff: Arc<Handoff>) -> Result<Self, String> {
        let (tx, answer) = crossbeam_channel::bounded(1);
        let (host, port) = (url.host.clone(), url.port);
        std::thread::Builder::new()
            .name("switchboard-resolve".to_owned())
            .spawn(move || {
                let result = match (host.as_str(), port).to_socket_addrs() {
                    Ok(addrs) => {
                        let addrs: Vec<SocketAddr> = addrs.collect();
                        if addrs.is_empty() {
                            Err(format!("{host} has no address"))
                        } else {
                            Ok(addrs)
                        }
                    }
                    Err(e) => Err(format!("cannot resolve {host}: {e}")),
                };
                // The host may have stopped meanwhile; then nobody asks.
                let _ = tx.send(result);
                handoff.wake();
            })
            .map_err(|e| format!("cannot start a name lookup: {e}"))?;
        Ok(Self { answer })
    }

    /// The answer, once it is there.
    pub(crate) fn result(&self) -> Option<Result<Vec<SocketAddr>, String>> {
        match self.answer.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the name lookup stopped".to_owned())),
        }
    }
}
