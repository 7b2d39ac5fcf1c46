//! The Serial API transport: a thread that owns the serial port, sends one
//! data frame at a time, waits for its `ACK` (retransmitting on `NAK`, `CAN`
//! or timeout), matches responses to requests, acknowledges everything the
//! controller sends and hands unsolicited requests to waiters and
//! subscribers.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tracing::{debug, trace, warn};

use super::frame::{
    ACK, DataFrame, Frame, FrameError, FrameParser, FrameType, FunctionId, NAK, ParseEvent,
};
use super::serial::{self, SerialPort};

/// Timing and queueing settings for a [`ZWaveController`].
///
/// The defaults follow the Serial API host rules: 1600 ms to wait for an
/// `ACK`, at most 3 retransmissions, waiting `100 ms + n × 1000 ms` before
/// retransmission `n` (n = 0, 1, 2), and 1500 ms for a data frame to arrive
/// completely once its `SOF` was seen.
///
/// ```
/// # use std::time::Duration;
/// # use switchboard::agents::hardware::zwave::ControllerOptions;
/// let options = ControllerOptions::default()
///     .ack_timeout(Duration::from_millis(500))
///     .response_timeout(Duration::from_secs(2));
/// assert_eq!(options.get_ack_timeout(), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    ack_timeout: Duration,
    max_retransmissions: u32,
    retransmit_delay_base: Duration,
    retransmit_delay_step: Duration,
    response_timeout: Duration,
    callback_timeout: Duration,
    report_timeout: Duration,
    frame_receive_timeout: Duration,
    write_timeout: Duration,
    event_capacity: usize,
    nak_on_open: bool,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        ControllerOptions {
            ack_timeout: Duration::from_millis(1600),
            max_retransmissions: 3,
            retransmit_delay_base: Duration::from_millis(100),
            retransmit_delay_step: Duration::from_millis(1000),
            response_timeout: Duration::from_secs(5),
            callback_timeout: Duration::from_secs(65),
            report_timeout: Duration::from_secs(5),
            frame_receive_timeout: Duration::from_millis(1500),
            write_timeout: Duration::from_secs(1),
            event_capacity: 1024,
            nak_on_open: true,
        }
    }
}

impl ControllerOptions {
    /// How long to wait for the `ACK` of a data frame (default 1600 ms).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How many times a frame is sent again after a `NAK`, `CAN` or `ACK`
    /// timeout before the request fails (default 3, so 4 attempts in all).
    pub fn max_retransmissions(mut self, count: u32) -> Self {
        self.max_retransmissions = count;
        self
    }

    /// The wait before retransmission `n` (counting from 0) is
    /// `base + n × step` (default 100 ms + n × 1000 ms).
    pub fn retransmit_delay(mut self, base: Duration, step: Duration) -> Self {
        self.retransmit_delay_base = base;
        self.retransmit_delay_step = step;
        self
    }

    /// Response timeout used by the typed functions such as
    /// [`ZWaveController::get_version`] (default 5 s).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How long [`ZWaveController::send_data`] waits for the transmit
    /// callback after the response (default 65 s, the longest a controller
    /// may take to route a frame).
    pub fn callback_timeout(mut self, timeout: Duration) -> Self {
        self.callback_timeout = timeout;
        self
    }

    /// How long a `Get` such as [`ZWaveController::switch_binary_get`] waits
    /// for the node's report once the frame was delivered (default 5 s).
    pub fn report_timeout(mut self, timeout: Duration) -> Self {
        self.report_timeout = timeout;
        self
    }

    /// A data frame whose bytes stop arriving for this long after its `SOF`
    /// is dropped (default 1500 ms).
    pub fn frame_receive_timeout(mut self, timeout: Duration) -> Self {
        self.frame_receive_timeout = timeout;
        self
    }

    /// How long a write may wait for the device to accept bytes before the
    /// port is considered dead (default 1 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How many callbacks each [`ZWaveController::events`] receiver buffers
    /// before further ones are dropped (default 1024).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// Whether to send a `NAK` right after opening, which makes a controller
    /// drop any half-received frame left over from a previous host (default
    /// true).
    pub fn nak_on_open(mut self, enabled: bool) -> Self {
        self.nak_on_open = enabled;
        self
    }

    /// The `ACK` timeout.
    pub fn get_ack_timeout(&self) -> Duration {
        self.ack_timeout
    }

    /// The retransmission limit.
    pub fn get_max_retransmissions(&self) -> u32 {
        self.max_retransmissions
    }

