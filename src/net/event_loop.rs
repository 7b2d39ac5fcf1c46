//! The network thread's loop: wait for readiness, then commands, reads,
//! timers and writes, each turn in that order.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};

use super::command_queue::{CommandReceiver, Senders};
use super::commands::{self, Command};
use super::connections::{Connections, Endpoint};
use super::core::Core;
use super::deadlines;
use super::recheck::Recheck;
use super::session::inbound;
use super::session::outbound::{self, close_session, reply_error, schedule_write};
use super::session::{Class, OutboundQueue, ReadOutcome, Session, SessionState};
use super::timers::Timer;
use super::transport::dial::{DialPlan, Dialer, Step};
use super::transport::{Acceptor, Doorbell, Finder, Link, OpenProgress, Payload, Ring};
use crate::protocol::{ClientId, CloseCode, ipc};

pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);
/// Acceptor `i` listens under `Token(FIRST_ACCEPTOR_TOKEN - i)`.
const FIRST_ACCEPTOR_TOKEN: usize = usize::MAX - 1;
/// Messages read from one connection before the others get a turn.
const READ_BUDGET: usize = 64;
/// Commands taken per loop turn before sockets get a turn.
const COMMAND_BUDGET: usize = 8192;

pub(crate) struct NetLoop {
    poll: Poll,
    acceptors: Vec<Box<dyn Acceptor>>,
    /// Transports that look for peers; finder `i` on `Timer::Look(i)`.
    finders: Vec<Box<dyn Finder>>,
    conns: Connections,
    next_client: u32,
    commands: CommandReceiver,
    /// Commands taken off the queue and not applied yet (a turn applies at
    /// most `COMMAND_BUDGET`).
    taken_commands: VecDeque<Command>,
    doorbell: Arc<Doorbell>,
    rung: Vec<Token>,
    core: Core,
    dialer: Dialer,
    read_list: Vec<ClientId>,
    more_commands: bool,
    shutdown_deadline: Option<Instant>,
    recheck: Recheck,
}

