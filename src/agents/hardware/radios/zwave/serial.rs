//! A serial port opened the way the Serial API needs it: raw mode,
//! 115200 baud, 8 data bits, no parity, one stop bit, no flow control,
//! non-blocking, with every wait bounded by `poll(2)`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The Serial API's fixed line speed.
pub const BAUD_RATE: u32 = 115_200;

/// A serial device (or any terminal-like file descriptor) in non-blocking
/// mode.
///
/// [`SerialPort::open`] configures a tty for the Serial API;
/// [`SerialPort::from_fd`] wraps a descriptor that is already set up (a
/// pseudo-terminal in tests, for instance).
#[derive(Debug)]
pub struct SerialPort {
    file: File,
    path: Option<PathBuf>,
    exclusive: bool,
}

impl SerialPort {
    /// Opens `path` (for example `/dev/ttyACM0`), puts it in raw mode at
    /// 115200 8N1 without flow control, discards anything queued on it, and
    /// takes exclusive use of it (`TIOCEXCL`) so that a second program
    /// cannot open the stick at the same time.
    pub fn open(path: impl AsRef<Path>) -> io::Result<SerialPort> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(path)?;
        configure_raw(file.as_fd())?;
        // SAFETY: plain ioctl on a descriptor we own.
        let exclusive = unsafe { libc::ioctl(file.as_raw_fd(), libc::TIOCEXCL) } == 0;
        // SAFETY: as above; drops whatever the device queued before we came.
        unsafe { libc::tcflush(file.as_raw_fd(), libc::TCIOFLUSH) };
        Ok(SerialPort {
            file,
            path: Some(path.to_owned()),
            exclusive,
        })
    }

    /// Wraps an already configured descriptor and makes it non-blocking.
    /// Terminal settings are left alone; for a tty they must have `VMIN`
    /// above 0, or an empty read would look like a hang-up.
    pub fn from_fd(fd: OwnedFd) -> io::Result<SerialPort> {
        set_nonblocking(fd.as_fd())?;
        Ok(SerialPort {
            file: File::from(fd),
            path: None,
            exclusive: false,
        })
    }

    /// The path the port was opened from, if it was opened by path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Reads whatever is available without waiting. `Ok(0)` means nothing
    /// was available; a hung-up device is an error
    /// ([`io::ErrorKind::UnexpectedEof`]).
    pub fn read_available(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            return match self.file.read(buf) {
                Ok(0) if !buf.is_empty() => Err(hung_up()),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A terminal whose other side has gone (a USB stick pulled,
                // a pseudo-terminal's master closed) fails reads with EIO
                // rather than returning 0: the same hang-up.
                Err(e) if e.raw_os_error() == Some(libc::EIO) => Err(hung_up()),
                Err(e) => Err(e),
            };
        }
    }

    /// Waits up to `timeout` for data and reads it. `Ok(0)` means the time
    /// ran out.
    pub fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let n = self.read_available(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(0);
            }
            let mut fds = [pollfd(self.file.as_fd(), libc::POLLIN)];
            poll(&mut fds, Some(left))?;
            if fds[0].revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
                return Err(hung_up());
            }
        }
    }

    /// Writes all of `data`, waiting up to `timeout` in total for the device
    /// to accept it.
    pub fn write_all_timeout(&mut self, mut data: &[u8], timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        while !data.is_empty() {
            match self.file.write(data) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "serial write")),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("serial device accepted no data for {timeout:?}"),
                        ));
                    }
                    let mut fds = [pollfd(self.file.as_fd(), libc::POLLOUT)];
                    poll(&mut fds, Some(left))?;
                    if fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                        return Err(hung_up());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl AsFd for SerialPort {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for SerialPort {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Drop for SerialPort {
    fn drop(&mut self) {
        if self.exclusive {
            // SAFETY: plain ioctl on a descriptor we still own. Clearing the
            // flag lets the next open succeed even if another descriptor
            // keeps the tty alive.
            unsafe { libc::ioctl(self.file.as_raw_fd(), libc::TIOCNXCL) };
        }
    }
}

fn hung_up() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "serial device hung up")
}