    /// The response timeout of the typed functions.
    pub fn get_response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// The `SendData` callback timeout.
    pub fn get_callback_timeout(&self) -> Duration {
        self.callback_timeout
    }

    /// The node report timeout.
    pub fn get_report_timeout(&self) -> Duration {
        self.report_timeout
    }

    fn retransmit_delay_for(&self, retransmission: u32) -> Duration {
        self.retransmit_delay_base + self.retransmit_delay_step * retransmission
    }
}

/// Why an attempt to deliver a frame failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckFailure {
    /// The controller answered `NAK` (it saw a bad checksum).
    Nak,
    /// The controller answered `CAN` (the frame collided with one it was
    /// sending).
    Can,
    /// No `ACK` arrived within the `ACK` timeout.
    Timeout,
}

impl fmt::Display for AckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckFailure::Nak => "controller sent NAK",
            AckFailure::Can => "controller sent CAN",
            AckFailure::Timeout => "no ACK before the timeout",
        })
    }
}

/// Everything that can go wrong talking to a Z-Wave controller.
#[derive(Debug, thiserror::Error)]
pub enum ZWaveError {
    /// The serial device could not be opened or configured.
    #[error("cannot open serial port {}: {source}", path.display())]
    Open {
        /// The device path.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Setting up the transport failed.
    #[error("serial transport setup failed: {0}")]
    Io(#[from] io::Error),
    /// A frame could not be built (payload too long).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The controller never acknowledged the frame.
    #[error(
        "controller did not acknowledge {func_id} after {attempts} attempt(s); last attempt: {last}"
    )]
    NoAck {
        /// The function of the undelivered frame.
        func_id: FunctionId,
        /// How many times the frame was sent.
        attempts: u32,
        /// What happened to the last attempt.
        last: AckFailure,
    },
    /// The controller acknowledged the request but sent no response in time.
    #[error("no response to {func_id} within {timeout:?}")]
    ResponseTimeout {
        /// The function of the request.
        func_id: FunctionId,
        /// How long the transport waited after the `ACK`.
        timeout: Duration,
    },
    /// An expected callback (or node report) did not arrive in time.
    #[error("no {what} within {timeout:?}")]
    CallbackTimeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        timeout: Duration,
    },
    /// A response or callback did not have the expected layout.
    #[error("malformed {func_id} frame: {reason}")]
    Malformed {
        /// The function of the frame.
        func_id: FunctionId,
        /// What was wrong with it.
        reason: String,
    },
    /// The controller answered a request with "not accepted" (for
    /// `SendData`: its queue was full or the node id invalid).
    #[error("controller rejected {func_id}")]
    Rejected {
        /// The function of the rejected request.
        func_id: FunctionId,
    },
    /// The controller could not deliver a frame to a node.
    #[error("transmission to node {node_id} failed: {status}")]
    TransmitFailed {
        /// The destination node.
        node_id: u8,
        /// The controller's transmit status.
        status: super::functions::TransmitStatus,
    },
    /// The caller's deadline passed before the controller acknowledged the
    /// request, so the transport stopped sending it (see
    /// [`ZWaveController::submit_request_by`]).
    #[error("gave up on {func_id} after {attempts} attempt(s): its deadline passed")]
    Abandoned {
        /// The function of the abandoned request.
        func_id: FunctionId,
        /// How many times the frame had been sent (0: never).
        attempts: u32,
    },
    /// The transport has stopped: the device went away, an I/O error
    /// occurred, or the controller was closed. Reopen it to continue.
    #[error("Z-Wave transport is down: {reason}")]
    Disconnected {
        /// Why the transport stopped.
        reason: String,
    },
}

/// A response frame from the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The function it answers.
    pub func_id: FunctionId,
    /// The bytes after `FUNC`.
    pub payload: Vec<u8>,
}

/// An unsolicited request frame from the controller: a callback such as the
/// `SendData` transmit status, or a command a node sent
/// (`ApplicationCommandHandler`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The function that produced it.
    pub func_id: FunctionId,
    /// The bytes after `FUNC`.
    pub payload: Vec<u8>,
}

/// Counters kept by the transport thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Data frames sent for the first time.
    pub frames_sent: u64,
    /// Data frames sent again after `NAK`, `CAN` or an `ACK` timeout.
    pub retransmissions: u64,
    /// Requests that failed for lack of an `ACK`.
    pub undelivered: u64,
    /// Valid data frames received (and acknowledged).
    pub frames_received: u64,
    /// Received data frames with a bad checksum (answered with `NAK`).
    pub checksum_errors: u64,
    /// Bytes skipped as noise or dropped as incomplete frames.
    pub bytes_discarded: u64,
    /// Callbacks dropped because an event receiver was full.
    pub events_dropped: u64,
}

