//! Runs one adapter on its own thread, so a slow or silent radio never
//! holds up the game: the game queues jobs (bounded) and drains results
//! each frame. Every job carries a deadline; a job still queued when its
//! deadline passes is answered with a timeout without touching the radio.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::adapter::{
    Adapter, AdapterError, AdapterEvent, AdapterInfo, FoundDevice, Object, Pairing,
};

/// Identifies one job; chosen by the bridge.
pub(crate) type OpId = u64;

/// What the bridge asks an adapter to do.
#[derive(Debug, Clone)]
pub(crate) enum AdapterJob {
    Discover,
    Pair(Pairing),
    Command {
        address: String,
        command: String,
        payload: Object,
    },
    ReadState {
        address: String,
    },
    Configure {
        address: String,
        config: Object,
    },
}

/// What a job produced.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Found(Vec<FoundDevice>),
    State(Object),
    Done,
}

/// What the worker thread sends back.
#[derive(Debug)]
pub(crate) enum Output {
    /// The adapter started (with what it says about itself now that its
    /// radio is open: firmware, network) or failed to.
    Started(Result<AdapterInfo, AdapterError>),
    Finished {
        op: OpId,
        result: Result<Outcome, AdapterError>,
    },
    Event(AdapterEvent),
}

struct Envelope {
    op: OpId,
    deadline: Instant,
    timeout: Duration,
    job: AdapterJob,
}

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmitError {
    /// The adapter's queue is full.
    Full,
    /// The worker thread has ended.
    Stopped,
}

/// Capacity of the result queue; unsolicited events beyond it are dropped
/// (with a warning), results wait for the game to drain.
const OUTPUT_QUEUE: usize = 1024;

/// How long shutdown waits for an adapter's thread before leaving it.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// The game's handle on an adapter thread.
pub(crate) struct Worker {
    info: AdapterInfo,
    jobs: Sender<Envelope>,
    outputs: Receiver<Output>,
    stop: Arc<AtomicBool>,
    exited: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Starts the adapter's thread; the thread calls `start` first.
    pub(crate) fn spawn(
        adapter: Box<dyn Adapter>,
        start_timeout: Duration,
        queue: usize,
    ) -> std::io::Result<Self> {
        let info = adapter.info();
        let (jobs, job_rx) = crossbeam_channel::bounded(queue.max(1));
        let (out_tx, outputs) = crossbeam_channel::bounded(OUTPUT_QUEUE);
        let (exit_tx, exited) = crossbeam_channel::bounded::<()>(0);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("switchboard-{}", info.radio))
            .spawn(move || {
                run(adapter, start_timeout, job_rx, out_tx, thread_stop);
                drop(exit_tx);
            })?;
        Ok(Self {
            info,
            jobs,
            outputs,
            stop,
            exited,
            thread: Some(thread),
        })
    }

    pub(crate) fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Replaces what the adapter says about itself (after it started);
    /// returns whether that changed anything.
    pub(crate) fn set_info(&mut self, info: AdapterInfo) -> bool {
        let changed = self.info != info;
        self.info = info;
        changed
    }

    /// Queues a job that must be answered within `timeout` from now.
    pub(crate) fn submit(
        &self,
        op: OpId,
        timeout: Duration,
        job: AdapterJob,
    ) -> Result<(), SubmitError> {
        let envelope = Envelope {
            op,
            deadline: Instant::now() + timeout,
            timeout,
            job,
        };
        self.jobs.try_send(envelope).map_err(|e| match e {
            TrySendError::Full(_) => SubmitError::Full,
            TrySendError::Disconnected(_) => SubmitError::Stopped,
        })
    }

    /// Jobs waiting for the adapter.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// One result or event, if any; never blocks.
    pub(crate) fn try_output(&self) -> Option<Output> {
        self.outputs.try_recv().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the thread if it waits for a job: closing the job queue does.
        let (dummy, _) = crossbeam_channel::bounded(1);
        drop(std::mem::replace(&mut self.jobs, dummy));
        // Wait a bounded time; a thread stuck in a radio call is left to
        // finish on its own (its calls are bounded by their timeouts).
        match self.exited.recv_timeout(STOP_WAIT) {
            Err(RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take()
                    && thread.join().is_err()
                {
                    tracing::error!("the {} adapter thread panicked", self.info.radio);
                }
            }
            _ => tracing::warn!(
                "the {} adapter did not stop within {STOP_WAIT:?}; leaving it",
                self.info.radio
            ),
        }
    }
}

