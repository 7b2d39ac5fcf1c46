//! The game's commands to the network thread: a bounded queue under a lock.
//!
//! Why not a lock-free channel: crossbeam's bounded channel makes a
//! receiver spin, without yielding, while a sender that has claimed a slot
//! has not filled it yet. When the game's thread and the network thread
//! share a core and the sender is preempted in between (a socket waking the
//! network thread is enough), the network thread spins until its time slice
//! ends: a profile of the Host API echo put a quarter of the process's CPU
//! there. Behind a lock the waiting side sleeps in the kernel instead and
//! the preempted sender runs; and the network thread takes every waiting
//! command with one lock per loop turn, swapping buffers, so nothing is
//! allocated in the steady state.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) use crossbeam_channel::TrySendError;

use super::commands::Command;

/// A queue for at most `capacity` commands (plus shutdown, which always
/// fits), with its two ends.
pub(crate) fn command_queue(capacity: usize) -> (CommandSender, CommandReceiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            senders: 1,
            receiver_gone: false,
        }),
        capacity,
    });
    (
        CommandSender {
            shared: Arc::clone(&shared),
        },
        CommandReceiver { shared },
    )
}

struct Shared {
    state: Mutex<State>,
    capacity: usize,
}

struct State {
    queue: VecDeque<Command>,
    senders: usize,
    receiver_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change under the lock is one push, one swap or one counter:
        // a panic elsewhere cannot leave the state half changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The game's end; cloned for threads that start and stop plugin sessions.
pub(crate) struct CommandSender {
    shared: Arc<Shared>,
}

impl CommandSender {
    /// Queues `command` unless the queue is full or the network thread is
    /// gone; the command comes back in the error.
    pub(crate) fn try_send(&self, command: Command) -> Result<(), TrySendError<Command>> {
        let mut state = self.shared.lock();
        if state.receiver_gone {
            return Err(TrySendError::Disconnected(command));
        }
        if state.queue.len() >= self.shared.capacity {
            return Err(TrySendError::Full(command));
        }
        state.queue.push_back(command);
        Ok(())
    }

    /// Queues `command` even when the queue is full: for shutdown, which
    /// must get through and adds one entry.
    pub(crate) fn send_regardless(&self, command: Command) {
        let mut state = self.shared.lock();
        if !state.receiver_gone {
            state.queue.push_back(command);
        }
    }

    /// Commands waiting for the network thread.
    pub(crate) fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }
}

impl Clone for CommandSender {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for CommandSender {
    fn drop(&mut self) {
        self.shared.lock().senders -= 1;
    }
}

/// The network thread's end.
pub(crate) struct CommandReceiver {
    shared: Arc<Shared>,
}

/// What [`CommandReceiver::take_all`] found besides the commands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Senders {
    /// Someone can still send.
    Present,
    /// Every sender is gone (the game dropped its host without shutdown).
    Gone,
}

impl CommandReceiver {
    /// Moves every waiting command to the end of `into`.
    pub(crate) fn take_all(&self, into: &mut VecDeque<Command>) -> Senders {
        let mut state = self.shared.lock();
        if into.is_empty() {
            std::mem::swap(&mut state.queue, into);
        } else {
            into.append(&mut state.queue);
        }
        if state.senders == 0 {
            Senders::Gone
        } else {
            Senders::Present
        }
    }
}

impl Drop for CommandReceiver {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receiver_gone = true;
        state.queue.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ClientId;

    fn disconnect(n: u32) -> Command {
        Command::Disconnect {
            client: ClientId(n),
            reason: String::new(),
        }
    }

    #[test]
    fn full_queue_hands_the_command_back_and_shutdown_still_fits() {
        let (tx, rx) = command_queue(2);
        assert!(tx.try_send(disconnect(1)).is_ok());
        assert!(tx.try_send(disconnect(2)).is_ok());
        assert!(matches!(
            tx.try_send(disconnect(3)),
            Err(TrySendError::Full(_))
        ));
        tx.send_regardless(Command::Shutdown);
        assert_eq!(tx.len(), 3);
        let mut taken = VecDeque::new();
        assert_eq!(rx.take_all(&mut taken), Senders::Present);
        assert_eq!(taken.len(), 3);
        assert!(matches!(taken.pop_back(), Some(Command::Shutdown)));
        assert_eq!(tx.len(), 0);
    }

    #[test]
    fn commands_keep_their_order_across_takes() {
        let (tx, rx) = command_queue(8);
        let mut taken = VecDeque::new();
        tx.try_send(disconnect(1)).ok();
        rx.take_all(&mut taken);
        tx.try_send(disconnect(2)).ok();
        rx.take_all(&mut taken);
        let order: Vec<u32> = taken
            .iter()
            .map(|c| match c {
                Command::Disconnect { client, .. } => client.0,
                _ => 0,
            })
            .collect();
        assert_eq!(order, [1, 2]);
    }

    #[test]
    fn either_end_going_is_seen_by_the_other() {
        let (tx, rx) = command_queue(4);
        let second = tx.clone();
        drop(tx);
        let mut taken = VecDeque::new();
        assert_eq!(rx.take_all(&mut taken), Senders::Present);
        drop(second);
        assert_eq!(rx.take_all(&mut taken), Senders::Gone);

        let (tx, rx) = command_queue(4);
        drop(rx);
        assert!(matches!(
            tx.try_send(disconnect(1)),
            Err(TrySendError::Disconnected(_))
        ));
    }
}
