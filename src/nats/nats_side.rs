//! The bridge's NATS side: async-nats on a current-thread tokio runtime,
//! on a thread of its own. It publishes what the outbox holds while
//! connected (and leaves it there, bounded, while not), announces the
//! instance every heartbeat, and carries NATS requests to the game side.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, HeaderMap, Subject};
use crossbeam_channel::{Sender, TrySendError};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::announce::Announcement;
use super::game_side::{RpcReply, RpcRequest};
use super::shared::Shared;
use super::subject::{self, headers};
use crate::memory::MemoryWaker;

/// Messages published per turn before the loop looks at its other work.
const PUMP_BATCH: usize = 256;

pub(crate) struct NatsSide {
    pub shared: Arc<Shared>,
    pub instance: String,
    pub display_name: String,
    pub session: String,
    pub heartbeat: Duration,
    pub requests: Sender<RpcRequest>,
    pub game_waker: MemoryWaker,
    pub replies: mpsc::Receiver<RpcReply>,
}

impl NatsSide {
    fn announcement(&self, online: bool) -> Vec<u8> {
        let (channels, unbridged, _) = self.shared.channels();
        let announcement = Announcement {
            id: self.instance.clone(),
            name: self.display_name.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            session: self.session.clone(),
            heartbeat_ms: self.heartbeat.as_millis() as u64,
            online,
            channels,
            unbridged,
            status: self.shared.stats(),
        };
        serde_json::to_vec(&announcement).unwrap_or_default()
    }

    async fn announce(&self, client: &Client, online: bool) {
        if client.connection_state() != State::Connected {
            return;
        }
        let status = serde_json::to_vec(&self.shared.stats()).unwrap_or_default();
        let sent = client
            .publish(subject::INSTANCES, self.announcement(online).into())
            .await
            .and(
                client
                    .publish(subject::status_subject(&self.instance), status.into())
                    .await,
            );
        if let Err(e) = sent {
            tracing::debug!("NATS bridge: announcement not sent: {e}");
        }
    }

    /// Publishes what the outbox holds, while connected.
    async fn pump(&self, client: &Client) {
        while client.connection_state() == State::Connected {
            let batch = self.shared.take(PUMP_BATCH);
            if batch.is_empty() {
                return;
            }
            for message in batch {
                let mut headers = HeaderMap::new();
                headers.insert(headers::CHANNEL, &*message.name);
                headers.insert(headers::ENCODING, &*message.encoding);
                headers.insert(
                    headers::DELIVERY,
                    if message.latest { "latest" } else { "reliable" },
                );
                headers.insert(headers::SEQUENCE, message.sequence.to_string());
                let subject = Subject::from(&*message.subject);
                match client
                    .publish_with_headers(subject, headers, message.content)
                    .await
                {
                    Ok(()) => self.shared.count(|s| s.published += 1),
                    Err(e) => {
                        tracing::warn!("NATS bridge: not published on {}: {e}", message.subject);
                        self.shared.count(|s| {
                            if !message.latest {
                                s.reliable_dropped += 1;
                            }
                        });
                    }
                }
            }
        }
    }

    /// Hands a NATS request to the game side, or refuses it at once.
    async fn forward(&self, client: &Client, message: async_nats::Message) {
        let Some(reply) = message.reply else {
            tracing::debug!(
                "NATS bridge: a request on {} without a reply subject",
                message.subject
            );
            self.shared.count(|s| s.requests_refused += 1);
            return;
        };
        let refusal = match subject::channel_of_rpc(&self.instance, &message.subject) {
            None => Some(format!("{} names no channel", message.subject)),
            Some(channel) => {
                let request = RpcRequest {
                    channel,
                    content: message.payload,
                    reply: reply.clone(),
                };
                match self.requests.try_send(request) {
                    Ok(()) => {
                        self.game_waker.wake();
                        None
                    }
                    Err(TrySendError::Full(_)) => Some("busy: the game side is behind".to_owned()),
                    Err(TrySendError::Disconnected(_)) => {
                        Some("the bridge lost its host connection".to_owned())
                    }
                }
            }
        };
        if let Some(reason) = refusal {
            self.shared.count(|s| s.requests_refused += 1);
            send_reply(
                client,
                RpcReply {
                    reply,
                    result: Err(reason),
                },
            )
            .await;
        }
    }

    pub(crate) async fn run(mut self, client: Client) {
        let rpc = client
            .subscribe(format!("{}.{}.rpc.>", subject::PREFIX, self.instance))
            .await;
        let discover = client.subscribe(subject::DISCOVER).await;
        let (mut rpc, mut discover) = match (rpc, discover) {
            (Ok(rpc), Ok(discover)) => (rpc, discover),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!("NATS bridge: cannot subscribe: {e}");
                return;
            }
        };
        let mut heartbeat = tokio::time::interval(self.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut announced_version = u64::MAX;
        let mut reported = (0, false);
        loop {
            tokio::select! {
                _ = self.shared.stopping.notified() => break,
                _ = self.shared.wake_nats.notified() => {
                    self.pump(&client).await;
                    let (_, _, version) = self.shared.channels();
                    let stats = self.shared.stats();
                    let now = (stats.reliable_dropped, stats.connected);
                    if version != announced_version || now != reported {
                        announced_version = version;
                        reported = now;
                        self.announce(&client, true).await;
                    }
                }
                _ = heartbeat.tick() => {
                    self.pump(&client).await;
                    self.announce(&client, true).await;
                }
                Some(message) = rpc.next() => self.forward(&client, message).await,
                Some(_) = discover.next() => self.announce(&client, true).await,
                Some(reply) = self.replies.recv() => send_reply(&client, reply).await,
            }
        }
        // Goodbye, so gateways drop the instance now rather than after
        // missed heartbeats; bounded, NATS may be down.
        let goodbye = async {
            self.announce(&client, false).await;
            let _ = client.flush().await;
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), goodbye).await;
    }
}

async fn send_reply(client: &Client, reply: RpcReply) {
    let mut headers = HeaderMap::new();
    let payload = match reply.result {
        Ok(content) => {
            headers.insert(headers::STATUS, "ok");
            content
        }
        Err(reason) => {
            headers.insert(headers::STATUS, "failed");
            reason.into_bytes()
        }
    };
    if let Err(e) = client
        .publish_with_headers(reply.reply, headers, payload.into())
        .await
    {
        tracing::warn!("NATS bridge: reply not sent: {e}");
    }
}

/// Counts reconnections and wakes the pump when the connection is back.
pub(crate) fn on_event(shared: &Shared, event: &async_nats::Event, ever_connected: &AtomicBool) {
    match event {
        async_nats::Event::Connected => {
            tracing::info!("NATS bridge: connected");
            let again = ever_connected.swap(true, Ordering::AcqRel);
            shared.count(|s| {
                s.connected = true;
                if again {
                    s.reconnects += 1;
                }
            });
            shared.wake_nats.notify_one();
        }
        async_nats::Event::Disconnected => {
            tracing::warn!("NATS bridge: disconnected; the game goes on, reconnecting");
            shared.count(|s| s.connected = false);
        }
        other => tracing::info!("NATS bridge: {other}"),
    }
}
