//! The game's side of a soak run: what it drains each frame, echoes and
//! answers, and what it broadcasts and asks on its own.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;

use bytes::Bytes;
use switchboard::{ClientId, Host, HostError, HostEvent, RequestId};

use super::content::{ASK, BROADCAST, GAME, RPC, UP, check_content, expect_next, make_content};
use super::{Board, Channels, Options};

/// What the game does later when the host's command queue is full.
pub(super) enum Deferred {
    SendTo(ClientId, Bytes),
    Respond(ClientId, RequestId, Bytes),
    Publish(Bytes),
}

/// The game's side: one per client.
#[derive(Default)]
pub(super) struct GameSide {
    pub(super) up_received: u64,
    pub(super) echo_sent: u64,
    pub(super) rpc_seen: u64,
    pub(super) ask_sent: u64,
    pub(super) ask_answered: u64,
    pub(super) asks_in_flight: HashMap<RequestId, u64>,
    pub(super) id: Option<ClientId>,
    pub(super) gone: bool,
}

pub(super) struct Game<'a> {
    pub(super) host: &'a Host,
    pub(super) ids: Channels,
    pub(super) options: &'a Options,
    pub(super) board: &'a Board,
    pub(super) sides: Vec<GameSide>,
    pub(super) by_id: HashMap<ClientId, usize>,
    pub(super) deferred: VecDeque<Deferred>,
    pub(super) broadcasts: u64,
    pub(super) queue_full_retries: u64,
}

