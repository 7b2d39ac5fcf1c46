//! A pseudo-terminal pair: the simulator serves the master side, a host
//! opens the slave's path like any serial device.

use std::ffi::CStr;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use std::sync::{Mutex, PoisonError};

use super::super::serial;

/// Opens a pseudo-terminal pair in raw mode: (master, slave, slave path).
pub(super) fn open_pty() -> io::Result<(OwnedFd, OwnedFd, PathBuf)> {
    // SAFETY: posix_openpt returns a new descriptor or -1.
    let raw = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    let master = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: grantpt/unlockpt on the master descriptor we own.
    if unsafe { libc::grantpt(raw) } != 0 || unsafe { libc::unlockpt(raw) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let path = slave_path(&master)?;
    let slave: OwnedFd = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(&path)?
        .into();
    // Raw at once, so nothing is echoed back before the host configures it.
    serial::configure_raw(slave.as_fd())?;
    Ok((master, slave, path))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn slave_path(master: &OwnedFd) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: the buffer is valid for its length; ptsname_r NUL-terminates.
    let rc = unsafe { libc::ptsname_r(master.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    // SAFETY: ptsname_r succeeded, so `buf` holds a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn slave_path(master: &OwnedFd) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    // ptsname uses a static buffer; serialise the calls.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    // SAFETY: valid master descriptor; the result is copied before the lock
    // is released.
    let name = unsafe { libc::ptsname(master.as_raw_fd()) };
    if name.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: non-null result of ptsname is a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(name) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}
