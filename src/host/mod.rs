//! The engine-agnostic host: start it, drain its events each frame, and send
//! through it. No Bevy here; the Bevy plugin is a thin layer over this.

mod announce;
mod batch;
mod channel;
mod drain;
mod error;
#[cfg(all(test, unix, feature = "plugins"))]
mod pipe_tests;
#[cfg(all(unix, feature = "plugins"))]
pub(crate) mod port;
mod signal;

use std::collections::VecDeque;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_channel::{Receiver, RecvTimeoutError};

pub use batch::Batch;
pub use channel::{ChannelSpec, MAX_CHANNEL_NAME_LEN, validate_channel_name};
pub use error::HostError;

use crate::net::transport::memory::{self, MemoryConnection};
use crate::net::{
    self, Command, CommandSender, GameRequest, Handoff, HostConfig, HostEvent, NetConfig,
    TrySendError,
};
use crate::protocol::{ChannelDescription, ChannelId, ClientId, RequestId};
use channel::ChannelRegistry;

/// A running IPC host: the network thread, and the game's handle on it.
///
/// `Host::start` binds the port and starts the network thread. The game
/// drains [`HostEvent`]s without blocking (once per frame, say) and sends
/// through the methods below.
///
/// ```
/// use switchboard::{ChannelSpec, Host, HostConfig, HostEvent};
///
/// let host = Host::start(HostConfig::default().port(0))?;
/// println!("listening on ws://{}", host.local_addr());
/// let echo = host.advertise(ChannelSpec::new("echo").clients_may_publish())?;
///
/// // In the game loop:
/// for event in host.drain_events() {
///     if let HostEvent::Message(message) = event {
///         host.send_to(message.client(), echo, message.content_bytes())?;
///     }
/// }
/// host.shutdown();
/// # Ok::<(), switchboard::HostError>(())
/// ```
///
/// # Threads
///
/// One network thread (`switchboard-net`) owns every connection; the game
/// never does network I/O. `Host` is `Send + Sync`: any game thread may
/// call it. Sends are queued for the network thread (a bounded command
/// queue) and return at once. A message sent while the game still holds
/// events of the batch it is taking them from is signalled with the rest of
/// that batch: when the game takes the batch's last event, when a
/// [`drain_events`](Self::drain_events) loop ends, or after 64 such sends,
/// so answering events one by one costs two wake-ups per batch, not one
/// per answer. [`Batch::commit`] and every other call wake it at once.
/// Nothing here
/// waits for the network, except [`wait_event`](Self::wait_event) and
/// [`wait_for_event`](Self::wait_for_event), which are meant for tools and
/// on-demand loops, and [`shutdown`](Self::shutdown) (or dropping the
/// host), which waits up to `close_grace` for clients to close. Publishes
/// from several threads on one channel get sequence numbers in the order
/// they were queued.
///
/// # Backpressure
///
/// Events wait in a bounded queue (`Limits::inbound_queue` events and
/// `Limits::inbound_queue_bytes` of client frames). While it is full the
/// network thread stops reading from clients past their handshake, so
/// their transport pushes back; nothing is dropped, and reading resumes
/// as soon as the game drains. Handshakes, timers and writes go on
/// meanwhile. In the other direction, each client's outbound queue is
/// bounded: a reliable channel closes a client that cannot keep up (4000,
/// with a reason), a latest-value channel keeps only the newest value.
/// [`drain_events`](Self::drain_events) takes at most one queue's worth,
/// so a flood cannot hold a frame forever.
///
/// # Errors
///
/// [`HostError`] says what the caller can do: [`HostError::Bind`] (the
/// port is taken or not on this machine: pick another),
/// [`HostError::InvalidConfig`] (fix the config; the message names the
/// setting), [`HostError::InvalidChannelName`] and
/// [`HostError::DuplicateChannel`] (choose another name), [`HostError::QueueFull`] (the network thread is behind: retry
/// next frame, or raise `Limits::command_queue`), [`HostError::Stopped`]
/// (the host is gone), [`HostError::UnknownChannel`] and
/// [`HostError::InvalidMessage`] (a mistake in the call). Problems with
/// clients are never errors here: the client is told, and the game sees
/// events such as [`HostEvent::Disconnected`] or
/// [`HostEvent::RequestFailed`].
pub struct Host {
    commands: CommandSender,
    events: Receiver<Vec<HostEvent>>,
    /// The batch being handed out, one event at a time.
    taken: Mutex<VecDeque<HostEvent>>,
    handoff: std::sync::Arc<Handoff>,
    signal: signal::Signal,
    channels: Mutex<ChannelRegistry>,
    next_request: AtomicU64,
    local_addr: SocketAddr,
    session_id: String,
    request_timeout: Duration,
    max_message_size: usize,
    command_capacity: usize,
    event_capacity: usize,
    /// The configured preferences, for plugins' `Welcome`.
    #[cfg(all(unix, feature = "plugins"))]
    preferences: Vec<(String, String)>,
    thread: Option<JoinHandle<()>>,
    /// The discovery record; removed first at shutdown.
    record: Option<crate::discovery::Published>,
}