#[derive(Default)]
struct Counters {
    frames_sent: AtomicU64,
    retransmissions: AtomicU64,
    undelivered: AtomicU64,
    frames_received: AtomicU64,
    checksum_errors: AtomicU64,
    bytes_discarded: AtomicU64,
    events_dropped: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

#[derive(Default)]
struct Shared {
    /// Set once, when the transport thread stops.
    down: Mutex<Option<String>>,
    counters: Counters,
}

impl Shared {
    fn disconnected(&self) -> ZWaveError {
        let reason = self
            .down
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "transport thread stopped".to_owned());
        ZWaveError::Disconnected { reason }
    }
}

type Matcher = Box<dyn FnMut(&Callback) -> bool + Send>;

enum Reply {
    Ack(Sender<Result<(), ZWaveError>>),
    Response(Sender<Result<Response, ZWaveError>>),
}

struct Job {
    func_id: FunctionId,
    bytes: Vec<u8>,
    /// `None`: the request has no response; done once acknowledged.
    response_timeout: Option<Duration>,
    /// Once past it, the frame is not sent (again): the caller gave up.
    give_up: Option<Instant>,
    reply: Reply,
}

impl Job {
    fn fail(self, error: ZWaveError) {
        // A caller that gave up has dropped its receiver; nothing to do.
        match self.reply {
            Reply::Ack(tx) => drop(tx.send(Err(error))),
            Reply::Response(tx) => drop(tx.send(Err(error))),
        }
    }
}

struct Waiter {
    token: u64,
    /// Whether a matched callback is withheld from event subscribers.
    consume: bool,
    matcher: Matcher,
    reply: SyncSender<Callback>,
}

enum Command {
    Send(Job),
    Expect(Waiter),
    Cancel(u64),
    Subscribe(SyncSender<Callback>),
    Shutdown,
}

/// The sending half shared by the controller and its pending callbacks.
#[derive(Clone)]
struct Handle {
    commands: Sender<Command>,
    waker: Arc<UnixStream>,
    shared: Arc<Shared>,
}

impl Handle {
    fn send(&self, command: Command) -> Result<(), ZWaveError> {
        self.commands
            .send(command)
            .map_err(|_| self.shared.disconnected())?;
        // One byte wakes the thread's poll. If the socket buffer is full the
        // thread has plenty of wake-ups pending already.
        let _ = (&*self.waker).write(&[1]);
        Ok(())
    }
}

