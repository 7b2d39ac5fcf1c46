//! The handle on a controller: requests, callbacks and events, each call
//! a message to the serial thread ([`serial_thread`])
//! and a wait bounded by the transport's timeouts.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::warn;

use super::error::ZWaveError;
use super::frame::{DataFrame, FunctionId};
use super::options::ControllerOptions;
use super::received::{Callback, Response};
use super::serial::SerialPort;
use super::serial_thread::messages::{
    CallbackWaiter, Matcher, OutgoingFrame, ReplyTo, SerialThreadHandle, ToSerialThread,
    TransportStats,
};
use super::serial_thread::{self, Spawned};

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
    handle: SerialThreadHandle,
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
        let Spawned {
            handle,
            first_events,
            thread,
        } = serial_thread::spawn(port, options.clone())?;
        Ok(ZWaveController {
            handle,
            options,
            first_events: Mutex::new(Some(first_events)),
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
        self.handle.status.is_running()
    }

    /// A snapshot of the transport's counters.
    pub fn stats(&self) -> TransportStats {
        self.handle.status.counters.snapshot()
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
            .unwrap_or_else(|_| Err(self.handle.status.disconnected()))
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
        self.handle.send(ToSerialThread::Send(OutgoingFrame {
            func_id,
            bytes,
            response_timeout: Some(timeout),
            give_up,
            reply: ReplyTo::Response(tx),
        }))?;
        Ok(rx)
    }

    /// Sends a request that has no response (such as
    /// [`FunctionId::SOFT_RESET`]) and waits only for its `ACK`.
    pub fn send_command(&self, func_id: FunctionId, payload: &[u8]) -> Result<(), ZWaveError> {
        let bytes = DataFrame::request(func_id, payload)?.encode();
        let (tx, rx) = mpsc::channel();
        self.handle.send(ToSerialThread::Send(OutgoingFrame {
            func_id,
            bytes,
            response_timeout: None,
            give_up: None,
            reply: ReplyTo::Ack(tx),
        }))?;
        rx.recv()
            .unwrap_or_else(|_| Err(self.handle.status.disconnected()))
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
        self.handle.send(ToSerialThread::Expect(CallbackWaiter {
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
        let _ = self.handle.send(ToSerialThread::Subscribe(tx));
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
            let _ = self.handle.send(ToSerialThread::Shutdown);
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
    handle: SerialThreadHandle,
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
            Err(mpsc::TryRecvError::Disconnected) => Err(self.handle.status.disconnected()),
        }
    }

    pub(super) fn wait_for(&self, what: &str, timeout: Duration) -> Result<Callback, ZWaveError> {
        match self.rx.recv_timeout(timeout) {
            Ok(callback) => Ok(callback),
            Err(RecvTimeoutError::Timeout) => Err(ZWaveError::CallbackTimeout {
                what: what.to_owned(),
                timeout,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(self.handle.status.disconnected()),
        }
    }
}

impl Drop for PendingCallback {
    fn drop(&mut self) {
        let _ = self.handle.send(ToSerialThread::Cancel(self.token));
    }
}
