//! One client's queue of frames waiting to be written, with the per-channel
//! delivery policies: control frames and reliable data are kept in order up
//! to a bound; latest-value data is conflated to one pending frame per channel.

use std::collections::{HashMap, VecDeque};

use crate::net::transport::Payload;

/// What a frame is, for queueing purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Responses, errors, channel changes, requests: never dropped.
    Control,
    /// Data on a reliable channel: never dropped.
    Reliable,
    /// Data on a latest-value channel: an unsent older frame on the same
    /// channel is replaced.
    Latest(u32),
}

/// The queue is over its bound; the client must be disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow {
    pub messages: usize,
    pub bytes: usize,
}

#[derive(Debug)]
enum Slot {
    Frame(Payload),
    /// The newest frame for this channel lives in `latest`.
    Latest(u32),
}

#[derive(Debug)]
pub(crate) struct OutboundQueue {
    slots: VecDeque<Slot>,
    latest: HashMap<u32, Payload>,
    queued_bytes: usize,
    max_messages: usize,
    max_bytes: usize,
    conflated: u64,
}

impl OutboundQueue {
    pub(crate) fn new(max_messages: usize, max_bytes: usize) -> Self {
        Self {
            slots: VecDeque::new(),
            latest: HashMap::new(),
            queued_bytes: 0,
            max_messages,
            max_bytes,
            conflated: 0,
        }
    }

    /// Queues `frame`. Latest-value frames never overflow: they replace the
    /// older frame of their channel, so such a queue holds at most one frame
    /// per channel.
    pub(crate) fn push(&mut self, class: Class, frame: Payload) -> Result<(), Overflow> {
        match class {
            Class::Latest(channel) => {
                let len = frame.len();
                match self.latest.insert(channel, frame) {
                    Some(old) => {
                        self.queued_bytes = self.queued_bytes - old.len() + len;
                        self.conflated += 1;
                    }
                    None => {
                        self.queued_bytes += len;
                        self.slots.push_back(Slot::Latest(channel));
                    }
                }
                Ok(())
            }
            Class::Control | Class::Reliable => {
                if self.slots.len() >= self.max_messages
                    || self.queued_bytes + frame.len() > self.max_bytes
                {
                    return Err(Overflow {
                        messages: self.slots.len(),
                        bytes: self.queued_bytes,
                    });
                }
                self.queued_bytes += frame.len();
                self.slots.push_back(Slot::Frame(frame));
                Ok(())
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(crate) fn pop(&mut self) -> Option<Payload> {
        let frame = match self.slots.pop_front()? {
            Slot::Frame(frame) => frame,
            Slot::Latest(channel) => self.latest.remove(&channel)?,
        };
        self.queued_bytes -= frame.len();
        Some(frame)
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.latest.clear();
        self.queued_bytes = 0;
    }

    /// Frames replaced by newer ones so far.
    #[cfg(test)]
    pub(crate) fn conflated(&self) -> u64 {
        self.conflated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(b: &'static [u8]) -> Payload {
        Payload::Binary(bytes::Bytes::from_static(b))
    }

    #[test]
    fn latest_conflates_and_keeps_position() {
        let mut q = OutboundQueue::new(10, 1000);
        q.push(Class::Latest(1), bin(b"a1")).unwrap();
        q.push(Class::Reliable, bin(b"r")).unwrap();
        q.push(Class::Latest(1), bin(b"a2")).unwrap();
        q.push(Class::Latest(2), bin(b"b1")).unwrap();
        assert_eq!(q.conflated(), 1);
        assert_eq!(q.pop().unwrap(), bin(b"a2"));
        assert_eq!(q.pop().unwrap(), bin(b"r"));
        assert_eq!(q.pop().unwrap(), bin(b"b1"));
        assert!(q.pop().is_none());
        assert_eq!(q.queued_bytes, 0);
    }

    #[test]
    fn reliable_overflows_by_count_and_bytes() {
        let mut q = OutboundQueue::new(2, 1000);
        q.push(Class::Reliable, bin(b"1")).unwrap();
        q.push(Class::Control, bin(b"2")).unwrap();
        assert!(q.push(Class::Reliable, bin(b"3")).is_err());
        let mut q = OutboundQueue::new(100, 4);
        q.push(Class::Reliable, bin(b"123")).unwrap();
        assert!(q.push(Class::Reliable, bin(b"45")).is_err());
    }
}