/// Raw mode, 115200 baud, 8N1, no flow control. `VMIN` = 1 and `VTIME` = 0:
/// together with `O_NONBLOCK` an empty read fails with `EAGAIN`, so a read
/// of 0 bytes really means the device hung up (with `VMIN` = 0 Linux
/// returns 0 for "no data" as well).
pub(super) fn configure_raw(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it in before we read it.
    let mut tio: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor and a valid out-pointer.
    if unsafe { libc::tcgetattr(raw, &mut tio) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: tio is a valid termios.
    unsafe { libc::cfmakeraw(&mut tio) };
    tio.c_cflag &= !(libc::PARENB | libc::CSTOPB | libc::CSIZE | libc::CRTSCTS);
    tio.c_cflag |= libc::CS8 | libc::CLOCAL | libc::CREAD;
    tio.c_iflag &= !(libc::IXON | libc::IXOFF | libc::IXANY);
    tio.c_cc[libc::VMIN] = 1;
    tio.c_cc[libc::VTIME] = 0;
    // SAFETY: tio is a valid termios; B115200 is a valid speed constant.
    let speed = unsafe {
        libc::cfsetispeed(&mut tio, libc::B115200) | libc::cfsetospeed(&mut tio, libc::B115200)
    };
    if speed != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: valid descriptor and termios.
    if unsafe { libc::tcsetattr(raw, libc::TCSANOW, &tio) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub(super) fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a valid descriptor.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub(super) fn pollfd(fd: BorrowedFd<'_>, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

/// `poll(2)` with a timeout rounded up to whole milliseconds (`None` waits
/// forever). An interrupted wait returns `Ok(0)` with no `revents`; callers
/// loop anyway.
pub(super) fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let millis = match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
        }
    };
    for fd in fds.iter_mut() {
        fd.revents = 0;
    }
    // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    if n < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(err);
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::super::sim::SimulatedController;
    use super::*;

    #[test]
    fn open_configures_raw_115200_8n1() {
        let sim = SimulatedController::start().unwrap();
        let port = SerialPort::open(sim.path()).unwrap();
        assert_eq!(port.path(), Some(sim.path()));
        // SAFETY: termios is plain data, filled in by tcgetattr.
        let mut tio: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor and out-pointer.
        assert_eq!(unsafe { libc::tcgetattr(port.as_raw_fd(), &mut tio) }, 0);
        assert_eq!(tio.c_cflag & libc::CSIZE, libc::CS8);
        assert_eq!(
            tio.c_cflag & (libc::PARENB | libc::CSTOPB | libc::CRTSCTS),
            0
        );
        assert_eq!(
            tio.c_cflag & (libc::CLOCAL | libc::CREAD),
            libc::CLOCAL | libc::CREAD
        );
        assert_eq!(tio.c_lflag & (libc::ICANON | libc::ECHO | libc::ISIG), 0);
        assert_eq!(tio.c_iflag & (libc::IXON | libc::ICRNL | libc::ISTRIP), 0);
        assert_eq!(tio.c_oflag & libc::OPOST, 0);
        assert_eq!((tio.c_cc[libc::VMIN], tio.c_cc[libc::VTIME]), (1, 0));
        // SAFETY: tio is a valid termios.
        let speeds = unsafe { (libc::cfgetispeed(&tio), libc::cfgetospeed(&tio)) };
        assert_eq!(speeds, (libc::B115200, libc::B115200));
        assert_eq!(BAUD_RATE, 115_200);
    }

    #[test]
    fn exclusive_while_open() {
        let sim = SimulatedController::start().unwrap();
        let first = SerialPort::open(sim.path()).unwrap();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            // Root may open an exclusive tty anyway.
            let err = SerialPort::open(sim.path()).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
        }
        drop(first);
        SerialPort::open(sim.path()).expect("free again once closed");
    }

    #[test]
    fn reads_and_writes_are_bounded() {
        let sim = SimulatedController::start().unwrap();
        let mut port = SerialPort::open(sim.path()).unwrap();
        let mut buf = [0u8; 16];
        let started = Instant::now();
        assert_eq!(
            port.read_timeout(&mut buf, Duration::from_millis(50))
                .unwrap(),
            0
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(port.read_available(&mut buf).unwrap(), 0);

        // A GetVersion request is answered with ACK, then the response.
        port.write_all_timeout(&[0x01, 0x03, 0x00, 0x15, 0xE9], Duration::from_secs(1))
            .unwrap();
        let n = port.read_timeout(&mut buf, Duration::from_secs(5)).unwrap();
        assert!(n > 0);
        assert_eq!(buf[0], 0x06);
    }

    #[test]
    fn hang_up_is_an_error() {
        let sim = SimulatedController::start().unwrap();
        let mut port = SerialPort::open(sim.path()).unwrap();
        drop(sim);
        let mut buf = [0u8; 16];
        let err = port
            .read_timeout(&mut buf, Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
        assert!(
            port.write_all_timeout(&[0x06], Duration::from_millis(100))
                .is_err()
        );
    }
}
