//! One POSIX message queue, opened non-blocking: the few calls the
//! transport and the client make, with errors as `io::Error`.
//!
//! On Linux a queue descriptor is a file descriptor, so mio (epoll) polls
//! it like a socket: readable while messages wait, writable while a slot
//! is free.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;

/// Permission bits of every queue: the owner only.
pub(crate) const MODE: libc::mode_t = 0o600;

/// Who may use a queue, from `fstat`: whether a found pair is safe to
/// open, and whether a name still means the queue we hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    pub inode: u64,
    pub uid: u32,
    pub mode: u32,
}

/// An open queue; closed when dropped (the name stays until unlinked).
#[derive(Debug)]
pub(crate) struct Queue {
    mqd: libc::mqd_t,
    name: String,
}

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "queue name holds NUL"))
}

/// Which end of a queue this process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Read,
    Write,
}

impl End {
    fn flags(self) -> libc::c_int {
        let access = match self {
            End::Read => libc::O_RDONLY,
            End::Write => libc::O_WRONLY,
        };
        access | libc::O_NONBLOCK | libc::O_CLOEXEC
    }
}

impl Queue {
    /// Opens an existing queue.
    pub(crate) fn open(name: &str, end: End) -> io::Result<Self> {
        let c = c_name(name)?;
        // SAFETY: `c` is a NUL-terminated string that outlives the call;
        // without O_CREAT no further arguments are read.
        let mqd = unsafe { libc::mq_open(c.as_ptr(), end.flags()) };
        if mqd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            mqd,
            name: name.to_owned(),
        })
    }

    /// Creates a new queue (failing if the name exists) with mode 0600
    /// whatever the umask. `slots`/`slot_size` of `None` take the system's
    /// defaults (`/proc/sys/fs/mqueue/msg_default`, `msgsize_default`).
    pub(crate) fn create(
        name: &str,
        end: End,
        slots: Option<usize>,
        slot_size: Option<usize>,
    ) -> io::Result<Self> {
        let c = c_name(name)?;
        let flags = end.flags() | libc::O_CREAT | libc::O_EXCL;
        let attr = match (slots, slot_size) {
            (None, None) => None,
            _ => {
                // SAFETY: mq_attr is plain integers; zero is valid.
                let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
                attr.mq_maxmsg = slots.unwrap_or(10) as libc::c_long;
                attr.mq_msgsize = slot_size.unwrap_or(8192) as libc::c_long;
                Some(attr)
            }
        };
        let attr_ptr = attr
            .as_ref()
            .map_or(std::ptr::null(), |a| a as *const libc::mq_attr);
        // SAFETY: `c` outlives the call; with O_CREAT, mq_open reads a mode
        // and an attribute pointer (null: defaults), both passed.
        let mqd = unsafe { libc::mq_open(c.as_ptr(), flags, MODE as libc::c_uint, attr_ptr) };
        if mqd < 0 {
            return Err(io::Error::last_os_error());
        }
        let queue = Self {
            mqd,
            name: name.to_owned(),
        };
        // The umask may have taken bits away, never added: set exactly 0600.
        // SAFETY: `mqd` is an open descriptor we own.
        if unsafe { libc::fchmod(queue.mqd, MODE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(queue)
    }

    /// Removes a name; the queue lives on until every holder closes it.
    pub(crate) fn unlink(name: &str) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: `c` is NUL-terminated and outlives the call.
        if unsafe { libc::mq_unlink(c.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.mqd
    }

    /// The largest message the queue holds.
    pub(crate) fn slot_size(&self) -> io::Result<usize> {
        // SAFETY: mq_attr is plain integers; mq_getattr fills it.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        // SAFETY: `mqd` is open and `attr` is a valid out-pointer.
        if unsafe { libc::mq_getattr(self.mqd, &mut attr) } != 0 {
            return Err(io::Error::last_os_error());
        }
        usize::try_from(attr.mq_msgsize)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "negative mq_msgsize"))
    }

    pub(crate) fn identity(&self) -> io::Result<Identity> {
        // SAFETY: stat is plain data; fstat fills it.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `mqd` is an open descriptor and `st` a valid out-pointer.
        if unsafe { libc::fstat(self.mqd, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Identity {
            inode: st.st_ino,
            uid: st.st_uid,
            mode: st.st_mode & 0o7777,
        })
    }

    /// Sends one message; `WouldBlock` when the queue is full.
    pub(crate) fn send(&self, message: &[u8]) -> io::Result<()> {
        loop {
            // SAFETY: the pointer and length describe `message`.
            let rc = unsafe { libc::mq_send(self.mqd, message.as_ptr().cast(), message.len(), 0) };
            if rc == 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Receives one message into `buf` (which must hold a whole slot);
    /// `WouldBlock` when the queue is empty.
    pub(crate) fn receive(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut priority: libc::c_uint = 0;
            // SAFETY: the pointer and length describe `buf`.
            let n = unsafe {
                libc::mq_receive(self.mqd, buf.as_mut_ptr().cast(), buf.len(), &mut priority)
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: `mqd` is open and closed only here.
        unsafe { libc::mq_close(self.mqd) };
    }
}

/// Unlinks `name` if it still names the queue `held` (a client may have
/// made a new pair under the same name since).
pub(crate) fn unlink_if_same(name: &str, held: Identity) {
    let same = Queue::open(name, End::Read)
        .and_then(|q| q.identity())
        .is_ok_and(|found| found.inode == held.inode);
    if same {
        if let Err(e) = Queue::unlink(name) {
            tracing::debug!("unlinking {name}: {e}");
        }
    }
}

/// Whether process `pid` still exists (signal 0 checks without sending).
pub(crate) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// This process's effective user.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}
