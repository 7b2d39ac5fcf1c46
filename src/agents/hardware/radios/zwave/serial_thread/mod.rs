//! The thread that owns the serial port: it reads and acknowledges what the
//! controller sends, hands responses to the frame on the wire
//! ([`delivery`]) and unsolicited requests to waiters and subscribers, and
//! takes new frames and waiters from its inbox ([`messages`]). It sleeps in
//! `poll` on the port and a wake-up socket, so an idle controller costs
//! nothing.

mod delivery;
pub(crate) mod messages;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use tracing::{debug, trace, warn};

use super::error::{AckFailure, ZWaveError};
use super::frame::{ACK, DataFrame, Frame, FrameParser, FrameType, NAK, ParseEvent};
use super::options::ControllerOptions;
use super::received::Callback;
use super::serial::{self, SerialPort};
use delivery::FrameInFlight;
use messages::{
    CallbackWaiter, OutgoingFrame, SerialThreadHandle, SerialThreadStatus, ToSerialThread, bump,
};

/// What [`spawn`] gives the controller.
pub(crate) struct Spawned {
    pub(crate) handle: SerialThreadHandle,
    /// Collects callbacks from the moment the port is open.
    pub(crate) first_events: Receiver<Callback>,
    pub(crate) thread: JoinHandle<()>,
}

/// Starts the thread on an open port.
pub(crate) fn spawn(port: SerialPort, options: ControllerOptions) -> io::Result<Spawned> {
    let (wake_tx, wake_rx) = UnixStream::pair()?;
    wake_tx.set_nonblocking(true)?;
    wake_rx.set_nonblocking(true)?;
    let (sender, inbox) = mpsc::channel();
    let status = Arc::new(SerialThreadStatus::default());
    let (events_tx, first_events) = mpsc::sync_channel(options.event_capacity);
    let serial_thread = SerialThread {
        port,
        waker: wake_rx,
        inbox,
        parser: FrameParser::new(),
        frame_started: None,
        quiet_until: None,
        queue: VecDeque::new(),
        current: None,
        waiters: Vec::new(),
        subscribers: vec![events_tx],
        options,
        status: Arc::clone(&status),
    };
    let thread = thread::Builder::new()
        .name("zwave-serial".to_owned())
        .spawn(move || serial_thread.run())?;
    Ok(Spawned {
        handle: SerialThreadHandle {
            sender,
            waker: Arc::new(wake_tx),
            status,
        },
        first_events,
        thread,
    })
}

/// The state owned by the serial thread.
struct SerialThread {
    port: SerialPort,
    waker: UnixStream,
    inbox: Receiver<ToSerialThread>,
    parser: FrameParser,
    /// When the partial frame in the parser started arriving.
    frame_started: Option<Instant>,
    /// No frame is sent before this (the pause after the opening NAK).
    quiet_until: Option<Instant>,
    queue: VecDeque<OutgoingFrame>,
    current: Option<FrameInFlight>,
    waiters: Vec<CallbackWaiter>,
    subscribers: Vec<SyncSender<Callback>>,
    options: ControllerOptions,
    status: Arc<SerialThreadStatus>,
}

/// Why the loop stopped.
enum Stop {
    Closed,
    Failed(String),
}

impl SerialThread {
    fn run(mut self) {
        let reason = match self.run_loop() {
            Ok(never) => match never {},
            Err(Stop::Closed) => "controller was closed".to_owned(),
            Err(Stop::Failed(reason)) => {
                warn!("zwave: transport stopped: {reason}");
                reason
            }
        };
        self.status.record_stop(reason.clone());
        let error = || ZWaveError::Disconnected {
            reason: reason.clone(),
        };
        if let Some(inflight) = self.current.take() {
            inflight.fail(error());
        }
        for frame in self.queue.drain(..) {
            frame.fail(error());
        }
        // Frames still in the inbox are dropped with it; their callers see
        // the reason recorded above. Waiters and subscribers see their
        // senders go away.
    }

    fn run_loop(&mut self) -> Result<Infallible, Stop> {
        if self.options.nak_on_open {
            self.write(&[NAK])?;
            // Written apart from the NAK, the first request is never in the
            // same read as it at the controller (see `pause_after_nak`).
            self.quiet_until = Some(Instant::now() + self.options.pause_after_nak);
        }
        let mut buf = [0u8; 512];
        loop {
            self.drain_inbox()?;
            // Take in whatever already arrived before judging any timeout:
            // if this thread was descheduled past a deadline, an ACK may be
            // sitting in the buffer.
            self.read_port(&mut buf)?;
            let now = Instant::now();
            self.check_receive_timeout(now);
            self.check_delivery(now)?;
            self.send_next()?;

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
                self.drain_inbox()?;
                self.read_port(&mut buf)?;
                return Err(Stop::Failed("serial device hung up".to_owned()));
            }
            // The port is read at the top of the loop, after the inbox: a
            // waiter or subscriber registered before the controller sent
            // something must see it, even when both became ready during the
            // same poll.
        }
    }

    fn drain_inbox(&mut self) -> Result<(), Stop> {
        loop {
            match self.inbox.try_recv() {
                Ok(message) => self.take(message)?,
                Err(mpsc::TryRecvError::Empty) => return Ok(()),
                Err(mpsc::TryRecvError::Disconnected) => return Err(Stop::Closed),
            }
        }
    }

    fn take(&mut self, message: ToSerialThread) -> Result<(), Stop> {
        match message {
            ToSerialThread::Send(frame) => self.queue.push_back(frame),
            ToSerialThread::Expect(waiter) => self.waiters.push(waiter),
            ToSerialThread::Cancel(token) => self.waiters.retain(|w| w.token != token),
            ToSerialThread::Subscribe(tx) => self.subscribers.push(tx),
            ToSerialThread::Shutdown => return Err(Stop::Closed),
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        let quiet = self.quiet_until.filter(|_| !self.queue.is_empty());
        [
            self.delivery_deadline(),
            self.frame_started
                .map(|t| t + self.options.frame_receive_timeout),
            quiet,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Drops a frame whose bytes stopped arriving.
    fn check_receive_timeout(&mut self, now: Instant) {
        if let Some(started) = self.frame_started
            && now >= started + self.options.frame_receive_timeout
        {
            let dropped = self.parser.reset();
            self.frame_started = None;
            bump(&self.status.counters.bytes_discarded, dropped as u64);
            warn!("zwave: dropped an incomplete frame ({dropped} bytes) after the receive timeout");
        }
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
                bump(&self.status.counters.frames_received, 1);
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
                bump(&self.status.counters.checksum_errors, 1);
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
                bump(&self.status.counters.bytes_discarded, bytes as u64);
            }
        }
        Ok(())
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
        let counters = &self.status.counters;
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
