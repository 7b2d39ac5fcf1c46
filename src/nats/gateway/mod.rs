//! The fleet gateway: a WebSocket host, speaking the ordinary protocol,
//! whose channels are every instance's bridged channels under
//! `fleet/<instance>/…`, plus [`INSTANCES_CHANNEL`]. Requests on a mirror
//! channel go to that instance through NATS request/reply.

mod registry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use async_nats::Client;
use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};

use super::announce::Announcement;
use super::subject::{self, headers};
use super::{NatsConnect, NatsError};
use crate::{ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostEvent, RequestId};
use registry::Registry;

/// The channel listing the known instances (JSON, latest value).
pub const INSTANCES_CHANNEL: &str = "fleet/instances";
/// Dashboard requests waiting for the NATS side; past it, refused as busy.
const REQUEST_QUEUE: usize = 1024;
/// Requests in flight through NATS at once; past it, refused as busy.
const MAX_IN_FLIGHT: usize = 1024;

/// How a [`Gateway`] runs.
///
/// ```
/// use switchboard::HostConfig;
/// use switchboard::nats::{GatewayConfig, NatsConnect};
/// let config = GatewayConfig::new(NatsConnect::new("nats://127.0.0.1:4222"))
///     .host(HostConfig::default().port(9100));
/// assert_eq!(config.missed_heartbeats, 3);
/// ```
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The NATS server.
    pub connect: NatsConnect,
    /// The gateway's own WebSocket host (port, token, TLS, web root...).
    pub host: HostConfig,
    /// Heartbeats an instance may miss before it disappears.
    pub missed_heartbeats: u32,
    /// Most instances shown at once; announcements past it are ignored
    /// (and logged).
    pub max_instances: usize,
    /// How long a request through NATS may take.
    pub request_timeout: Duration,
}

impl GatewayConfig {
    /// Defaults: the host's defaults, 3 missed heartbeats, 256 instances,
    /// requests up to 5 s.
    pub fn new(connect: NatsConnect) -> Self {
        Self {
            connect,
            host: HostConfig::default(),
            missed_heartbeats: 3,
            max_instances: 256,
            request_timeout: Duration::from_secs(5),
        }
    }

    /// Sets the gateway's host configuration.
    pub fn host(mut self, host: HostConfig) -> Self {
        self.host = host;
        self
    }
}

/// A dashboard's request, on its way to NATS.
struct Asked {
    client: ClientId,
    request_id: RequestId,
    channel: ChannelId,
    content: bytes::Bytes,
}

/// A running fleet gateway (see the [module](super) for the subjects).
///
/// ```no_run
/// use switchboard::nats::{Gateway, GatewayConfig, NatsConnect};
/// let gateway = Gateway::start(GatewayConfig::new(NatsConnect::new("nats://127.0.0.1:4222")))?;
/// println!("fleet on ws://{}", gateway.local_addr());
/// # Ok::<(), switchboard::nats::NatsError>(())
/// ```
pub struct Gateway {
    host: Option<Arc<Host>>,
    stop: Arc<AtomicBool>,
    stopping: Arc<Notify>,
    threads: Vec<JoinHandle<()>>,
}

impl Gateway {
    /// Starts the host and the connection to NATS (in the background: a
    /// NATS server that is down is not an error, the gateway keeps trying).
    pub fn start(config: GatewayConfig) -> Result<Self, NatsError> {
        let host = Arc::new(Host::start(config.host.clone())?);
        let instances = host.advertise(
            ChannelSpec::new(INSTANCES_CHANNEL)
                .encoding("json")
                .latest()
                .description(
                    "the game instances on NATS: id, name, version, session, channels, counters",
                ),
        )?;
        host.publish(instances, &b"[]"[..])?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::new(Notify::new());
        let (asked_tx, asked_rx) = mpsc::channel(REQUEST_QUEUE);

        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let nats = {
            let host = Arc::clone(&host);
            let stopping = Arc::clone(&stopping);
            std::thread::Builder::new()
                .name("switchboard-fleet-nats".into())
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(e) => {
                            let _ = ready_tx.send(Err(NatsError::Thread(e)));
                            return;
                        }
                    };
                    runtime.block_on(async move {
                        let connected = Arc::new(Notify::new());
                        let client = match connect(&config.connect, Arc::clone(&connected)).await {
                            Ok(client) => client,
                            Err(e) => {
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                        };
                        let _ = ready_tx.send(Ok(()));
                        let side = NatsLoop {
                            host,
                            instances,
                            config,
                            registry: Registry::default(),
                            in_flight: Arc::new(AtomicUsize::new(0)),
                        };
                        side.run(client, asked_rx, stopping, connected).await;
                    });
                })
                .map_err(NatsError::Thread)?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = nats.join();
                return Err(e);
            }
            Err(_) => {
                let _ = nats.join();
                return Err(NatsError::Connect("the NATS thread ended at start".into()));
            }
        }
        let events = {
            let host = Arc::clone(&host);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("switchboard-fleet-events".into())
                .spawn(move || take_requests(&host, &stop, &asked_tx))
                .map_err(NatsError::Thread)?
        };
        Ok(Self {
            host: Some(host),
            stop,
            stopping,
            threads: vec![events, nats],
        })
    }

    /// The gateway's WebSocket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.host.as_ref().map_or_else(
            || SocketAddr::from(([127, 0, 0, 1], 0)),
            |host| host.local_addr(),
        )
    }

    /// Stops both threads and the host.
    pub fn shutdown(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.stopping.notify_one();
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                tracing::error!("a fleet gateway thread panicked");
            }
        }
        if let Some(host) = self.host.take() {
            match Arc::try_unwrap(host) {
                Ok(host) => host.shutdown(),
                Err(_) => tracing::warn!("fleet gateway: host still shared at shutdown"),
            }
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn connect(connect: &NatsConnect, connected: Arc<Notify>) -> Result<Client, NatsError> {
    let options = connect.options("switchboard-fleet-gateway").await?;
    options
        .event_callback(move |event| {
            let connected = Arc::clone(&connected);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!("fleet gateway: connected to NATS");
                        connected.notify_one();
                    }
                    other => tracing::info!("fleet gateway: NATS {other}"),
                }
            }
        })
        .connect(connect.url.as_str())
        .await
        .map_err(|e| NatsError::Connect(e.to_string()))
}

