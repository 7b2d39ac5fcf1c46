//! Plugin processes' pipes: a [`Link`](super::Link) over two pipe file
//! descriptors, carrying the schema's frames length-delimited
//! ([`framing`]). The game's plugin manager makes the pipes, spawns the
//! plugin, and hands the link to the network thread with
//! [`Command::Attach`](crate::net::Command::Attach), so a plugin is a
//! session like any WebSocket client: `Hello` first, the same limits,
//! queues, policies and verification. What differs is in its
//! [`Admission`](super::Admission): the name it must register with, and
//! the directories its `Welcome` carries.

pub(crate) mod framing;
mod link;
mod watch;

pub(crate) use link::PipeLink;
pub(crate) use watch::PipeWatch;