/// A connection to a Z-Wave controller over its Serial API.
///
/// The transport runs on its own thread; every method here is safe to call
/// from any thread (`ZWaveController` is `Send + Sync`) and every blocking
/// method is bounded by the timeouts in [`ControllerOptions`]. Requests are
/// sent one at a time, in the order they were made.
///
/// ```no_run
/// use std::time::Duration;
/// use switchboard::agents::hardware::zwave::{ControllerOptions, FunctionId, ZWaveController};
///
/// let controller = ZWaveController::open("/dev/ttyACM0", ControllerOptions::default())?;
/// let version = controller.get_version()?;
/// let ids = controller.memory_get_id()?;
/// println!("{} on home {:08X}, node {}", version.version, ids.home_id, ids.node_id);
///
/// // Switch node 5 on and read it back.
/// controller.switch_binary_set(5, true)?;
/// assert_eq!(controller.switch_binary_get(5)?, Some(true));
///
/// // Raw access: any function id and payload.
/// let response = controller.send_request(FunctionId(0x07), &[], Duration::from_secs(1))?;
/// println!("capabilities: {:02X?}", response.payload);
///
/// // Reports and other unsolicited frames, for the game loop to drain.
/// let events = controller.events();
/// while let Ok(callback) = events.try_recv() {
///     if let Some(command) = callback.application_command() {
///         println!("node {}: {:?}", command.source_node, command.decode());
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ZWaveController {
    handle: Handle,
    options: ControllerOptions,
    first_events: Mutex<Option<Receiver<Callback>>>,
    next_callback_id: AtomicU8,
    next_token: AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for ZWaveController {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZWaveController")
            .field("connected", &self.is_connected())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ZWaveController {
    /// Opens the serial device at `path` (115200 8N1, raw) and starts the
    /// transport thread.
    pub fn open(path: impl AsRef<Path>, options: ControllerOptions) -> Result<Self, ZWaveError> {
        let path = path.as_ref();
        let port = SerialPort::open(path).map_err(|source| ZWaveError::Open {
            path: path.to_owned(),
            source,
        })?;
        Self::with_port(port, options)
    }

    /// Starts the transport on a port that is already open.
    pub fn with_port(port: SerialPort, options: ControllerOptions) -> Result<Self, ZWaveError> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        let (commands_tx, commands_rx) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let (events_tx, events_rx) = mpsc::sync_channel(options.event_capacity);

        let transport = Transport {
            port,
            waker: wake_rx,
            commands: commands_rx,
            parser: FrameParser::new(),
            frame_started: None,
            queue: VecDeque::new(),
            current: None,
            waiters: Vec::new(),
            subscribers: vec![events_tx],
            options: options.clone(),
            shared: Arc::clone(&shared),
        };
        let thread = thread::Builder::new()
            .name("zwave-serial".to_owned())
            .spawn(move || transport.run())?;

        Ok(ZWaveController {
            handle: Handle {
                commands: commands_tx,
                waker: Arc::new(wake_tx),
                shared,
            },
            options,
            first_events: Mutex::new(Some(events_rx)),
            next_callback_id: AtomicU8::new(1),
            next_token: AtomicU64::new(1),
            thread: Some(thread),
        })
    }

    /// The options the controller was opened with.
    pub fn options(&self) -> &ControllerOptions {
        &self.options
    }

    /// Whether the transport thread is still running. Once it is not, every
    /// call fails with [`ZWaveError::Disconnected`] giving the reason.
    pub fn is_connected(&self) -> bool {
        self.handle
            .shared
            .down
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// A snapshot of the transport's counters.
    pub fn stats(&self) -> TransportStats {
        let c = &self.handle.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TransportStats {
            frames_sent: get(&c.frames_sent),
            retransmissions: get(&c.retransmissions),
            undelivered: get(&c.undelivered),
            frames_received: get(&c.frames_received),
            checksum_errors: get(&c.checksum_errors),
            bytes_discarded: get(&c.bytes_discarded),
            events_dropped: get(&c.events_dropped),
        }
    }

    /// Sends a request and waits for the response with the same function id.
    ///
    /// `timeout` runs from the moment the controller acknowledged the
    /// request; delivery itself is bounded by the `ACK` timeout and
    /// retransmission settings. Fails with [`ZWaveError::NoAck`] or
    /// [`ZWaveError::ResponseTimeout`]; the transport stays usable after
    /// either.
    pub fn send_request(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Response, ZWaveError> {
        let rx = self.queue_request(func_id, payload, timeout, None)?;
        // The transport answers every job or drops it when it stops, and
        // each job is bounded by its ACK and response timeouts.
        rx.recv()
            .unwrap_or_else(|_| Err(self.handle.shared.disconnected()))
    }

    /// Queues a request and returns at once; the response (or error) arrives
    /// on the returned channel. Suits a game loop that polls with
    /// `try_recv` each frame.
    pub fn submit_request(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<Receiver<Result<Response, ZWaveError>>, ZWaveError> {
        self.queue_request(func_id, payload, timeout, None)
    }

    /// Like [`submit_request`](Self::submit_request), for a caller that
    /// stops waiting at `give_up`: past it the frame is no longer sent,
    /// neither first (if it is still queued behind others) nor again after a
    /// missed `ACK`, and the request fails with [`ZWaveError::Abandoned`].
    /// A frame already on the wire still gets its `ACK` wait, so a late
    /// `ACK` is never taken for the next frame's. This keeps a command the
    /// caller reported as timed out from reaching the node later.
    pub fn submit_request_by(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        timeout: Duration,
        give_up: Instant,
    ) -> Result<Receiver<Result<Response, ZWaveError>>, ZWaveError> {
        self.queue_request(func_id, payload, timeout, Some(give_up))
    }

    fn queue_request(
        &self,
        func_id: FunctionId,
        payload: &[u8],
        timeout: Duration,
        give_up: Option<Instant>,
    ) -> Result<Receiver<Result<Response, ZWaveError>>, ZWaveError> {
        let bytes = DataFrame::request(func_id, payload)?.encode();
        let (tx, rx) = mpsc::channel();
        self.handle.send(Command::Send(Job {
            func_id,
            bytes,
            response_timeout: Some(timeout),
            give_up,
            reply: Reply::Response(tx),
        }))?;
        Ok(rx)
    }

    /// Sends a request that has no response (such as
    /// [`FunctionId::SOFT_RESET`]) and waits only for its `ACK`.
    pub fn send_command(&self, func_id: FunctionId, payload: &[u8]) -> Result<(), ZWaveError> {
        let bytes = DataFrame::request(func_id, payload)?.encode();
        let (tx, rx) = mpsc::channel();
        self.handle.send(Command::Send(Job {
            func_id,
            bytes,
            response_timeout: None,
            give_up: None,
            reply: Reply::Ack(tx),
        }))?;
        rx.recv()
            .unwrap_or_else(|_| Err(self.handle.shared.disconnected()))
    }

    /// Registers interest in the next unsolicited request for which
    /// `matcher` returns true. Register *before* sending whatever triggers
    /// it, so it cannot be missed. The callback is still delivered to
    /// [`events`](Self::events) receivers as well.
    pub fn expect_callback(
        &self,
        matcher: impl FnMut(&Callback) -> bool + Send + 'static,
    ) -> Result<PendingCallback, ZWaveError> {
        self.expect(Box::new(matcher), false)
    }

    pub(super) fn expect(
        &self,
        matcher: Matcher,
        consume: bool,
    ) -> Result<PendingCallback, ZWaveError> {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.send(Command::Expect(Waiter {
            token,
            consume,
            matcher,
            reply: tx,
        }))?;
        Ok(PendingCallback {
            token,
            rx,
            handle: self.handle.clone(),
        })
    }

    /// A receiver for unsolicited requests from the controller (callbacks
    /// and node commands) that no [`PendingCallback`] consumed.
    ///
    /// The first call returns a receiver that has been collecting since the
    /// controller was opened, so nothing sent right after opening is lost;
    /// each later call starts a new, independent receiver. Each buffers up
    /// to [`ControllerOptions::event_capacity`] callbacks; beyond that new
    /// ones are dropped (and counted in [`TransportStats::events_dropped`]).
    /// If the transport is down the receiver is already disconnected.
    pub fn events(&self) -> Receiver<Callback> {
        if let Some(first) = self
            .first_events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            return first;
        }
        let (tx, rx) = mpsc::sync_channel(self.options.event_capacity);
        // On failure the sender is dropped with the command, so the
        // receiver reports disconnection, which is the truth.
        let _ = self.handle.send(Command::Subscribe(tx));
        rx
    }

    /// A callback id for a request that takes one (1..=255, never 0, which
    /// tells the controller not to call back).
    pub fn next_callback_id(&self) -> u8 {
        loop {
            let id = self.next_callback_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Stops the transport thread and closes the port. Dropping the
    /// controller does the same.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.handle.send(Command::Shutdown);
            if thread.join().is_err() {
                warn!("zwave: transport thread panicked");
            }
        }
    }
}

impl Drop for ZWaveController {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A callback awaited with [`ZWaveController::expect_callback`]. Dropping it
/// withdraws the interest.
pub struct PendingCallback {
    token: u64,
    rx: Receiver<Callback>,
    handle: Handle,
}

impl fmt::Debug for PendingCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingCallback")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl PendingCallback {
    /// Waits up to `timeout` for the callback.
    pub fn wait(&self, timeout: Duration) -> Result<Callback, ZWaveError> {
        self.wait_for("matching callback", timeout)
    }

    /// Returns the callback if it has arrived, without waiting.
    pub fn try_get(&self) -> Result<Option<Callback>, ZWaveError> {
        match self.rx.try_recv() {
            Ok(callback) => Ok(Some(callback)),
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => Err(self.handle.shared.disconnected()),
        }
    }

    pub(super) fn wait_for(&self, what: &str, timeout: Duration) -> Result<Callback, ZWaveError> {
        match self.rx.recv_timeout(timeout) {
            Ok(callback) => Ok(callback),
            Err(RecvTimeoutError::Timeout) => Err(ZWaveError::CallbackTimeout {
                what: what.to_owned(),
                timeout,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(self.handle.shared.disconnected()),
        }
    }
}

impl Drop for PendingCallback {
    fn drop(&mut self) {
        let _ = self.handle.send(Command::Cancel(self.token));
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    AwaitingAck(Instant),
    Backoff(Instant),
    AwaitingResponse(Instant),
}

struct InFlight {
    job: Job,
    attempts: u32,
    phase: Phase,
    last_failure: AckFailure,
}

/// The state owned by the transport thread.
struct Transport {
    port: SerialPort,
    waker: UnixStream,
    commands: Receiver<Command>,
    parser: FrameParser,
    /// When the partial frame in the parser started arriving.
    frame_started: Option<Instant>,
    queue: VecDeque<Job>,
    current: Option<InFlight>,
    waiters: Vec<Waiter>,
    subscribers: Vec<SyncSender<Callback>>,
    options: ControllerOptions,
    shared: Arc<Shared>,
}

/// Why the loop stopped.
enum Stop {
    Closed,
    Failed(String),
}

impl Transport {
    fn run(mut self) {
        let reason = match self.run_loop() {
            Ok(never) => match never {},
            Err(Stop::Closed) => "controller was closed".to_owned(),
            Err(Stop::Failed(reason)) => {
                warn!("zwave: transport stopped: {reason}");
                reason
            }
        };
        *self
            .shared
            .down
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.clone());
        let error = || ZWaveError::Disconnected {
            reason: reason.clone(),
        };
        if let Some(inflight) = self.current.take() {
            inflight.job.fail(error());
        }
        for job in self.queue.drain(..) {
            job.fail(error());
        }
        // Jobs still in the channel are dropped with it; their callers see
        // the reason recorded above. Waiters and subscribers see their
        // senders go away.
    }

    fn run_loop(&mut self) -> Result<Infallible, Stop> {
        if self.options.nak_on_open {
            self.write(&[NAK])?;
        }
        let mut buf = [0u8; 512];
        loop {
            self.drain_commands()?;
            // Take in whatever already arrived before judging any timeout:
            // if this thread was descheduled past a deadline, an ACK may be
            // sitting in the buffer.
            self.read_port(&mut buf)?;
            self.check_timers(Instant::now())?;
            while self.current.is_none()
                && let Some(job) = self.queue.pop_front()
            {
                if job.give_up.is_some_and(|t| Instant::now() >= t) {
                    debug!("zwave: {} abandoned before it was sent", job.func_id);
                    let func_id = job.func_id;
                    job.fail(ZWaveError::Abandoned {
                        func_id,
                        attempts: 0,
                    });
                    continue;
                }
                self.start(job)?;
            }

            let timeout = self
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()));
            let mut fds = [
                serial::pollfd(self.port.as_fd(), libc::POLLIN),
                serial::pollfd(self.waker.as_fd(), libc::POLLIN),
            ];
            serial::poll(&mut fds, timeout).map_err(|e| Stop::Failed(format!("poll: {e}")))?;
            if fds[1].revents != 0 {
                while matches!((&self.waker).read(&mut buf), Ok(n) if n > 0) {}
            }
            if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                // Process what is left, then stop.
                self.drain_commands()?;
                self.read_port(&mut buf)?;
                return Err(Stop::Failed("serial device hung up".to_owned()));
            }
            // The port is read at the top of the loop, after the commands:
            // a waiter or subscriber registered before the controller sent
            // something must see it, even when both became ready during the
            // same poll.
        }
    }

    fn drain_commands(&mut self) -> Result<(), Stop> {
        loop {
            match self.commands.try_recv() {
                Ok(command) => self.handle_command(command)?,
                Err(mpsc::TryRecvError::Empty) => return Ok(()),
                Err(mpsc::TryRecvError::Disconnected) => return Err(Stop::Closed),
            }
        }
    }

    fn handle_command(&mut self, command: Command) -> Result<(), Stop> {
        match command {
            Command::Send(job) => self.queue.push_back(job),
            Command::Expect(waiter) => self.waiters.push(waiter),
            Command::Cancel(token) => self.waiters.retain(|w| w.token != token),
            Command::Subscribe(tx) => self.subscribers.push(tx),
            Command::Shutdown => return Err(Stop::Closed),
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        let job = self.current.as_ref().map(|inflight| match inflight.phase {
            Phase::Backoff(t) => inflight.job.give_up.map_or(t, |g| g.min(t)),
            Phase::AwaitingAck(t) | Phase::AwaitingResponse(t) => t,
        });
        let frame = self
            .frame_started
            .map(|t| t + self.options.frame_receive_timeout);
        match (job, frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn check_timers(&mut self, now: Instant) -> Result<(), Stop> {
        if let Some(started) = self.frame_started
            && now >= started + self.options.frame_receive_timeout
        {
            let dropped = self.parser.reset();
            self.frame_started = None;
            bump(&self.shared.counters.bytes_discarded, dropped as u64);
            warn!("zwave: dropped an incomplete frame ({dropped} bytes) after the receive timeout");
        }

        let Some(phase) = self.current.as_ref().map(|f| f.phase) else {
            return Ok(());
        };
        match phase {
            Phase::AwaitingAck(deadline) if now >= deadline => {
                self.attempt_failed(AckFailure::Timeout, now);
            }
            // A caller that gave up is not kept waiting for the backoff.
            Phase::Backoff(_) if self.abandon_if_late(now) => {}
            Phase::Backoff(until) if now >= until => self.retransmit()?,
            Phase::AwaitingResponse(deadline) if now >= deadline => {
                let inflight = self.current.take().expect("checked above");
                let timeout = inflight.job.response_timeout.unwrap_or_default();
                debug!(
                    "zwave: no response to {} within {timeout:?}",
                    inflight.job.func_id
                );
                let func_id = inflight.job.func_id;
                inflight
                    .job
                    .fail(ZWaveError::ResponseTimeout { func_id, timeout });
            }
            _ => {}
        }
        Ok(())
    }

    fn start(&mut self, job: Job) -> Result<(), Stop> {
        trace!("zwave: -> {} {:02X?}", job.func_id, job.bytes);
        self.write(&job.bytes)?;
        bump(&self.shared.counters.frames_sent, 1);
        self.current = Some(InFlight {
            job,
            attempts: 1,
            phase: Phase::AwaitingAck(Instant::now() + self.options.ack_timeout),
            last_failure: AckFailure::Timeout,
        });
        Ok(())
    }

    fn retransmit(&mut self) -> Result<(), Stop> {
        let Some(mut inflight) = self.current.take() else {
            return Ok(());
        };
        inflight.attempts += 1;
        debug!(
            "zwave: retransmitting {} (attempt {}, previous: {})",
            inflight.job.func_id, inflight.attempts, inflight.last_failure
        );
        let result = self.write(&inflight.job.bytes);
        bump(&self.shared.counters.retransmissions, 1);
        inflight.phase = Phase::AwaitingAck(Instant::now() + self.options.ack_timeout);
        self.current = Some(inflight);
        result
    }

    /// Fails the frame in flight if its caller's deadline has passed;
    /// returns whether it did.
    fn abandon_if_late(&mut self, now: Instant) -> bool {
        let late = self
            .current
            .as_ref()
            .and_then(|f| f.job.give_up)
            .is_some_and(|g| now >= g);
        if late && let Some(inflight) = self.current.take() {
            debug!(
                "zwave: {} abandoned after {} attempt(s): its deadline passed",
                inflight.job.func_id, inflight.attempts
            );
            bump(&self.shared.counters.undelivered, 1);
            let (func_id, attempts) = (inflight.job.func_id, inflight.attempts);
            inflight
                .job
                .fail(ZWaveError::Abandoned { func_id, attempts });
        }
        late
    }

    fn attempt_failed(&mut self, failure: AckFailure, now: Instant) {
        if self.abandon_if_late(now) {
            return;
        }
        let Some(mut inflight) = self.current.take() else {
            return;
        };
        inflight.last_failure = failure;
        let retransmissions_done = inflight.attempts - 1;
        if retransmissions_done >= self.options.max_retransmissions {
            warn!(
                "zwave: {} undelivered after {} attempt(s): {failure}",
                inflight.job.func_id, inflight.attempts
            );
            bump(&self.shared.counters.undelivered, 1);
            let error = ZWaveError::NoAck {
                func_id: inflight.job.func_id,
                attempts: inflight.attempts,
                last: failure,
            };
            inflight.job.fail(error);
            return;
        }
        let delay = self.options.retransmit_delay_for(retransmissions_done);
        debug!(
            "zwave: {} attempt {} failed ({failure}); retrying in {delay:?}",
            inflight.job.func_id, inflight.attempts
        );
        inflight.phase = Phase::Backoff(now + delay);
        self.current = Some(inflight);
    }

    fn read_port(&mut self, buf: &mut [u8]) -> Result<(), Stop> {
        let mut events = Vec::new();
        loop {
            let n = self
                .port
                .read_available(buf)
                .map_err(|e| Stop::Failed(format!("serial read failed: {e}")))?;
            if n == 0 {
                break;
            }
            trace!("zwave: <- {:02X?}", &buf[..n]);
            events.clear();
            self.parser.feed_into(&buf[..n], &mut events);
            for event in events.drain(..) {
                self.handle_event(event)?;
            }
        }
        self.frame_started = match (self.parser.in_frame(), self.frame_started) {
            (false, _) => None,
            (true, Some(started)) => Some(started),
            (true, None) => Some(Instant::now()),
        };
        Ok(())
    }

    fn handle_event(&mut self, event: ParseEvent) -> Result<(), Stop> {
        match event {
            ParseEvent::Frame(Frame::Ack) => self.on_ack(),
            ParseEvent::Frame(Frame::Nak) => self.on_refused(AckFailure::Nak),
            ParseEvent::Frame(Frame::Can) => self.on_refused(AckFailure::Can),
            ParseEvent::Frame(Frame::Data(frame)) => {
                // Acknowledge first: the controller is waiting for it.
                self.write(&[ACK])?;
                bump(&self.shared.counters.frames_received, 1);
                self.on_data(frame);
            }
            ParseEvent::BadChecksum {
                func_id,
                received,
                computed,
            } => {
                warn!(
                    "zwave: bad checksum on frame 0x{func_id:02X} \
                     (got 0x{received:02X}, expected 0x{computed:02X}); sending NAK"
                );
                bump(&self.shared.counters.checksum_errors, 1);
                self.write(&[NAK])?;
            }
            ParseEvent::UnknownType {
                frame_type,
                func_id,
            } => {
                debug!("zwave: ignoring frame 0x{func_id:02X} of unknown type 0x{frame_type:02X}");
                self.write(&[ACK])?;
            }
            ParseEvent::Discarded { bytes } => {
                debug!("zwave: skipped {bytes} byte(s) of noise");
                bump(&self.shared.counters.bytes_discarded, bytes as u64);
            }
        }
        Ok(())
    }

    fn on_ack(&mut self) {
        let Some(inflight) = self.current.as_mut() else {
            trace!("zwave: stray ACK");
            return;
        };
        if !matches!(inflight.phase, Phase::AwaitingAck(_)) {
            trace!("zwave: stray ACK");
            return;
        }
        match inflight.job.response_timeout {
            Some(timeout) => inflight.phase = Phase::AwaitingResponse(Instant::now() + timeout),
            None => {
                let inflight = self.current.take().expect("checked above");
                if let Reply::Ack(tx) = inflight.job.reply {
                    let _ = tx.send(Ok(()));
                }
            }
        }
    }

    fn on_refused(&mut self, failure: AckFailure) {
        match self.current.as_ref().map(|f| f.phase) {
            Some(Phase::AwaitingAck(_)) => self.attempt_failed(failure, Instant::now()),
            _ => trace!("zwave: stray {failure:?}"),
        }
    }

    fn on_data(&mut self, frame: DataFrame) {
        match frame.frame_type() {
            FrameType::Response => self.on_response(frame),
            FrameType::Request => self.on_callback(Callback {
                func_id: frame.func_id(),
                payload: frame.into_payload(),
            }),
        }
    }

    fn on_response(&mut self, frame: DataFrame) {
        let matches = self.current.as_ref().is_some_and(|inflight| {
            inflight.job.func_id == frame.func_id()
                && matches!(inflight.job.reply, Reply::Response(_))
        });
        if !matches {
            debug!("zwave: ignoring unexpected response to {}", frame.func_id());
            return;
        }
        // A response while still waiting for the ACK (or backing off after a
        // missed one) means the ACK was lost but the request arrived.
        let inflight = self.current.take().expect("checked above");
        if let Reply::Response(tx) = inflight.job.reply {
            let _ = tx.send(Ok(Response {
                func_id: frame.func_id(),
                payload: frame.into_payload(),
            }));
        }
    }

    fn on_callback(&mut self, callback: Callback) {
        trace!(
            "zwave: callback {} {:02X?}",
            callback.func_id, callback.payload
        );
        let mut consumed = false;
        self.waiters.retain_mut(|waiter| {
            if consumed || !(waiter.matcher)(&callback) {
                return true;
            }
            if waiter.reply.try_send(callback.clone()).is_ok() && waiter.consume {
                consumed = true;
            }
            false
        });
        if consumed {
            return;
        }
        let counters = &self.shared.counters;
        self.subscribers
            .retain(|tx| match tx.try_send(callback.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    bump(&counters.events_dropped, 1);
                    debug!("zwave: event receiver full; dropped {}", callback.func_id);
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            });
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        self.port
            .write_all_timeout(bytes, self.options.write_timeout)
            .map_err(|e| Stop::Failed(format!("serial write failed: {e}")))
    }
}