/// The host's events: dashboards' requests go to the NATS side; the rest
/// (connections, one-way messages the host already refused) is only read.
fn take_requests(host: &Host, stop: &AtomicBool, asked: &mpsc::Sender<Asked>) {
    while !stop.load(Ordering::Acquire) {
        let Some(event) = host.wait_event(Duration::from_millis(100)) else {
            continue;
        };
        let HostEvent::Message(message) = event else {
            continue;
        };
        let Some(request_id) = message.request_id() else {
            continue;
        };
        let request = Asked {
            client: message.client(),
            request_id,
            channel: message.channel(),
            content: message.content_bytes(),
        };
        if asked.try_send(request).is_err() {
            let _ = host.respond_error(message.client(), request_id, "busy: the gateway is behind");
        }
    }
}

struct NatsLoop {
    host: Arc<Host>,
    instances: ChannelId,
    config: GatewayConfig,
    registry: Registry,
    in_flight: Arc<AtomicUsize>,
}

impl NatsLoop {
    async fn run(
        mut self,
        client: Client,
        mut asked: mpsc::Receiver<Asked>,
        stopping: Arc<Notify>,
        connected: Arc<Notify>,
    ) {
        let subscriptions = async {
            let announcements = client.subscribe(subject::INSTANCES).await?;
            let data = client.subscribe(format!("{}.*.>", subject::PREFIX)).await?;
            Ok::<_, async_nats::SubscribeError>((announcements, data))
        };
        let (mut announcements, mut data) = match subscriptions.await {
            Ok(subscriptions) => subscriptions,
            Err(e) => {
                tracing::error!("fleet gateway: cannot subscribe: {e}");
                return;
            }
        };
        let mut sweep = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                _ = stopping.notified() => break,
                _ = connected.notified() => {
                    // Ask every bridge to announce now rather than at its
                    // next heartbeat.
                    let _ = client.publish(subject::DISCOVER, bytes::Bytes::new()).await;
                }
                Some(message) = announcements.next() => {
                    match serde_json::from_slice::<Announcement>(&message.payload) {
                        Ok(a) if subject::is_instance_id(&a.id) => {
                            if self.registry.announce(&self.host, a, self.config.max_instances) {
                                self.publish_listing();
                            }
                        }
                        Ok(a) => tracing::warn!("fleet gateway: announcement with a bad id {:?}", a.id),
                        Err(e) => tracing::warn!("fleet gateway: unreadable announcement: {e}"),
                    }
                }
                Some(message) = data.next() => {
                    if let Some(channel) = self.registry.channel_for_subject(&message.subject) {
                        if let Err(e) = self.host.publish(channel, message.payload) {
                            tracing::warn!("fleet gateway: not relayed from {}: {e}", message.subject);
                        }
                    }
                }
                Some(request) = asked.recv() => self.ask(&client, request),
                _ = sweep.tick() => {
                    if self.registry.expire(&self.host, self.config.missed_heartbeats) {
                        self.publish_listing();
                    }
                }
            }
        }
    }

    fn publish_listing(&self) {
        tracing::debug!("fleet gateway: {} instances", self.registry.len());
        if let Err(e) = self.host.publish(self.instances, self.registry.listing()) {
            tracing::warn!("fleet gateway: {INSTANCES_CHANNEL} not published: {e}");
        }
    }

    /// Sends a dashboard's request through NATS; the answer comes back on
    /// a task of its own.
    fn ask(&self, client: &Client, asked: Asked) {
        let host = Arc::clone(&self.host);
        let subject = match self.registry.rpc_subject(asked.channel) {
            Some(Some(subject)) => subject.to_owned(),
            Some(None) => {
                let _ = host.respond_error(
                    asked.client,
                    asked.request_id,
                    "this instance serves no requests on that channel over NATS",
                );
                return;
            }
            None => {
                let _ = host.respond_error(
                    asked.client,
                    asked.request_id,
                    "requests go to fleet/<instance>/<channel> channels only",
                );
                return;
            }
        };
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            let _ = host.respond_error(
                asked.client,
                asked.request_id,
                "busy: too many requests in flight",
            );
            return;
        }
        let in_flight = Arc::clone(&self.in_flight);
        let client = client.clone();
        let timeout = self.config.request_timeout;
        tokio::spawn(async move {
            let answer =
                tokio::time::timeout(timeout, client.request(subject, asked.content)).await;
            let sent = match answer {
                Err(_) => host.respond_error(
                    asked.client,
                    asked.request_id,
                    "the instance did not answer in time",
                ),
                Ok(Err(e)) => {
                    host.respond_error(asked.client, asked.request_id, format!("through NATS: {e}"))
                }
                Ok(Ok(reply)) => {
                    let failed = reply
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(headers::STATUS))
                        .is_some_and(|s| s.as_str() == "failed");
                    if failed {
                        let reason = String::from_utf8_lossy(&reply.payload).into_owned();
                        host.respond_error(asked.client, asked.request_id, reason)
                    } else {
                        host.respond(asked.client, asked.request_id, reply.payload)
                    }
                }
            };
            if let Err(e) = sent {
                tracing::warn!("fleet gateway: answer not sent: {e}");
            }
            in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    }
}