fn run(
    mut adapter: Box<dyn Adapter>,
    start_timeout: Duration,
    jobs: Receiver<Envelope>,
    out: Sender<Output>,
    stop: Arc<AtomicBool>,
) {
    let radio = adapter.info().radio;
    let started = adapter.start(start_timeout).map(|()| adapter.info());
    let mut running = started.is_ok();
    // Why the adapter is not running, for the jobs it cannot take.
    let mut not_started = String::new();
    if let Err(e) = &started {
        tracing::warn!("{radio} adapter did not start: {e}");
        not_started = e.to_string();
    }
    if out.send(Output::Started(started)).is_err() {
        return;
    }
    let mut dropped_events = 0u64;
    loop {
        if stop.load(Ordering::Acquire) {
            break;
        }
        let envelope = match jobs.recv_timeout(adapter.poll_interval()) {
            Ok(envelope) => Some(envelope),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(envelope) = envelope {
            let remaining = envelope.deadline.saturating_duration_since(Instant::now());
            let result = if remaining.is_zero() {
                Err(AdapterError::Timeout(envelope.timeout))
            } else {
                if !running {
                    // Try again: the dongle may have been plugged back in.
                    match adapter.start(remaining) {
                        Ok(()) => {
                            running = true;
                            if out.send(Output::Started(Ok(adapter.info()))).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::debug!("{radio} adapter still not started: {e}");
                            not_started = e.to_string();
                        }
                    }
                }
                let remaining = envelope.deadline.saturating_duration_since(Instant::now());
                if !running {
                    // Its own kind of error, so the bridge keeps the adapter
                    // listed as failed rather than taking any answer as a
                    // sign of life.
                    Err(AdapterError::NotStarted(not_started.clone()))
                } else if remaining.is_zero() {
                    Err(AdapterError::Timeout(envelope.timeout))
                } else {
                    execute(adapter.as_mut(), envelope.job, remaining)
                        .map_err(|e| fix_timeout(e, envelope.timeout))
                }
            };
            let finished = Output::Finished {
                op: envelope.op,
                result,
            };
            if out.send(finished).is_err() {
                return;
            }
        }
        if running {
            for event in adapter.poll_events() {
                match out.try_send(Output::Event(event)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        dropped_events += 1;
                        if dropped_events.is_power_of_two() {
                            tracing::warn!(
                                "{radio} adapter: {dropped_events} events dropped, the game is not draining"
                            );
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        }
    }
    // Drain what is still queued so nobody waits for answers that never come.
    while let Ok(envelope) = jobs.try_recv() {
        let _ = out.try_send(Output::Finished {
            op: envelope.op,
            result: Err(AdapterError::Stopped),
        });
    }
    if running && let Err(e) = adapter.stop(Duration::from_secs(1)) {
        tracing::warn!("{radio} adapter did not stop cleanly: {e}");
    }
}

/// An adapter reports the time it had left; the client asked for the whole
/// job timeout, so report that.
fn fix_timeout(error: AdapterError, timeout: Duration) -> AdapterError {
    match error {
        AdapterError::Timeout(_) => AdapterError::Timeout(timeout),
        other => other,
    }
}

fn execute(
    adapter: &mut dyn Adapter,
    job: AdapterJob,
    timeout: Duration,
) -> Result<Outcome, AdapterError> {
    match job {
        AdapterJob::Discover => adapter.discover(timeout).map(Outcome::Found),
        AdapterJob::Pair(pairing) => adapter.pair(&pairing, timeout).map(Outcome::State),
        AdapterJob::Command {
            address,
            command,
            payload,
        } => adapter
            .command(&address, &command, &payload, timeout)
            .map(Outcome::State),
        AdapterJob::ReadState { address } => {
            adapter.read_state(&address, timeout).map(Outcome::State)
        }
        AdapterJob::Configure { address, config } => adapter
            .configure(&address, &config, timeout)
            .map(|()| Outcome::Done),
    }
}
