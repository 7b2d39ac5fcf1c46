//! The bridge's handle: starts both sides, reports, stops.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::NatsError;
use super::announce::BridgeStats;
use super::config::NatsBridgeConfig;
use super::game_side::GameSide;
use super::nats_side::{NatsSide, on_event};
use super::outbox::Outbox;
use super::shared::Shared;
use crate::client::{Client, ClientOptions};
use crate::memory::MemoryWaker;
use crate::{ChannelId, ChannelSpec, Host, HostError};

/// NATS requests waiting for the game side at once; more are refused as
/// busy at once rather than queued without end.
const REQUEST_QUEUE: usize = 64;
/// Where the bridge reports its counters on the game's own host.
pub const STATUS_CHANNEL: &str = "nats/status";
/// How often [`NatsBridge::publish_status`] publishes when nothing changed.
const STATUS_REFRESH: Duration = Duration::from_secs(1);

/// A game's channels on NATS (see the [module](super) for subjects and
/// rules). The bridge is an ordinary client of the host, over the
/// in-memory transport, on two threads of its own: the game side reads
/// from the host and never blocks, the NATS side runs async-nats on a
/// current-thread tokio runtime. NATS down: the game goes on, the bridge
/// reconnects with backoff, latest values are conflated and reliable ones
/// held up to a bound, then dropped and counted.
///
/// ```no_run
/// use switchboard::nats::{NatsBridge, NatsBridgeConfig};
/// use switchboard::{ChannelSpec, Host, HostConfig};
///
/// let host = Host::start(HostConfig::default().port(0))?;
/// let fps = host.advertise(ChannelSpec::new("telemetry/fps").encoding("json").latest())?;
/// let bridge = NatsBridge::start(
///     &host,
///     NatsBridgeConfig::new("nats://127.0.0.1:4222", "playtest-1").publish("telemetry/*"),
/// )?;
/// host.publish(fps, &br#"{"value":60}"#[..])?; // also on switchboard.playtest-1.telemetry.fps
/// bridge.publish_status(&host)?; // once per frame: counters on nats/status
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NatsBridge {
    shared: Arc<Shared>,
    instance: String,
    game_waker: MemoryWaker,
    status_channel: ChannelId,
    last_status: Mutex<Option<(BridgeStats, Instant)>>,
    game: Option<JoinHandle<()>>,
    nats: Option<JoinHandle<()>>,
}

impl NatsBridge {
    /// Connects to the host in memory, subscribes to the channels to
    /// publish, and starts the connection to NATS in the background (a
    /// NATS server that is down is not an error: the bridge keeps trying).
    ///
    /// Fails on a bad configuration (instance id, pattern, URL, creds
    /// file), or when the host refuses the bridge as a client.
    pub fn start(host: &Host, config: NatsBridgeConfig) -> Result<Self, NatsError> {
        let (publish, serve) = config.validate()?;
        let status_channel = match host.find_channel(STATUS_CHANNEL) {
            Some(id) => id,
            None => host.advertise(
                ChannelSpec::new(STATUS_CHANNEL)
                    .encoding("json")
                    .latest()
                    .description("the NATS bridge's counters (connected, dropped, conflated)"),
            )?,
        };
        let connection = host.connect_in_memory()?;
        let game_waker = connection.waker();
        let mut options = ClientOptions::new(format!("nats-bridge {}", config.instance));
        options.token = config.host_token.clone();
        let mut client = Client::over_memory_with(connection, options)?;
        let patterns: Vec<&str> = config.publish.iter().map(String::as_str).collect();
        if !patterns.is_empty() {
            client.subscribe(&[], &patterns)?;
        }
        let max_pending = (client.welcome().max_pending_requests as usize).clamp(1, 1024);
        let shared = Arc::new(Shared::new(Outbox::new(
            config.reliable_queue,
            config.reliable_queue_bytes,
        )));
        let (requests_tx, requests_rx) = crossbeam_channel::bounded(REQUEST_QUEUE);
        // As many replies as requests may be pending, plus refusals of the
        // queue's worth: a reply never waits.
        let (replies_tx, replies_rx) = tokio::sync::mpsc::channel(max_pending + REQUEST_QUEUE);

        let nats_side = NatsSide {
            shared: Arc::clone(&shared),
            instance: config.instance.clone(),
            display_name: config.display_name.clone(),
            session: host.session_id().to_owned(),
            heartbeat: config.heartbeat,
            requests: requests_tx,
            game_waker: game_waker.clone(),
            replies: replies_rx,
        };
        let nats = spawn_nats_thread(&config, Arc::clone(&shared), nats_side)?;
        let game_side = GameSide {
            client,
            shared: Arc::clone(&shared),
            instance: config.instance.clone(),
            publish,
            serve,
            requests: requests_rx,
            replies: replies_tx,
            max_pending,
        };
        let game = std::thread::Builder::new()
            .name("switchboard-nats-game".into())
            .spawn(move || game_side.run())
            .map_err(NatsError::Thread)?;
        Ok(Self {
            shared,
            instance: config.instance,
            game_waker,
            status_channel,
            last_status: Mutex::new(None),
            game: Some(game),
            nats: Some(nats),
        })
    }

