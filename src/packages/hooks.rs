//! Lifecycle hooks and the seam through which they run.
//!
//! The installer calls the install hooks (before install, install, after
//! install) in the package's temporary folder, and the after-run hook
//! before removal, through a [`HookRunner`]. `PluginHooks` (feature
//! `plugins`) runs the install hooks over the plugin protocol through the
//! package's own plugin; [`ScriptHooks`], still the installer's default,
//! runs them by a provisional convention (described there and in
//! `docs/packages.md`, "Hooks").

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::error::PackageError;
use crate::fields::Object;

/// A lifecycle hook (the seed's `OnBeforeInstall` ... `OnAfterRun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// Before the package is installed (checks).
    BeforeInstall,
    /// Installing (setting up files in the package folder).
    Install,
    /// After installing (clean-up).
    AfterInstall,
    /// Before the plugin runs.
    BeforeRun,
    /// The plugin runs.
    Run,
    /// After the plugin ran; also before removal.
    AfterRun,
}

impl Hook {
    /// Every hook, in lifecycle order.
    pub const ALL: [Hook; 6] = [
        Hook::BeforeInstall,
        Hook::Install,
        Hook::AfterInstall,
        Hook::BeforeRun,
        Hook::Run,
        Hook::AfterRun,
    ];
    /// Their names.
    pub const NAMES: [&'static str; 6] = [
        "before_install",
        "install",
        "after_install",
        "before_run",
        "run",
        "after_run",
    ];
    /// The install hooks, in the order they run.
    pub const INSTALL: [Hook; 3] = [Hook::BeforeInstall, Hook::Install, Hook::AfterInstall];

    /// `before_install`, `install`, ...
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The hook with this name.
    pub fn from_name(name: &str) -> Option<Hook> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self::ALL[i])
    }

    /// Its path inside a package (`hooks/<name>`).
    pub fn path(self) -> String {
        format!("{}/{}", super::package::HOOKS_DIR, self.name())
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a hook is run for.
#[derive(Debug, Clone, Copy)]
pub struct HookContext<'a> {
    /// The package name.
    pub package: &'a str,
    /// The package's folder (the temporary one while installing).
    pub dir: &'a Path,
    /// Its configuration, secrets included (the plugin needs them).
    pub configuration: &'a Object,
}

/// Runs a package's hooks: `PluginHooks` over the plugin protocol (feature
/// `plugins`), or [`ScriptHooks`], the provisional scripts.
pub trait HookRunner {
    /// Runs `hook` for the package in `context.dir`; `Ok` if the package
    /// has no such hook.
    fn run_hook(&self, hook: Hook, context: &HookContext<'_>) -> Result<(), PackageError>;
}

impl<T: HookRunner + ?Sized> HookRunner for Box<T> {
    fn run_hook(&self, hook: Hook, context: &HookContext<'_>) -> Result<(), PackageError> {
        (**self).run_hook(hook, context)
    }
}

/// Runs hooks as child processes, by a provisional convention kept while
/// the command line and the editor channels default to it (`PluginHooks`
/// runs them over the plugin protocol):
///
/// - a hook is an executable file `hooks/<name>` in the package (a native
///   binary or a script with an interpreter line); a package without it
///   skips that hook;
/// - it runs as a child process in the package's folder, in its own
///   process group, with a clean environment (`PATH=/usr/bin:/bin`,
///   `SWITCHBOARD_HOOK`, `SWITCHBOARD_PACKAGE`, `SWITCHBOARD_PACKAGE_DIR`),
///   the configuration as one JSON object on stdin;
/// - exit status 0 is success; anything else, or running past the
///   timeout, is failure, reported with the end of its stderr;
/// - when it ends, whatever it started in its process group is killed,
///   so no process outlives it.
#[derive(Debug, Clone)]
pub struct ScriptHooks {
    /// How long a hook may run before it is killed.
    pub timeout: Duration,
}

impl Default for ScriptHooks {
    fn default() -> Self {
        ScriptHooks {
            timeout: Duration::from_secs(60),
        }
    }
}

/// How much of a hook's stderr is kept for the error message.
pub(super) const STDERR_TAIL: usize = 2048;

impl HookRunner for ScriptHooks {
    fn run_hook(&self, hook: Hook, context: &HookContext<'_>) -> Result<(), PackageError> {
        let program = context.dir.join(hook.path());
        if !program.is_file() {
            return Ok(());
        }
        let fail = |reason: String| PackageError::Hook {
            hook: hook.name(),
            reason,
        };
        let mut child = Command::new(&program)
            .current_dir(context.dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("SWITCHBOARD_HOOK", hook.name())
            .env("SWITCHBOARD_PACKAGE", context.package)
            .env("SWITCHBOARD_PACKAGE_DIR", context.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| fail(format!("cannot start {}: {e}", program.display())))?;
        let input = serde_json::to_vec(context.configuration).unwrap_or_default();
        let stdin = child.stdin.take().map(|mut pipe| {
            // A hook that never reads stdin must not block us.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            })
        });
        let stdout = child.stdout.take().map(|pipe| tail_reader(pipe, 0));
        let stderr = child
            .stderr
            .take()
            .map(|pipe| tail_reader(pipe, STDERR_TAIL));
        let outcome = wait_then_kill_group(&mut child, self.timeout);
        if let Some(thread) = stdin {
            let _ = thread.join();
        }
        let tail = reap_output(context, hook, stdout, stderr);
        let with_tail = |what: String| {
            if tail.is_empty() {
                what
            } else {
                format!("{what}: {tail}")
            }
        };
        match outcome {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(fail(with_tail(format!("{status}")))),
            Err(WaitError::Timeout) => Err(fail(with_tail(format!(
                "still running after {:?}, killed",
                self.timeout
            )))),
            Err(WaitError::Io(e)) => Err(fail(format!("waiting for it: {e}"))),
        }
    }
}

enum WaitError {
    Timeout,
    Io(std::io::Error),
}

/// Waits for the hook to exit (or the deadline), then kills its process
/// group and reaps it. The exit is observed without reaping, so the
/// group's id cannot be reused by another process before the kill.
fn wait_then_kill_group(
    child: &mut Child,
    timeout: Duration,
) -> Result<std::process::ExitStatus, WaitError> {
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    loop {
        // SAFETY: waitid only writes into the zeroed siginfo we own.
        let exited = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let rc = libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            rc == 0 && info.si_pid() != 0
        };
        if exited {
            break;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: signals the process group we created for this child.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let status = child.wait().map_err(WaitError::Io)?;
    if timed_out {
        Err(WaitError::Timeout)
    } else {
        Ok(status)
    }
}

/// Waits for a finished hook's output readers; logs and returns the end
/// of what it wrote to stderr (for the error that names its failure).
pub(super) fn reap_output(
    context: &HookContext<'_>,
    hook: Hook,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
) -> String {
    if let Some(thread) = stdout {
        let _ = thread.join();
    }
    let tail = stderr
        .and_then(|thread| thread.join().ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    if !tail.is_empty() {
        tracing::info!(package = context.package, hook = hook.name(), stderr = %tail, "hook output");
    }
    tail
}

/// Reads a pipe to its end, keeping the last `keep` bytes.
pub(super) fn tail_reader(
    mut pipe: impl Read + Send + 'static,
    keep: usize,
) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut tail = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    tail.extend_from_slice(&buffer[..n]);
                    if tail.len() > keep {
                        let cut = tail.len() - keep;
                        tail.drain(..cut);
                    }
                }
            }
        }
        tail
    })
}
