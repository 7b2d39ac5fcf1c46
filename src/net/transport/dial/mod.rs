//! Outbound connections: the host dials the URLs in `HostConfig::dial` and
//! keeps each one connected. Only who opens the TCP connection changes: the
//! host does the WebSocket client handshake, then the dialled peer speaks
//! as a client (sends `Hello`, with the token when the host requires one)
//! and its session is like any accepted one, with the same handshake
//! timeout, limits and queues.
//!
//! Each URL is a [`Target`] that waits, resolves (names only, on a helper
//! thread so the network thread never blocks on a lookup), connects
//! ([`DialOpening`]), and is open; when an attempt fails or the
//! connection ends, it waits again with [`backoff`]. Every change is a
//! [`HostEvent::Dial`].

mod backoff;
mod opening;
mod resolve;
mod url;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) use opening::DialOpening;
pub(crate) use url::DialUrl;

use super::Opening;
use crate::net::config::{DialBackoff, HostConfig, NetConfig};
use crate::net::core::Core;
use crate::net::event::{DialState, DialStatus, HostEvent};
use crate::net::timers::Timer;
use crate::protocol::ClientId;
use resolve::Lookup;

/// Where one dial URL is.
enum TargetState {
    /// The next attempt is due at this instant (its `Timer::Dial` is armed).
    Waiting(Instant),
    /// A name lookup runs on a helper thread.
    Resolving(Lookup),
    /// An attempt or a session holds this client id.
    Connected(ClientId),
    /// The host is shutting down.
    Stopped,
}

struct Target {
    url: DialUrl,
    state: TargetState,
    failures: u32,
}

/// Everything the network thread knows about its outbound connections.
pub(crate) struct Dialer {
    targets: Vec<Target>,
    policy: DialBackoff,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// The dial URLs of a config, checked, with the TLS roots loaded: made
/// before the network thread starts so a bad config fails `Host::start`.
pub(crate) struct DialPlan {
    urls: Vec<DialUrl>,
    #[cfg(feature = "tls")]
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl DialPlan {
    pub(crate) fn new(config: &HostConfig) -> Result<Self, String> {
        let urls = config
            .dial
            .iter()
            .map(|u| DialUrl::parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        #[cfg(feature = "tls")]
        let tls = if urls.iter().any(|u| u.tls) {
            let tls = match &config.dial_tls {
                Some(tls) => tls.clone(),
                None => crate::net::config::DialTlsConfig::system_roots()
                    .map_err(|e| format!("dialling wss:// needs trusted roots: {e}"))?,
            };
            Some(tls.0)
        } else {
            None
        };
        Ok(Self {
            urls,
            #[cfg(feature = "tls")]
            tls,
        })
    }
}

/// What a due timer or a finished lookup leads to.
pub(crate) enum Step {
    /// Register this attempt as a connection and tell the dialer its id.
    Attempt(usize, Box<dyn Opening>),
    /// Nothing for the loop to do.
    Nothing,
}

impl Dialer {
    /// Arms a first attempt for every URL.
    pub(crate) fn new(plan: DialPlan, policy: DialBackoff, core: &mut Core) -> Self {
        let now = Instant::now();
        let targets = plan
            .urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| {
                core.timers.add(now, Timer::Dial(i));
                Target {
                    url,
                    state: TargetState::Waiting(now),
                    failures: 0,
                }
            })
            .collect();
        Self {
            targets,
            policy,
            #[cfg(feature = "tls")]
            tls: plan.tls,
        }
    }

    /// Target `index`'s timer fired. `room`: the host may take another
    /// connection.
    pub(crate) fn due(&mut self, index: usize, at: Instant, room: bool, core: &mut Core) -> Step {
        let Some(target) = self.targets.get_mut(index) else {
            return Step::Nothing;
        };
        if !matches!(target.state, TargetState::Waiting(due) if due == at) {
            return Step::Nothing;
        }
        if core.stalled() {
            // The game is not draining its events; a new connection could
            // not be served, and its status events would only pile up.
            let delay = backoff::delay(&self.policy, target.failures.max(1));
            let next = Instant::now() + delay;
            target.state = TargetState::Waiting(next);
            core.timers.add(next, Timer::Dial(index));
            return Step::Nothing;
        }
        if !room {
            let reason = format!(
                "host has reached max_clients ({})",
                core.config.host.limits.max_clients
            );
            self.fail(index, reason, core);
            return Step::Nothing;
        }
        let attempt = target.failures + 1;
        emit(core, &target.url, DialState::Connecting { attempt });
        match target.url.literal_ips() {
            Some(ips) => {
                let addrs: Vec<SocketAddr> = ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, target.url.port))
                    .collect();
                match pick(&addrs, target.failures) {
                    Some(addr) => self.open(index, addr, core),
                    None => {
                        self.fail(index, "no address to dial".to_owned(), core);
                        Step::Nothing
                    }
                }
            }
            None => {
                match Lookup::start(&target.url, Arc::clone(&core.handoff)) {
                    Ok(lookup) => target.state = TargetState::Resolving(lookup),
                    Err(reason) => self.fail(index, reason, core),
                }
                Step::Nothing
            }
        }
    }