impl Host {
    /// Binds `config.bind` and starts the network thread.
    ///
    /// Fails with [`HostError::Bind`] when the port is taken or the address
    /// is not on this machine.
    pub fn start(config: HostConfig) -> Result<Self, HostError> {
        config.validate().map_err(HostError::InvalidConfig)?;
        let dial =
            net::transport::dial::DialPlan::new(&config).map_err(HostError::InvalidConfig)?;
        let addr = config.bind;
        if !addr.ip().is_loopback() && config.allow_insecure_remote {
            tracing::warn!(
                "INSECURE: listening on {addr} with allow_insecure_remote; anyone who can reach \
                 this port can drive the game{}",
                if config.token.is_some() {
                    " if they learn the token"
                } else {
                    ""
                }
            );
        }
        let listener =
            std::net::TcpListener::bind(addr).map_err(|source| HostError::Bind { addr, source })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| HostError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| HostError::Bind { addr, source })?;
        let session_id = new_session_id();
        let request_timeout = config.limits.request_timeout;
        let max_message_size = config.limits.max_message_size;
        let command_capacity = config.limits.command_queue;
        let event_capacity = config.limits.inbound_queue;
        let record = announce::publish(&config, local_addr, &session_id);
        #[cfg(all(unix, feature = "plugins"))]
        let preferences = config.preferences.clone();
        let net = net::spawn(
            NetConfig {
                host: config,
                session_id: session_id.clone(),
            },
            mio::net::TcpListener::from_std(listener),
            dial,
        )
        .map_err(HostError::Start)?;
        tracing::info!("switchboard host listening on ws://{local_addr} (session {session_id})");
        Ok(Self {
            commands: net.commands,
            events: net.events,
            taken: Mutex::new(VecDeque::new()),
            handoff: net.handoff,
            signal: signal::Signal::default(),
            channels: Mutex::new(ChannelRegistry::default()),
            next_request: AtomicU64::new(1),
            local_addr,
            session_id,
            request_timeout,
            max_message_size,
            command_capacity,
            event_capacity,
            #[cfg(all(unix, feature = "plugins"))]
            preferences,
            thread: Some(net.thread),
            record,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Random per start; clients see it in `Welcome` and can tell a
    /// reconnect to the same game from a restarted one.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Takes one event if there is one; never blocks.
    pub fn try_event(&self) -> Option<HostEvent> {
        let mut taken = self.taken();
        if taken.is_empty() {
            self.signal.flush(&self.handoff);
            taken.extend(self.events.try_recv().ok()?);
        }
        self.hand_out(&mut taken)
    }

    fn taken(&self) -> std::sync::MutexGuard<'_, VecDeque<HostEvent>> {
        // Popping or extending a VecDeque cannot leave it half changed.
        self.taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn hand_out(&self, taken: &mut VecDeque<HostEvent>) -> Option<HostEvent> {
        let event = taken.pop_front()?;
        self.signal.holding(taken.len(), &self.handoff);
        self.handoff.took(&event);
        Some(event)
    }

    /// Takes the events waiting now (at most one queue's worth, so a flood
    /// cannot keep a frame busy forever); never blocks.
    pub fn drain_events(&self) -> impl Iterator<Item = HostEvent> + '_ {
        drain::Drain::new(self, self.event_capacity)
    }

    /// Waits up to `timeout` for an event. For tools and tests; a game loop
    /// uses [`drain_events`](Self::drain_events).
    ///
    /// Events are handed out in order whichever thread takes them, so a
    /// thread blocked here holds back other threads' `try_event` until an
    /// event arrives or the timeout passes.
    pub fn wait_event(&self, timeout: Duration) -> Option<HostEvent> {
        let mut taken = self.taken();
        if taken.is_empty() {
            self.signal.flush(&self.handoff);
            match self.events.recv_timeout(timeout) {
                Ok(batch) => taken.extend(batch),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
        self.hand_out(&mut taken)
    }

    /// Blocks until an event is waiting (without taking it) or `timeout`
    /// passes; returns whether one is waiting. Lets a loop that has nothing
    /// else to do sleep until the network has something for it.
    pub fn wait_for_event(&self, timeout: Duration) -> bool {
        if !self.taken().is_empty() {
            return true;
        }
        self.signal.flush(&self.handoff);
        let mut select = crossbeam_channel::Select::new();
        select.recv(&self.events);
        select.ready_timeout(timeout).is_ok()
    }

    /// Events waiting to be drained (for diagnostics and benchmarks).
    pub fn pending_events(&self) -> usize {
        self.handoff.queued_events.load(Ordering::Acquire)
    }

    /// Commands waiting for the network thread (for diagnostics and
    /// benchmarks).
    pub fn pending_commands(&self) -> usize {
        self.commands.len()
    }

    /// Adds a channel and tells every connected client about it.
    pub fn advertise(&self, spec: ChannelSpec) -> Result<ChannelId, HostError> {
        let description = self.registry().add(&spec)?;
        let id = ChannelId(description.id);
        if let Err(e) = self.send(Command::Advertise(description)) {
            let _ = self.registry().remove(id);
            return Err(e);
        }
        Ok(id)
    }

    /// Removes a channel; its subscribers are told and unsubscribed.
    pub fn unadvertise(&self, channel: ChannelId) -> Result<(), HostError> {
        self.check_channel(channel)?;
        // Only forget the channel once the network thread will hear of it,
        // so a full queue leaves both sides agreeing that it still exists.
        self.send(Command::Unadvertise(channel))?;
        self.registry().remove(channel).map(|_| ())
    }

    /// The channels advertised now, in id order.
    pub fn channels(&self) -> Vec<ChannelDescription> {
        self.registry().all()
    }

    /// Looks a channel up by name.
    pub fn find_channel(&self, name: &str) -> Option<ChannelId> {
        self.registry().find(name)
    }

    /// Collects sends to hand to the network thread at once, when the
    /// batch is committed or dropped: one lock, one clock read, one queue
    /// operation and one wake-up for all of them. A game that sends many
    /// messages per frame saves that much per message; the Bevy plugin
    /// sends each frame's `ToRemote` messages this way.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Sends `content` to every subscriber of `channel`. The frame is
    /// encoded once, on the network thread, and shared by all subscribers.
    pub fn publish(&self, channel: ChannelId, content: impl Into<Bytes>) -> Result<(), HostError> {
        let content = content.into();
        Self::check_size(&content)?;
        // Numbered and queued under the registry's lock, so sequence
        // numbers reach the network thread in order from any thread.
        let mut registry = self.registry();
        let sequence = registry.next_sequence(channel)?;
        let sent = self.send_message(Command::Publish {
            channel,
            content,
            sequence,
        });
        if sent.is_err() {
            registry.unpublish(channel);
        }
        sent
    }

    /// Sends `content` on `channel` to one client, subscribed or not.
    pub fn send_to(
        &self,
        client: ClientId,
        channel: ChannelId,
        content: impl Into<Bytes>,
    ) -> Result<(), HostError> {
        self.check_channel(channel)?;
        let content = content.into();
        Self::check_size(&content)?;
        self.send_message(Command::SendTo {
            client,
            channel,
            content,
        })
    }

    /// Answers a client's request successfully.
    pub fn respond(
        &self,
        client: ClientId,
        request_id: RequestId,
        content: impl Into<Bytes>,
    ) -> Result<(), HostError> {
        self.send_message(Command::Respond {
            client,
            request_id,
            result: Ok(content.into()),
        })
    }

    /// Answers a client's request with a failure and a reason.
    pub fn respond_error(
        &self,
        client: ClientId,
        request_id: RequestId,
        reason: impl Into<String>,
    ) -> Result<(), HostError> {
        self.send_message(Command::Respond {
            client,
            request_id,
            result: Err(reason.into()),
        })
    }

    /// Sends a request to a client. The answer arrives later as
    /// [`HostEvent::Response`], or [`HostEvent::RequestFailed`] after
    /// `timeout` (default: the configured request timeout).
    pub fn request(
        &self,
        client: ClientId,
        channel: ChannelId,
        content: impl Into<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<RequestId, HostError> {
        self.check_channel(channel)?;
        let content = content.into();
        Self::check_size(&content)?;
        let request_id = RequestId(self.next_request.fetch_add(1, Ordering::Relaxed));
        self.send_message(Command::Request(GameRequest {
            client,
            channel,
            request_id,
            content,
            timeout: timeout.unwrap_or(self.request_timeout),
        }))?;
        Ok(request_id)
    }

    /// Connects a client inside this process, without a socket: the
    /// returned end carries the same frames as a WebSocket, under the same
    /// rules (`Hello` first, the same limits and close codes). For tests of
    /// agents, and for tools that live in the game's process.
    ///
    /// ```
    /// use std::time::Duration;
    /// use switchboard::client::Client;
    /// use switchboard::{Host, HostConfig};
    ///
    /// let host = Host::start(HostConfig::default().port(0))?;
    /// let client = Client::over_memory(host.connect_in_memory()?, "in-process")?;
    /// assert_eq!(client.welcome().host_name, "switchboard");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_in_memory(&self) -> Result<MemoryConnection, HostError> {
        let (link, connection) = memory::pair(self.max_message_size);
        self.send(Command::Attach(Box::new(link)))?;
        Ok(connection)
    }

    /// A handle for threads that attach and close links without holding
    /// the `Host` (the plugin supervisor).
    #[cfg(all(unix, feature = "plugins"))]
    pub(crate) fn port(&self) -> port::Port {
        port::Port::new(
            self.commands.clone(),
            std::sync::Arc::clone(&self.handoff),
            self.command_capacity,
            self.max_message_size,
            self.preferences.clone(),
        )
    }

    /// Closes one client's connection (code 1000) with `reason`.
    pub fn disconnect(&self, client: ClientId, reason: impl Into<String>) -> Result<(), HostError> {
        self.send(Command::Disconnect {
            client,
            reason: reason.into(),
        })
    }

    /// Closes every client with 1001 ("going away"), waits up to the close
    /// grace period for them, and stops the network thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        drop(self.record.take());
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Past the capacity if need be: shutdown must get through.
        self.commands.send_regardless(Command::Shutdown);
        self.handoff.wake();
        if thread.join().is_err() {
            tracing::error!("the network thread panicked");
        }
    }

    /// Queues a command and wakes the network thread for it (and for any
    /// message sends still waiting for a wake).
    pub(crate) fn send(&self, command: Command) -> Result<(), HostError> {
        match self.commands.try_send(command) {
            Ok(()) => {
                self.signal.wake(&self.handoff);
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                self.signal.wake(&self.handoff);
                Err(HostError::QueueFull(self.command_capacity))
            }
            Err(TrySendError::Disconnected(_)) => Err(HostError::Stopped),
        }
    }

    /// Queues one message; the wake may wait for the rest of the game's
    /// batch (see `signal`).
    fn send_message(&self, command: Command) -> Result<(), HostError> {
        match self.commands.try_send(command) {
            Ok(()) => {
                self.signal.sent(&self.handoff);
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                self.signal.wake(&self.handoff);
                Err(HostError::QueueFull(self.command_capacity))
            }
            Err(TrySendError::Disconnected(_)) => Err(HostError::Stopped),
        }
    }

    pub(crate) fn registry(&self) -> std::sync::MutexGuard<'_, ChannelRegistry> {
        // A panic while holding this lock cannot leave the registry half
        // changed (every change is one insert or remove), so keep going.
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Frames carry content lengths as u32.
    pub(crate) fn check_size(content: &Bytes) -> Result<(), HostError> {
        if u32::try_from(content.len()).is_err() {
            return Err(HostError::InvalidMessage(format!(
                "content of {} bytes does not fit a frame (4 GiB at most)",
                content.len()
            )));
        }
        Ok(())
    }

    fn check_channel(&self, channel: ChannelId) -> Result<(), HostError> {
        match self.registry().get(channel) {
            Some(_) => Ok(()),
            None => Err(HostError::UnknownChannel(channel)),
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("local_addr", &self.local_addr)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// 64 random bits as hex. `RandomState` is seeded from the OS per process;
/// mixing in the time and pid keeps two hosts in one process apart too.
/// Not a secret: it only tells sessions apart.
fn new_session_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(crate::net::now_ns());
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}