impl NetLoop {
    pub(crate) fn new(
        poll: Poll,
        mut acceptors: Vec<Box<dyn Acceptor>>,
        finders: Vec<Box<dyn Finder>>,
        commands: CommandReceiver,
        mut core: Core,
        dial: DialPlan,
    ) -> io::Result<Self> {
        for (i, acceptor) in acceptors.iter_mut().enumerate() {
            acceptor.register(poll.registry(), Token(FIRST_ACCEPTOR_TOKEN - i))?;
        }
        let backoff = core.config.host.dial_backoff;
        let dialer = Dialer::new(dial, backoff, &mut core);
        for i in 0..finders.len() {
            core.timers.add(Instant::now(), Timer::Look(i));
        }
        Ok(Self {
            dialer,
            doorbell: Arc::new(Doorbell::new(Arc::clone(&core.handoff))),
            poll,
            acceptors,
            finders,
            conns: Connections::default(),
            next_client: 0,
            commands,
            taken_commands: VecDeque::new(),
            rung: Vec::new(),
            core,
            read_list: Vec::new(),
            more_commands: false,
            shutdown_deadline: None,
            recheck: Recheck::default(),
        })
    }

    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.poll_timeout();
            let polled = self.poll.poll(&mut events, timeout);
            self.recheck.woke(&self.core.handoff);
            if let Err(e) = polled {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!("network thread stopping: poll failed: {e}");
                break;
            }
            for event in events.iter() {
                let readable = event.is_readable() || event.is_read_closed() || event.is_error();
                let writable = event.is_writable() || event.is_write_closed() || event.is_error();
                self.on_ready(event.token(), readable, writable);
            }
            self.core
                .handoff
                .wake_pending
                .store(false, Ordering::Release);
            self.answer_doorbell();
            self.run_commands();
            self.dial_resolved();
            self.core.flush_backlog();
            self.read_connections();
            self.fire_timers();
            self.write_connections();
            self.core.send_batch();
            deadlines::compact(&mut self.core, &self.conns);
            if self.core.game_gone && self.shutdown_deadline.is_none() {
                self.begin_shutdown();
            }
            if let Some(deadline) = self.shutdown_deadline {
                if self.conns.is_empty() || Instant::now() >= deadline {
                    break;
                }
            }
        }
        tracing::debug!("network thread stopped");
    }

    /// How long `poll` may sleep: not at all while work is left over, until
    /// the next timer or the game's recheck otherwise, forever when idle.
    fn poll_timeout(&mut self) -> Option<Duration> {
        let readable_work = !self.read_list.is_empty() && !self.core.stalled();
        if readable_work || self.more_commands || !self.core.write_list.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut next = self.core.timers.next_deadline();
        if let Some(deadline) = self.shutdown_deadline {
            next = Some(next.map_or(deadline, |t| t.min(deadline)));
        }
        let sleep = next.map(|at| at.saturating_duration_since(Instant::now()));
        match (sleep, self.recheck.before_sleep(&self.core.handoff)) {
            (Some(sleep), Some(recheck)) => Some(sleep.min(recheck)),
            (sleep, recheck) => sleep.or(recheck),
        }
    }

    /// Links without a file descriptor ring instead of raising mio events.
    fn answer_doorbell(&mut self) {
        let mut rung = std::mem::take(&mut self.rung);
        self.doorbell.take(&mut rung);
        for token in rung.drain(..) {
            self.on_ready(token, true, true);
        }
        self.rung = rung;
    }

    fn on_ready(&mut self, token: Token, readable: bool, writable: bool) {
        if token == WAKER_TOKEN {
            return;
        }
        if let Some(index) = FIRST_ACCEPTOR_TOKEN.checked_sub(token.0) {
            if index < self.acceptors.len() {
                self.accept_all(index);
                return;
            }
        }
        let Ok(raw) = u32::try_from(token.0) else {
            return;
        };
        let id = ClientId(raw);
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if readable {
            conn.want_read = true;
            if !conn.listed_for_read {
                conn.listed_for_read = true;
                self.read_list.push(id);
            }
        }
        if writable {
            match &mut conn.endpoint {
                Endpoint::Session(session) => {
                    session.unblock();
                    schedule_write(&mut self.core, id, session);
                }
                Endpoint::Opening(_) => self.advance_opening(id),
                Endpoint::Switching => {}
            }
        }
    }

    fn next_id(&mut self) -> ClientId {
        self.next_client += 1;
        ClientId(self.next_client)
    }

    fn has_room(&self) -> bool {
        self.shutdown_deadline.is_none()
            && self.conns.len() < self.core.config.host.limits.max_clients
    }

    fn accept_all(&mut self, index: usize) {
        loop {
            let room = self.has_room();
            let Some(arrival) = self.acceptors[index].accept(room) else {
                return;
            };
            let mut opening = match arrival {
                Ok(opening) => opening,
                Err(line) => {
                    tracing::warn!("{line}");
                    continue;
                }
            };
            let id = self.next_id();
            if let Err(e) = opening.register(self.poll.registry(), Token(id.0 as usize)) {
                tracing::warn!("cannot register {}: {e}", opening.peer());
                continue;
            }
            let deadline = Instant::now() + self.core.config.host.limits.handshake_timeout;
            self.core.timers.add(deadline, Timer::Handshake(id));
            tracing::debug!("{id} accepted from {}", opening.peer());
            self.conns.insert(id, Endpoint::Opening(opening));
        }
    }

    /// Starts a session over a link made elsewhere (the in-memory pair).
    fn attach(&mut self, mut link: Box<dyn Link>) {
        let peer = link.peer();
        if !self.has_room() {
            let reason = format!(
                "host has reached max_clients ({}); try again later",
                self.core.config.host.limits.max_clients
            );
            tracing::warn!("turned away {peer}: {reason}");
            link.close(CloseCode::TryAgainLater, &reason);
            let _ = link.flush();
            return;
        }
        let id = self.next_id();
        let token = Token(id.0 as usize);
        let ring = Ring::new(Arc::clone(&self.doorbell), token);
        if let Err(e) = link.register(self.poll.registry(), token, ring) {
            tracing::warn!("cannot register {peer}: {e}");
            return;
        }
        let timeout = link
            .admission()
            .and_then(|a| a.handshake_timeout)
            .unwrap_or(self.core.config.host.limits.handshake_timeout);
        self.core
            .timers
            .add(Instant::now() + timeout, Timer::Handshake(id));
        tracing::debug!("{id} attached ({peer})");
        self.start_session(id, link);
    }

    fn start_session(&mut self, id: ClientId, link: Box<dyn Link>) {
        let mut session = Session::new(link, self.new_outbound_queue());
        if self.core.config.host.echo_mode {
            session.state = SessionState::Open {
                name: "echo".to_owned(),
            };
        }
        let endpoint = Endpoint::Session(Box::new(session));
        match self.conns.get_mut(id) {
            Some(conn) => {
                conn.endpoint = endpoint;
                conn.want_read = true;
            }
            None => self.conns.insert(id, endpoint),
        }
        // The Hello may already be buffered.
        self.relist_for_read(id);
    }

    fn new_outbound_queue(&self) -> OutboundQueue {
        let limits = &self.core.config.host.limits;
        OutboundQueue::new(limits.outbound_queue_messages, limits.outbound_queue_bytes)
    }

    fn run_commands(&mut self) {
        self.more_commands = false;
        self.core.clock.next_turn();
        let senders = self.commands.take_all(&mut self.taken_commands);
        for _ in 0..COMMAND_BUDGET {
            match self.taken_commands.pop_front() {
                Some(Command::Shutdown) => self.begin_shutdown(),
                Some(Command::Attach(link)) => self.attach(link),
                Some(command) => commands::apply(command, &mut self.conns, &mut self.core),
                None => {
                    if senders == Senders::Gone && self.shutdown_deadline.is_none() {
                        self.begin_shutdown();
                    }
                    return;
                }
            }
        }
        self.more_commands = true;
    }

    /// Starts an outbound attempt as a connection, like an accepted one:
    /// it counts against `max_clients` and has the handshake timeout.
    fn dial_step(&mut self, step: Step) {
        let Step::Attempt(index, mut opening) = step else {
            return;
        };
        let id = self.next_id();
        if let Err(e) = opening.register(self.poll.registry(), Token(id.0 as usize)) {
            let reason = format!("cannot register {}: {e}", opening.peer());
            self.dialer.not_attached(index, reason, &mut self.core);
            return;
        }
        let deadline = Instant::now() + self.core.config.host.limits.handshake_timeout;
        self.core.timers.add(deadline, Timer::Handshake(id));
        tracing::debug!("{id} dialling {}", opening.peer());
        self.dialer.attached(index, id);
        self.conns.insert(id, Endpoint::Opening(opening));
        // A failed connect reports itself as an event; nothing to do now.
    }

    fn dial_resolved(&mut self) {
        for step in self.dialer.resolved(&mut self.core) {
            self.dial_step(step);
        }
    }

    fn begin_shutdown(&mut self) {
        self.dialer.stop();
        tracing::info!(
            "host shutting down; closing {} connections",
            self.conns.len()
        );
        self.shutdown_deadline = Some(Instant::now() + self.core.config.host.limits.close_grace);
        for acceptor in &mut self.acceptors {
            acceptor.deregister(self.poll.registry());
        }
        for id in self.conns.ids() {
            match self.conns.session_mut(id) {
                Some(session) => close_session(
                    &mut self.core,
                    id,
                    session,
                    CloseCode::GoingAway,
                    "host shutting down",
                    true,
                ),
                None => self.remove(id, "host shutting down"),
            }
        }
    }

    fn remove(&mut self, id: ClientId, reason: &str) {
        let healthy_after = self.dialer.healthy_after();
        let healthy = self
            .conns
            .session(id)
            .and_then(|s| s.welcomed_at)
            .is_some_and(|at| at.elapsed() >= healthy_after);
        self.conns
            .remove(id, reason, self.poll.registry(), &mut self.core);
        self.dialer.removed(id, reason, healthy, &mut self.core);
    }

    fn read_connections(&mut self) {
        let list = std::mem::take(&mut self.read_list);
        for id in list {
            let Some(conn) = self.conns.get_mut(id) else {
                continue;
            };
            conn.listed_for_read = false;
            match &conn.endpoint {
                Endpoint::Opening(_) => self.advance_opening(id),
                Endpoint::Session(_) => self.read_session(id),
                Endpoint::Switching => {}
            }
        }
    }

    fn relist_for_read(&mut self, id: ClientId) {
        if let Some(conn) = self.conns.get_mut(id) {
            if !conn.listed_for_read {
                conn.listed_for_read = true;
                self.read_list.push(id);
            }
        }
    }

    fn read_session(&mut self, id: ClientId) {
        let echo = self.core.config.host.echo_mode;
        for _ in 0..READ_BUDGET {
            let Some(conn) = self.conns.get_mut(id) else {
                return;
            };
            let Endpoint::Session(session) = &mut conn.endpoint else {
                return;
            };
            // While the game's queue is full, leave messages in the link so
            // the transport pushes back. Sessions that are closing or still
            // waiting for Hello may go on: they add at most one event each
            // (Connected), so a stalled game does not make new clients time out.
            if self.core.stalled() && session.state != SessionState::Closing && session.welcomed {
                self.relist_for_read(id);
                return;
            }
            match session.read() {
                ReadOutcome::Message(payload) if echo => {
                    outbound::queue_payload(&mut self.core, id, session, Class::Reliable, payload);
                }
                ReadOutcome::Message(Payload::Binary(bytes)) => {
                    if session.state == SessionState::Closing {
                        inbound::on_binary_while_closing(&mut self.core, id, session, bytes);
                    } else {
                        inbound::on_binary(&mut self.core, id, session, bytes);
                    }
                }
                ReadOutcome::Message(Payload::Text(text)) => {
                    let message = format!(
                        "text message of {} bytes refused: the protocol carries each Frame in a binary message",
                        text.len()
                    );
                    reply_error(
                        &mut self.core,
                        id,
                        session,
                        ipc::ErrorCode::BadFrame,
                        &message,
                        0,
                        0,
                    );
                }
                ReadOutcome::Control => schedule_write(&mut self.core, id, session),
                ReadOutcome::WouldBlock => {
                    conn.want_read = false;
                    return;
                }
                ReadOutcome::Ended(reason) => {
                    self.remove(id, &reason);
                    return;
                }
                ReadOutcome::Violation(code, reason) => {
                    tracing::debug!("{id}: {reason}");
                    if code == CloseCode::MessageTooBig {
                        reply_error(
                            &mut self.core,
                            id,
                            session,
                            ipc::ErrorCode::TooLarge,
                            &reason,
                            0,
                            0,
                        );
                    }
                    close_session(&mut self.core, id, session, code, &reason, true);
                }
            }
        }
        self.relist_for_read(id);
    }

    fn advance_opening(&mut self, id: ClientId) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let Endpoint::Opening(opening) = &mut conn.endpoint else {
            return;
        };
        match opening.advance() {
            OpenProgress::Pending => {}
            OpenProgress::Done(reason) => self.remove(id, &reason),
            OpenProgress::Ready => {
                let Endpoint::Opening(opening) =
                    std::mem::replace(&mut conn.endpoint, Endpoint::Switching)
                else {
                    return;
                };
                let link = opening.into_link();
                tracing::debug!("{id} opened ({})", link.peer());
                self.start_session(id, link);
                self.dialer.opened(id, &mut self.core);
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some((at, timer)) = self.core.timers.pop_due(now) {
            if let Timer::Dial(index) = timer {
                let room = self.has_room();
                let step = self.dialer.due(index, at, room, &mut self.core);
                self.dial_step(step);
                continue;
            }
            if let Timer::Look(index) = timer {
                self.look(index, now);
                continue;
            }
            match deadlines::fire(&mut self.core, &mut self.conns, timer, at) {
                deadlines::Verdict::Keep => {}
                deadlines::Verdict::Remove(id, reason) => self.remove(id, &reason),
            }
        }
    }

    /// A finder's turn; the next one is due an interval later, unless the
    /// host is shutting down.
    fn look(&mut self, index: usize, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let Some(finder) = self.finders.get_mut(index) else {
            return;
        };
        let found = finder.look();
        let next = now + finder.interval();
        self.core.timers.add(next, Timer::Look(index));
        if let Some(link) = found {
            self.attach(link);
        }
    }

    fn write_connections(&mut self) {
        let list = std::mem::take(&mut self.core.write_list);
        for id in list {
            let Some(session) = self.conns.session_mut(id) else {
                continue;
            };
            session.listed_for_write = false;
            if let Err(reason) = session.pump() {
                self.remove(id, &reason);
            }
        }
    }
}