    /// Attempts whose name lookups have finished.
    pub(crate) fn resolved(&mut self, core: &mut Core) -> Vec<Step> {
        let mut steps = Vec::new();
        for index in 0..self.targets.len() {
            let TargetState::Resolving(lookup) = &self.targets[index].state else {
                continue;
            };
            let Some(result) = lookup.result() else {
                continue;
            };
            match result {
                Ok(addrs) => match pick(&addrs, self.targets[index].failures) {
                    Some(addr) => steps.push(self.open(index, addr, core)),
                    None => self.fail(index, "no address to dial".to_owned(), core),
                },
                Err(reason) => self.fail(index, reason, core),
            }
        }
        steps
    }

    fn open(&mut self, index: usize, addr: SocketAddr, core: &mut Core) -> Step {
        let url = self.targets[index].url.clone();
        let config: Arc<NetConfig> = Arc::clone(&core.config);
        #[cfg(feature = "tls")]
        let opening = DialOpening::connect(url, addr, config, self.tls.clone());
        #[cfg(not(feature = "tls"))]
        let opening = DialOpening::connect(url, addr, config);
        match opening {
            Ok(opening) => Step::Attempt(index, Box::new(opening)),
            Err(reason) => {
                self.fail(index, reason, core);
                Step::Nothing
            }
        }
    }

    /// The attempt for `index` is a connection under `id` now.
    pub(crate) fn attached(&mut self, index: usize, id: ClientId) {
        if let Some(target) = self.targets.get_mut(index) {
            target.state = TargetState::Connected(id);
        }
    }

    /// The attempt could not be registered with the loop.
    pub(crate) fn not_attached(&mut self, index: usize, reason: String, core: &mut Core) {
        self.fail(index, reason, core);
    }

    fn owner(&self, id: ClientId) -> Option<usize> {
        self.targets
            .iter()
            .position(|t| matches!(t.state, TargetState::Connected(held) if held == id))
    }

    /// Connection `id` finished its WebSocket handshake; if it is one of
    /// ours, the game hears of it.
    pub(crate) fn opened(&mut self, id: ClientId, core: &mut Core) {
        if let Some(index) = self.owner(id) {
            emit(
                core,
                &self.targets[index].url,
                DialState::Open { client: id },
            );
        }
    }

    /// Connection `id` is gone. `healthy`: it was welcomed and stayed up
    /// long enough to reset the backoff.
    pub(crate) fn removed(&mut self, id: ClientId, reason: &str, healthy: bool, core: &mut Core) {
        let Some(index) = self.owner(id) else {
            return;
        };
        if healthy {
            self.targets[index].failures = 0;
        }
        self.fail(index, reason.to_owned(), core);
    }

    /// How long a welcomed session must last to count as healthy.
    pub(crate) fn healthy_after(&self) -> Duration {
        self.policy.healthy
    }

    /// Counts a failure and arms the next attempt.
    fn fail(&mut self, index: usize, reason: String, core: &mut Core) {
        let target = &mut self.targets[index];
        if matches!(target.state, TargetState::Stopped) {
            return;
        }
        target.failures = target.failures.saturating_add(1);
        let retry_in = backoff::delay(&self.policy, target.failures);
        let next = Instant::now() + retry_in;
        target.state = TargetState::Waiting(next);
        core.timers.add(next, Timer::Dial(index));
        tracing::info!(
            "dial {}: {reason}; retrying in {} ms",
            target.url.text,
            retry_in.as_millis()
        );
        emit(
            core,
            &target.url,
            DialState::Retrying {
                reason,
                retry_in,
                failures: target.failures,
            },
        );
    }

    /// No more attempts (the host is shutting down).
    pub(crate) fn stop(&mut self) {
        for target in &mut self.targets {
            target.state = TargetState::Stopped;
        }
    }
}

/// Successive failures try the next address.
fn pick(addrs: &[SocketAddr], failures: u32) -> Option<SocketAddr> {
    let count = addrs.len().max(1);
    addrs.get(failures as usize % count).copied()
}

fn emit(core: &mut Core, url: &DialUrl, state: DialState) {
    core.emit(HostEvent::Dial(DialStatus {
        url: url.text.clone(),
        state,
    }));
}
