//! Starting one plugin process: its pipes, a clean environment, its working
//! directory, and the descriptors where it expects them. The child dies
//! with the thread that started it (`PR_SET_PDEATHSIG`, on Linux) and leads
//! its own process group, so stopping it stops what it started too.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::manifest::{PipeMode, PluginManifest};
use crate::client::PLUGIN_FDS_ENV;

/// The variable holding the plugin's id.
pub const PLUGIN_ID_ENV: &str = "SWITCHBOARD_PLUGIN_ID";

/// Where a plugin's descriptors are in the default mode.
const PLUGIN_READ_FD: i32 = 3;
const PLUGIN_WRITE_FD: i32 = 4;

/// Longest log line kept; longer ones are cut.
pub(crate) const MAX_LOG_LINE: usize = 4096;

/// A started plugin: the process and the host's ends of its pipes.
pub(crate) struct Spawned {
    pub process: Process,
    /// The host reads what the plugin writes here.
    pub from_plugin: OwnedFd,
    /// The host writes here for the plugin to read.
    pub to_plugin: OwnedFd,
    pub stderr: Option<ChildStderr>,
    pub stdout: Option<ChildStdout>,
}

/// One line a plugin wrote to stderr (or stdout, with dedicated pipes).
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub plugin: String,
    pub stream: &'static str,
    pub line: String,
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors on success; they are owned here.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both are fresh descriptors nobody else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Starts the plugin. `extra_env` is added after the allowlist.
pub(crate) fn spawn(
    manifest: &PluginManifest,
    extra_env: &[(&str, String)],
) -> std::io::Result<Spawned> {
    let (plugin_reads, host_writes) = pipe()?;
    let (host_reads, plugin_writes) = pipe()?;
    let mut command = Command::new(&manifest.executable);
    command.args(&manifest.args).env_clear();
    for name in &manifest.env {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    for (name, value) in extra_env {
        command.env(name, value);
    }
    command.env(PLUGIN_ID_ENV, &manifest.id);
    if let Some(dir) = &manifest.working_dir {
        command.current_dir(dir);
    }
    command.stderr(Stdio::piped());
    let parent = std::process::id();
    match manifest.pipes {
        PipeMode::Fds => {
            command
                .env(
                    PLUGIN_FDS_ENV,
                    format!("{PLUGIN_READ_FD},{PLUGIN_WRITE_FD}"),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::piped());
            let read_fd = plugin_reads.as_raw_fd();
            let write_fd = plugin_writes.as_raw_fd();
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    // Out of the way of 3 and 4 first, then into place;
                    // dup2 clears close-on-exec on the copies.
                    let r = libc::fcntl(read_fd, libc::F_DUPFD_CLOEXEC, 10);
                    let w = libc::fcntl(write_fd, libc::F_DUPFD_CLOEXEC, 10);
                    if r < 0
                        || w < 0
                        || libc::dup2(r, PLUGIN_READ_FD) < 0
                        || libc::dup2(w, PLUGIN_WRITE_FD) < 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    child_setup(parent)
                });
            }
        }
        PipeMode::Stdio => {
            command
                .env(PLUGIN_FDS_ENV, "stdio")
                .stdin(Stdio::from(plugin_reads.try_clone()?))
                .stdout(Stdio::from(plugin_writes.try_clone()?));
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                command.pre_exec(move || child_setup(parent));
            }
        }
    }
    let mut child = command.spawn()?;
    // The child has its copies; ours would keep the pipes open after it dies.
    drop(plugin_reads);
    drop(plugin_writes);
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    Ok(Spawned {
        process: Process {
            pid: child.id(),
            child,
            exited: None,
        },
        from_plugin: host_reads,
        to_plugin: host_writes,
        stderr,
        stdout,
    })
}

/// In the child: its own process group, and death with the parent.
fn child_setup(parent: u32) -> std::io::Result<()> {
    // SAFETY: async-signal-safe calls on this process only.
    unsafe {
        if libc::setpgid(0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        #[cfg(target_os = "linux")]
        {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl took hold.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
        }
    }
    let _ = parent;
    Ok(())
}

/// A running (or exited, not yet forgotten) plugin process.
pub(crate) struct Process {
    pub pid: u32,
    child: Child,
    exited: Option<ExitStatus>,
}

impl Process {
    /// Its exit status, once it has exited (and is reaped).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Kills its whole process group and reaps it. Waits at most a few
    /// seconds: SIGKILL cannot be ignored, but a process stuck in the
    /// kernel (uninterruptible I/O) is reaped later by [`Drop`].
    pub(crate) fn kill(&mut self) {
        // SAFETY: signalling our own child's group.
        unsafe {
            libc::kill(-(self.pid as i32), libc::SIGKILL);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.exited().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.kill();
            if self.exited.is_none() {
                // Last resort: block until the kernel lets it go.
                let _ = self.child.wait();
            }
        }
    }
}

/// Forwards each line of `stream` to `tracing` and to `lines` until the
/// stream ends (the plugin and everything it started are gone). Lines are
/// cut at [`MAX_LOG_LINE`]; when `lines` is full they still reach the log,
/// and the next line that fits says how many the channel missed.
pub(crate) fn forward_lines(
    plugin: String,
    stream_name: &'static str,
    mut stream: impl Read + Send + 'static,
    lines: Sender<LogLine>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("plugin-{stream_name}"))
        .spawn(move || {
            let mut pending: Vec<u8> = Vec::new();
            let mut buf = [0u8; 4096];
            let mut missed = 0u64;
            let emit = |bytes: &[u8], missed: &mut u64| {
                let mut line = String::from_utf8_lossy(bytes).into_owned();
                if line.ends_with('\r') {
                    line.pop();
                }
                tracing::info!(target: "switchboard::plugins", plugin = %plugin, stream = stream_name, "{line}");
                if *missed > 0 {
                    line = format!("({} earlier lines not published) {line}", *missed);
                }
                match lines.try_send(LogLine {
                    plugin: plugin.clone(),
                    stream: stream_name,
                    line,
                }) {
                    Ok(()) => *missed = 0,
                    Err(TrySendError::Full(_)) => *missed += 1,
                    Err(TrySendError::Disconnected(_)) => {}
                }
            };
            loop {
                let n = match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                for &b in &buf[..n] {
                    if b == b'\n' {
                        emit(&pending, &mut missed);
                        pending.clear();
                    } else if pending.len() < MAX_LOG_LINE {
                        pending.push(b);
                    }
                }
            }
            if !pending.is_empty() {
                emit(&pending, &mut missed);
            }
        })
        .map(|_| ())
}
