//! The bridge's game side: an ordinary client of the host over the
//! in-memory transport, on a thread of its own. It never blocks on NATS:
//! what it receives goes into the bounded outbox, so the host sees a
//! client that keeps up, and the host's own rules (access, delivery
//! policies, limits) apply to the bridge like to any client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::Receiver;
use tokio::sync::mpsc;

use super::announce::BridgedChannel;
use super::outbox::Outgoing;
use super::shared::Shared;
use super::subject;
use crate::client::{Client, ClientError, Incoming};
use crate::protocol::{ChannelDescription, ChannelPattern, ipc};

/// A NATS request for one of the game's channels.
#[derive(Debug)]
pub(crate) struct RpcRequest {
    pub channel: String,
    pub content: Bytes,
    pub reply: async_nats::Subject,
}

/// Its answer, for the NATS side to publish on the reply subject.
#[derive(Debug)]
pub(crate) struct RpcReply {
    pub reply: async_nats::Subject,
    pub result: Result<Vec<u8>, String>,
}

/// How a channel the bridge publishes leaves.
struct Route {
    name: Arc<str>,
    subject: Arc<str>,
    encoding: Arc<str>,
    latest: bool,
}

pub(crate) struct GameSide {
    pub client: Client,
    pub shared: Arc<Shared>,
    pub instance: String,
    pub publish: Vec<ChannelPattern>,
    pub serve: Vec<ChannelPattern>,
    pub requests: Receiver<RpcRequest>,
    pub replies: mpsc::Sender<RpcReply>,
    pub max_pending: usize,
}

impl GameSide {
    pub(crate) fn run(mut self) {
        let mut routes = self.refresh_channels();
        let mut pending: HashMap<u64, async_nats::Subject> = HashMap::new();
        while !self.shared.stopped() {
            match self.client.recv(Duration::from_millis(500)) {
                Ok(Incoming::Data {
                    channel,
                    request_id: 0,
                    sequence,
                    content,
                    ..
                }) => {
                    if let Some(route) = routes.get(&channel) {
                        self.shared.push(Outgoing {
                            channel,
                            name: route.name.clone(),
                            subject: route.subject.clone(),
                            encoding: route.encoding.clone(),
                            latest: route.latest,
                            sequence,
                            content: Bytes::from(content),
                        });
                    }
                }
                Ok(Incoming::Data {
                    channel,
                    request_id,
                    ..
                }) => {
                    // The game asked the bridge something: it answers nothing.
                    let _ = self.client.respond(
                        request_id,
                        channel,
                        Err("the NATS bridge answers no requests"),
                    );
                }
                Ok(Incoming::Response {
                    request_id, result, ..
                }) => {
                    if let Some(reply) = pending.remove(&request_id) {
                        self.answer(reply, result.map_err(|e| format!("the game failed: {e}")));
                    }
                }
                Ok(Incoming::Error {
                    request_id,
                    message,
                    code,
                    ..
                }) => {
                    if let Some(reply) = pending.remove(&request_id) {
                        self.answer(reply, Err(format!("refused ({code:?}): {message}")));
                    } else {
                        tracing::warn!(
                            "NATS bridge: the host refused something ({code:?}): {message}"
                        );
                    }
                }
                Ok(Incoming::Advertise(_) | Incoming::Unadvertise(_)) => {
                    let fresh = self.refresh_channels();
                    for gone in routes.keys().filter(|id| !fresh.contains_key(id)) {
                        self.shared.forget(*gone);
                    }
                    routes = fresh;
                }
                Ok(Incoming::Closed { code, reason }) => {
                    self.host_closed(format!("closed by the host ({code}): {reason}"));
                    return;
                }
                Err(ClientError::Timeout) => {}
                Err(e) => {
                    self.host_closed(format!("connection to the host lost: {e}"));
                    return;
                }
            }
            while let Ok(request) = self.requests.try_recv() {
                self.forward(request, &mut pending);
            }
        }
        let _ = self.client.close();
    }

    fn host_closed(&self, why: String) {
        tracing::error!("NATS bridge: {why}; nothing more is published");
        self.shared.count(|s| s.host_closed = Some(why));
        self.shared.wake_nats.notify_one();
    }

    /// Sends a NATS request into the game, or answers it with why not.
    fn forward(&mut self, request: RpcRequest, pending: &mut HashMap<u64, async_nats::Subject>) {
        let allowed = self.serve.iter().any(|p| p.matches(&request.channel));
        let channel = self.client.channel_id(&request.channel);
        let refusal = match channel {
            _ if !allowed => Some(format!(
                "requests on {} are not served over NATS",
                request.channel
            )),
            None => Some(format!("no channel {}", request.channel)),
            Some(_) if pending.len() >= self.max_pending => {
                Some("busy: too many NATS requests in flight".to_owned())
            }
            Some(_) => None,
        };
        if let Some(reason) = refusal {
            return self.answer(request.reply, Err(reason));
        }
        let Some(channel) = channel else { return };
        match self.client.request(channel, &request.content) {
            Ok(id) => {
                pending.insert(id, request.reply);
            }
            Err(e) => self.answer(request.reply, Err(format!("not sent to the game: {e}"))),
        }
    }

    fn answer(&self, reply: async_nats::Subject, result: Result<Vec<u8>, String>) {
        let ok = result.is_ok();
        self.shared.count(|s| {
            if ok {
                s.requests_served += 1
            } else {
                s.requests_refused += 1
            }
        });
        // The channel holds as many replies as requests may be pending, so
        // it is full only if the NATS side stopped.
        if self.replies.try_send(RpcReply { reply, result }).is_err() {
            tracing::warn!("NATS bridge: a reply was not sent (the NATS side is gone)");
        }
    }

    /// Rebuilds the routes and the announced channel list from what the
    /// host advertised.
    fn refresh_channels(&self) -> HashMap<u32, Route> {
        let mut routes = HashMap::new();
        let mut bridged = Vec::new();
        let mut unbridged = Vec::new();
        let mut channels: Vec<&ChannelDescription> = self.client.channels().collect();
        channels.sort_by(|a, b| a.name.cmp(&b.name));
        for c in channels {
            let published = self.publish.iter().any(|p| p.matches(&c.name));
            let served = self.serve.iter().any(|p| p.matches(&c.name));
            if !published && !served {
                continue;
            }
            let subject = published
                .then(|| subject::data_subject(&self.instance, &c.name))
                .flatten();
            let rpc_subject = served
                .then(|| subject::rpc_subject(&self.instance, &c.name))
                .flatten();
            if subject.is_none() && rpc_subject.is_none() {
                unbridged.push(c.name.clone());
                continue;
            }
            let latest = c.delivery == ipc::DeliveryPolicy::Latest;
            if let Some(subject) = &subject {
                routes.insert(
                    c.id,
                    Route {
                        name: c.name.as_str().into(),
                        subject: subject.as_str().into(),
                        encoding: c.encoding.as_str().into(),
                        latest,
                    },
                );
            } else if published {
                unbridged.push(c.name.clone());
            }
            bridged.push(BridgedChannel {
                name: c.name.clone(),
                encoding: c.encoding.clone(),
                delivery: if latest { "latest" } else { "reliable" }.to_owned(),
                subject,
                rpc_subject,
            });
        }
        if !unbridged.is_empty() {
            tracing::warn!(
                "NATS bridge: channels with no subject name, not bridged: {}",
                unbridged.join(", ")
            );
        }
        self.shared.set_channels(bridged, unbridged);
        routes
    }
}