    /// This instance's id on NATS.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The counters now: connection, published, conflated, dropped.
    pub fn stats(&self) -> BridgeStats {
        self.shared.stats()
    }

    /// Publishes the counters on [`STATUS_CHANNEL`] of `host` when they
    /// changed (messages published aside) or a second went by; cheap
    /// enough to call every frame. Returns whether it published.
    pub fn publish_status(&self, host: &Host) -> Result<bool, HostError> {
        let stats = self.stats();
        let mut last = self
            .last_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let due = match &*last {
            None => true,
            Some((previous, at)) => {
                at.elapsed() >= STATUS_REFRESH || !same_alarms(previous, &stats)
            }
        };
        if !due {
            return Ok(false);
        }
        host.publish(
            self.status_channel,
            serde_json::to_vec(&stats).unwrap_or_default(),
        )?;
        *last = Some((stats, Instant::now()));
        Ok(true)
    }

    /// Says goodbye on NATS (briefly: NATS may be down) and stops both
    /// threads. Dropping the bridge does the same.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop();
        self.game_waker.wake();
        for thread in [self.game.take(), self.nats.take()].into_iter().flatten() {
            if thread.join().is_err() {
                tracing::error!("a NATS bridge thread panicked");
            }
        }
    }
}

impl Drop for NatsBridge {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The counters worth telling at once (everything but the traffic).
fn same_alarms(a: &BridgeStats, b: &BridgeStats) -> bool {
    (
        a.connected,
        a.reconnects,
        a.conflated,
        a.reliable_dropped,
        &a.host_closed,
    ) == (
        b.connected,
        b.reconnects,
        b.conflated,
        b.reliable_dropped,
        &b.host_closed,
    )
}

/// Starts the NATS thread and waits until its client exists (options
/// built, URL parsed), not until it is connected.
fn spawn_nats_thread(
    config: &NatsBridgeConfig,
    shared: Arc<Shared>,
    side: NatsSide,
) -> Result<JoinHandle<()>, NatsError> {
    let connect = config.connect.clone();
    let name = format!("switchboard-bridge {}", config.instance);
    let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("switchboard-nats".into())
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
                let ever_connected = Arc::new(AtomicBool::new(false));
                let events = Arc::clone(&shared);
                let options = match connect.options(&name).await {
                    Ok(options) => options.event_callback(move |event| {
                        let shared = Arc::clone(&events);
                        let ever_connected = Arc::clone(&ever_connected);
                        async move { on_event(&shared, &event, &ever_connected) }
                    }),
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let client = match options.connect(connect.url.as_str()).await {
                    Ok(client) => client,
                    Err(e) => {
                        let _ = ready_tx.send(Err(NatsError::Connect(e.to_string())));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                side.run(client).await;
            });
        })
        .map_err(NatsError::Thread)?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(NatsError::Connect("the NATS thread ended at start".into()))
        }
    }
}
