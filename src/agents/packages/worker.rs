//! The thread that owns the plugins folder: installs run hooks (child
//! processes, up to their timeout) and touch SQLite and the disk, so the
//! game thread only queues requests and drains answers.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use serde_json::Value;

use super::api::{ApiError, Kind, answer};
use crate::bevy::FromRemote;
use crate::packages::{HookRunner, Installer, Limits, PluginRuns};

/// Requests queued beyond the one being worked on; more are answered
/// `busy` at once.
pub(super) const QUEUE: usize = 16;

pub(super) struct Job {
    pub(super) kind: Kind,
    pub(super) message: FromRemote,
}

pub(super) struct Done {
    pub(super) message: FromRemote,
    pub(super) result: Result<Value, ApiError>,
}

/// The worker thread and its two queues. Dropping it closes the job queue
/// and joins the thread (after the request in hand, if any).
pub(super) struct Worker {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub(super) fn start(
        dir: PathBuf,
        hooks: Box<dyn HookRunner + Send>,
        limits: Limits,
        runs: Option<Arc<dyn PluginRuns>>,
    ) -> Worker {
        let (jobs, job_queue) = bounded::<Job>(QUEUE);
        // Never more answers than jobs in flight, so this never blocks long.
        let (done_queue, done) = bounded::<Done>(QUEUE + 1);
        let thread = std::thread::Builder::new()
            .name("switchboard-packages".into())
            .spawn(move || run(dir, hooks, limits, runs, job_queue, done_queue))
            .map_err(|e| tracing::error!("package manager: cannot start its thread: {e}"))
            .ok();
        Worker {
            jobs: Some(jobs),
            done,
            thread,
        }
    }

    /// Queues a job; gives it back when the queue is full or the thread is
    /// gone.
    pub(super) fn submit(&self, job: Job) -> Result<(), Job> {
        let Some(jobs) = &self.jobs else {
            return Err(job);
        };
        match jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job)) | Err(TrySendError::Disconnected(job)) => Err(job),
        }
    }

    /// The answers ready now.
    pub(super) fn drain(&self) -> impl Iterator<Item = Done> + '_ {
        self.done.try_iter()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    dir: PathBuf,
    hooks: Box<dyn HookRunner + Send>,
    limits: Limits,
    runs: Option<Arc<dyn PluginRuns>>,
    jobs: Receiver<Job>,
    done: Sender<Done>,
) {
    let mut installer = match Installer::open(&dir) {
        Ok(installer) => {
            let installer = installer.with_hooks(hooks).with_limits(limits);
            Ok(match runs {
                Some(runs) => installer.with_runs(runs),
                None => installer,
            })
        }
        Err(e) => {
            tracing::error!("package manager: cannot open {}: {e}", dir.display());
            Err(ApiError::new(
                "internal",
                format!("the plugins folder cannot be opened: {e}"),
            ))
        }
    };
    for job in jobs {
        let result = match &mut installer {
            Ok(installer) => answer(installer, job.kind, job.message.content()),
            Err(e) => Err(e.clone()),
        };
        if done
            .send(Done {
                message: job.message,
                result,
            })
            .is_err()
        {
            return;
        }
    }
}