impl Game<'_> {
    /// Hands `item` to the host now, or later (in order) if the command
    /// queue is full.
    fn send_or_defer(&mut self, item: Deferred) {
        if self.deferred.is_empty() {
            match self.try_send(&item) {
                Ok(()) => return,
                Err(HostError::QueueFull(_)) => {}
                Err(e) => {
                    self.board.problem(format!("host call failed: {e}"));
                    return;
                }
            }
        }
        self.queue_full_retries += 1;
        self.deferred.push_back(item);
    }

    fn try_send(&self, item: &Deferred) -> Result<(), HostError> {
        match item {
            Deferred::SendTo(client, content) => {
                self.host.send_to(*client, self.ids.echo, content.clone())
            }
            Deferred::Respond(client, request, content) => {
                self.host.respond(*client, *request, content.clone())
            }
            Deferred::Publish(content) => self.host.publish(self.ids.broadcast, content.clone()),
        }
    }

    pub(super) fn flush_deferred(&mut self) {
        while let Some(item) = self.deferred.front() {
            match self.try_send(item) {
                Ok(()) => {
                    self.deferred.pop_front();
                }
                Err(HostError::QueueFull(_)) => return,
                Err(e) => {
                    self.board.problem(format!("host call failed: {e}"));
                    self.deferred.pop_front();
                }
            }
        }
    }

    pub(super) fn handle(&mut self, event: HostEvent) {
        let max = self.options.max_content;
        match event {
            HostEvent::Connected(info) => {
                let index = info
                    .name
                    .strip_prefix("soak-")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|&i| i < self.sides.len());
                match index {
                    Some(i) if self.sides[i].id.is_none() => {
                        self.sides[i].id = Some(info.id);
                        self.by_id.insert(info.id, i);
                    }
                    _ => self
                        .board
                        .problem(format!("unexpected client {:?} ({})", info.id, info.name)),
                }
            }
            HostEvent::Disconnected { client, reason } => {
                let Some(&i) = self.by_id.get(&client) else {
                    self.board
                        .problem(format!("unknown client {client:?} disconnected: {reason}"));
                    return;
                };
                if std::mem::replace(&mut self.sides[i].gone, true) {
                    self.board.problem(format!("client {i} disconnected twice"));
                } else if !self.board.finished[i].load(Ordering::Acquire) {
                    self.board
                        .problem(format!("client {i} disconnected unexpectedly: {reason}"));
                }
            }
            HostEvent::Message(m) => {
                let Some(&i) = self.by_id.get(&m.client()) else {
                    self.board
                        .problem(format!("message from unknown client {:?}", m.client()));
                    return;
                };
                let sender = i as u32;
                if let Some(request_id) = m.request_id() {
                    if m.channel() != self.ids.rpc {
                        self.board.problem(format!("request on {:?}", m.channel()));
                        return;
                    }
                    let checked = check_content(m.content(), sender, RPC, max).and_then(|seq| {
                        expect_next("client request", seq, &mut self.sides[i].rpc_seen)
                    });
                    if let Err(e) = checked {
                        self.board.problem(format!("client {i}: {e}"));
                    }
                    self.send_or_defer(Deferred::Respond(
                        m.client(),
                        request_id,
                        m.content_bytes(),
                    ));
                } else {
                    if m.channel() != self.ids.up {
                        self.board.problem(format!("message on {:?}", m.channel()));
                        return;
                    }
                    let checked = check_content(m.content(), sender, UP, max).and_then(|seq| {
                        expect_next("client publish", seq, &mut self.sides[i].up_received)
                    });
                    if let Err(e) = checked {
                        self.board.problem(format!("client {i}: {e}"));
                    }
                    self.sides[i].echo_sent += 1;
                    self.send_or_defer(Deferred::SendTo(m.client(), m.content_bytes()));
                }
            }
            HostEvent::Response(r) => {
                let Some(&i) = self.by_id.get(&r.client()) else {
                    self.board
                        .problem(format!("answer from unknown client {:?}", r.client()));
                    return;
                };
                let side = &mut self.sides[i];
                let Some(seq) = side.asks_in_flight.remove(&r.request_id()) else {
                    self.board
                        .problem(format!("client {i}: answer to {:?}", r.request_id()));
                    return;
                };
                let checked = match r.result() {
                    Ok(content) => check_content(content, i as u32, ASK, max).and_then(|got| {
                        if got == seq {
                            expect_next("client answer", seq, &mut side.ask_answered)
                        } else {
                            Err(format!("game request #{seq} answered with #{got}"))
                        }
                    }),
                    Err(reason) => Err(format!("game request #{seq} failed: {reason}")),
                };
                if let Err(e) = checked {
                    self.board.problem(format!("client {i}: {e}"));
                }
            }
            HostEvent::RequestFailed {
                client,
                request_id,
                reason,
            } => self.board.problem(format!(
                "game request {request_id:?} to {client:?} failed: {reason:?}"
            )),
            // The soak game dials nothing.
            HostEvent::Dial(status) => self.board.problem(format!("unexpected {status:?}")),
        }
    }

    /// The game's own traffic for one frame.
    pub(super) fn send_frame(&mut self, frame: u64) {
        for _ in 0..self.options.broadcast_per_frame {
            let content = make_content(GAME, BROADCAST, self.broadcasts, self.options.max_content);
            self.broadcasts += 1;
            self.send_or_defer(Deferred::Publish(content.into()));
        }
        if frame % self.options.ask_every.max(1) != 0 {
            return;
        }
        for i in 0..self.sides.len() {
            let Some(client) = self.sides[i].id.filter(|_| !self.sides[i].gone) else {
                continue;
            };
            let seq = self.sides[i].ask_sent;
            let content = make_content(i as u32, ASK, seq, self.options.max_content);
            // A refused request is simply not counted; it is asked again
            // next time with the same number.
            match self.host.request(client, self.ids.ask, content, None) {
                Ok(request_id) => {
                    self.sides[i].asks_in_flight.insert(request_id, seq);
                    self.sides[i].ask_sent += 1;
                }
                Err(HostError::QueueFull(_)) => self.queue_full_retries += 1,
                Err(e) => self.board.problem(format!("request to client {i}: {e}")),
            }
        }
    }
}
