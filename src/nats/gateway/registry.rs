//! The instances a gateway knows, and the mirror channels it advertised
//! for them on its own host.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::nats::announce::{Announcement, BridgeStats};
use crate::{ChannelId, ChannelSpec, Host};

struct Mirror {
    id: ChannelId,
    subject: Option<String>,
    rpc_subject: Option<String>,
    encoding: String,
    delivery: String,
}

struct Instance {
    announcement: Announcement,
    last_seen: Instant,
    /// By the game's channel name.
    mirrors: HashMap<String, Mirror>,
}

/// What `fleet/instances` says about one instance.
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    name: &'a str,
    version: &'a str,
    session: &'a str,
    channels: Vec<&'a str>,
    status: &'a BridgeStats,
}

#[derive(Default)]
pub(super) struct Registry {
    instances: BTreeMap<String, Instance>,
    by_subject: HashMap<String, ChannelId>,
    /// Mirror channel to (instance, request subject).
    by_channel: HashMap<ChannelId, Option<String>>,
}

impl Registry {
    /// Takes an announcement in; returns whether `fleet/instances` changed.
    pub(super) fn announce(&mut self, host: &Host, a: Announcement, max_instances: usize) -> bool {
        if !a.online {
            return self.remove(host, &a.id);
        }
        if !self.instances.contains_key(&a.id) && self.instances.len() >= max_instances {
            tracing::warn!(
                "fleet gateway: instance {} ignored, {max_instances} already known",
                a.id
            );
            return false;
        }
        let instance = self
            .instances
            .entry(a.id.clone())
            .or_insert_with(|| Instance {
                announcement: a.clone(),
                last_seen: Instant::now(),
                mirrors: HashMap::new(),
            });
        instance.last_seen = Instant::now();
        let listed_before = serde_json::to_value(listed(&instance.announcement)).ok();
        // Channels gone, or changed in a way a mirror cannot follow.
        let keep = |m: &Mirror, c: &crate::nats::BridgedChannel| {
            m.subject == c.subject
                && m.rpc_subject == c.rpc_subject
                && m.encoding == c.encoding
                && m.delivery == c.delivery
        };
        let stale: Vec<String> = instance
            .mirrors
            .iter()
            .filter(|(name, m)| !a.channels.iter().any(|c| &c.name == *name && keep(m, c)))
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            if let Some(m) = instance.mirrors.remove(&name) {
                forget(host, &mut self.by_subject, &mut self.by_channel, m);
            }
        }
        for c in &a.channels {
            if instance.mirrors.contains_key(&c.name) {
                continue;
            }
            let mut spec = ChannelSpec::new(format!("fleet/{}/{}", a.id, c.name))
                .encoding(c.encoding.clone())
                .description(format!("{} on instance {} (through NATS)", c.name, a.name));
            spec = if c.delivery == "latest" {
                spec.latest()
            } else {
                spec.reliable()
            };
            match host.advertise(spec) {
                Ok(id) => {
                    if let Some(subject) = &c.subject {
                        self.by_subject.insert(subject.clone(), id);
                    }
                    self.by_channel.insert(id, c.rpc_subject.clone());
                    instance.mirrors.insert(
                        c.name.clone(),
                        Mirror {
                            id,
                            subject: c.subject.clone(),
                            rpc_subject: c.rpc_subject.clone(),
                            encoding: c.encoding.clone(),
                            delivery: c.delivery.clone(),
                        },
                    );
                }
                Err(e) => tracing::warn!("fleet gateway: {} not mirrored: {e}", c.name),
            }
        }
        instance.announcement = a;
        listed_before != serde_json::to_value(listed(&instance.announcement)).ok()
    }

    /// Forgets an instance and its mirrors; returns whether it was known.
    pub(super) fn remove(&mut self, host: &Host, id: &str) -> bool {
        let Some(instance) = self.instances.remove(id) else {
            return false;
        };
        tracing::info!("fleet gateway: instance {id} gone");
        for (_, m) in instance.mirrors {
            forget(host, &mut self.by_subject, &mut self.by_channel, m);
        }
        true
    }

    /// Forgets instances silent for `missed` heartbeats; returns whether any.
    pub(super) fn expire(&mut self, host: &Host, missed: u32) -> bool {
        let now = Instant::now();
        let silent: Vec<String> = self
            .instances
            .iter()
            .filter(|(_, i)| {
                let beat = Duration::from_millis(i.announcement.heartbeat_ms.max(1));
                now.duration_since(i.last_seen) > beat * missed
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut any = false;
        for id in silent {
            any |= self.remove(host, &id);
        }
        any
    }

    pub(super) fn channel_for_subject(&self, subject: &str) -> Option<ChannelId> {
        self.by_subject.get(subject).copied()
    }

    /// The request subject behind a mirror channel: `None` for a channel
    /// the gateway does not know, `Some(None)` for one not served.
    pub(super) fn rpc_subject(&self, channel: ChannelId) -> Option<Option<&str>> {
        self.by_channel.get(&channel).map(|s| s.as_deref())
    }

    /// The `fleet/instances` value.
    pub(super) fn listing(&self) -> Vec<u8> {
        let list: Vec<Listed<'_>> = self
            .instances
            .values()
            .map(|i| listed(&i.announcement))
            .collect();
        serde_json::to_vec(&list).unwrap_or_default()
    }

    pub(super) fn len(&self) -> usize {
        self.instances.len()
    }
}

fn listed(a: &Announcement) -> Listed<'_> {
    Listed {
        id: &a.id,
        name: &a.name,
        version: &a.version,
        session: &a.session,
        channels: a.channels.iter().map(|c| c.name.as_str()).collect(),
        status: &a.status,
    }
}

fn forget(
    host: &Host,
    by_subject: &mut HashMap<String, ChannelId>,
    by_channel: &mut HashMap<ChannelId, Option<String>>,
    mirror: Mirror,
) {
    if let Some(subject) = &mirror.subject {
        by_subject.remove(subject);
    }
    by_channel.remove(&mirror.id);
    if let Err(e) = host.unadvertise(mirror.id) {
        tracing::warn!("fleet gateway: mirror not unadvertised: {e}");
    }
}
