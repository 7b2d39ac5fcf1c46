//! POSIX message queues (Linux, feature `mqueue`): a local client talks to
//! the game through a pair of queues named after the game's process id,
//! without a port.
//!
//! The client creates `/{prefix}In.{pid}` (it writes, the game reads) and
//! `/{prefix}Out.{pid}` (the game writes), mode 0600. The host's
//! [`QueueFinder`] looks for the pair on the network thread's timers (there
//! is no mqueue file system to watch on every machine, and a look is one
//! failing `mq_open` when nobody is there), opens both ends non-blocking,
//! and the pair becomes a [`Link`](super::Link) whose descriptors mio polls
//! like sockets. One pair, so one client at a time; the next one connects
//! once the first is gone and its queues are unlinked.
//!
//! Each queue slot holds `<metadata JSON>\0<part>` ([`framing`]): the
//! protocol's frames, split across slots when larger than one. The wire
//! rules are in `docs/protocol/transport-and-lifecycle.md`, section 1.3.

pub(crate) mod framing;
mod link;
pub(crate) mod queue;
mod watch;

pub(crate) use watch::QueueFinder;
