//! The network thread's loop: accept, read, dispatch, timers, write.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use tungstenite::Message;

use super::connection::{AfterResponse, Connection, HttpExchange, HttpProgress, Phase};
use super::id_hash::IdMap;
use super::outbound::{Class, OutboundQueue};
use super::router::Router;
use super::session::{ReadOutcome, Session, SessionState};
use super::timers::{Timer, Timers};
use super::transport::Transport;
use super::{Command, NetConfig, Shared, dispatch};
use crate::host::{ClientId, HostEvent, RequestFailure, RequestId};
use crate::protocol::{CloseCode, encode_error, ipc};

pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);
const LISTENER_TOKEN: Token = Token(usize::MAX - 1);
/// Messages read from one connection before the others get a turn.
const READ_BUDGET: usize = 64;
/// Commands taken per loop turn before sockets get a turn.
const COMMAND_BUDGET: usize = 8192;

/// The loop's state apart from the connections, so handlers can hold a
/// connection and this at the same time.
pub(crate) struct Core {
    pub config: Arc<NetConfig>,
    pub router: Router,
    pub timers: Timers,
    events: Sender<HostEvent>,
    backlog: VecDeque<HostEvent>,
    shared: Arc<Shared>,
    pub write_list: Vec<ClientId>,
    /// The game dropped its end of the event queue.
    pub game_gone: bool,
}

impl Core {
    /// Hands an event to the game. When the game's queue is full the event
    /// waits in the backlog (in order) and reading stops until it drains.
    pub(crate) fn emit(&mut self, event: HostEvent) {
        if !self.backlog.is_empty() {
            self.backlog.push_back(event);
            return;
        }
        if let Err(event) = self.offer(event) {
            self.backlog.push_back(event);
            self.shared.waiting_for_space.store(true, Ordering::Release);
            // The game may have drained between the failed offer and the
            // flag; try once more so no wake-up is lost.
            self.flush_backlog();
        }
    }

    /// Puts an event in the game's queue unless it is full (by count, or by
    /// bytes of client frames); gives the event back when it is.
    fn offer(&mut self, event: HostEvent) -> Result<(), HostEvent> {
        let size = event.queued_size();
        let queued = &self.shared.queued_bytes;
        if size > 0 {
            let before = queued.fetch_add(size, Ordering::AcqRel);
            // One frame always fits in an empty queue, however large.
            if before > 0 && before + size > self.shared.queued_bytes_limit {
                queued.fetch_sub(size, Ordering::AcqRel);
                return Err(event);
            }
        }
        match self.events.try_send(event) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(event)) => {
                queued.fetch_sub(size, Ordering::AcqRel);
                Err(event)
            }
            Err(TrySendError::Disconnected(_)) => {
                queued.fetch_sub(size, Ordering::AcqRel);
                self.game_gone = true;
                Ok(())
            }
        }
    }

    pub(crate) fn flush_backlog(&mut self) {
        while let Some(event) = self.backlog.pop_front() {
            if let Err(event) = self.offer(event) {
                self.backlog.push_front(event);
                self.shared.waiting_for_space.store(true, Ordering::Release);
                return;
            }
            if self.game_gone {
                self.backlog.clear();
                return;
            }
        }
    }

    /// True while events wait for room in the game's queue.
    pub(crate) fn stalled(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// Lists a session for writing at the end of this loop turn.
    pub(crate) fn schedule_write(&mut self, id: ClientId, session: &mut Session) {
        if !session.listed_for_write {
            session.listed_for_write = true;
            self.write_list.push(id);
        }
    }

    pub(crate) fn new_outbound_queue(&self) -> OutboundQueue {
        let limits = &self.config.host.limits;
        OutboundQueue::new(limits.outbound_queue_messages, limits.outbound_queue_bytes)
    }
}

pub(crate) struct NetLoop {
    poll: Poll,
    listener: TcpListener,
    pub(super) conns: IdMap<ClientId, Connection>,
    next_client: u32,
    commands: Receiver<Command>,
    pub(super) core: Core,
    read_list: Vec<ClientId>,
    more_commands: bool,
    shutdown_deadline: Option<Instant>,
}

impl NetLoop {
    pub(crate) fn new(
        poll: Poll,
        mut listener: TcpListener,
        config: Arc<NetConfig>,
        commands: Receiver<Command>,
        events: Sender<HostEvent>,
        shared: Arc<Shared>,
    ) -> io::Result<Self> {
        poll.registry()
            .register(&mut listener, LISTENER_TOKEN, Interest::READABLE)?;
        Ok(Self {
            poll,
            listener,
            conns: IdMap::default(),
            next_client: 0,
            commands,
            core: Core {
                config,
                router: Router::default(),
                timers: Timers::default(),
                events,
                backlog: VecDeque::new(),
                shared,
                write_list: Vec::new(),
                game_gone: false,
            },
            read_list: Vec::new(),
            more_commands: false,
            shutdown_deadline: None,
        })
    }

    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.poll_timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::error!("network thread stopping: poll failed: {e}");
                break;
            }
            for event in events.iter() {
                self.on_event(event);
            }
            self.core
                .shared
                .wake_pending
                .store(false, Ordering::Release);
            self.run_commands();
            self.core.flush_backlog();
            self.read_connections();
            self.fire_timers();
            self.write_connections();
            self.compact_timers();
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
    /// the next timer otherwise, forever when idle.
    fn poll_timeout(&self) -> Option<Duration> {
        let readable_work = !self.read_list.is_empty() && !self.core.stalled();
        if readable_work || self.more_commands || !self.core.write_list.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut next = self.core.timers.next_deadline();
        if let Some(deadline) = self.shutdown_deadline {
            next = Some(next.map_or(deadline, |t| t.min(deadline)));
        }
        next.map(|at| at.saturating_duration_since(Instant::now()))
    }

    fn on_event(&mut self, event: &mio::event::Event) {
        match event.token() {
            LISTENER_TOKEN => self.accept_all(),
            WAKER_TOKEN => {}
            Token(raw) => {
                let Ok(raw) = u32::try_from(raw) else { return };
                let id = ClientId(raw);
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    conn.want_read = true;
                    if !conn.listed_for_read {
                        conn.listed_for_read = true;
                        self.read_list.push(id);
                    }
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    match &mut conn.phase {
                        Phase::WebSocket(session) => {
                            session.unblock();
                            self.core.schedule_write(id, session);
                        }
                        Phase::Http(_) => self.advance_http(id),
                        Phase::Switching => {}
                    }
                }
            }
        }
    }

    fn accept_all(&mut self) {
        loop {
            let (mut stream, addr) = match self.listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    return;
                }
            };
            let limits = &self.core.config.host.limits;
            if self.shutdown_deadline.is_some() || self.conns.len() >= limits.max_clients {
                let body = format!(
                    "host has reached max_clients ({}); try again later\n",
                    limits.max_clients
                );
                tracing::warn!("turned away {addr}: {}", body.trim_end());
                let response = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                // Best effort: a fresh socket takes a small write at once.
                let _ = stream.write(response.as_bytes());
                continue;
            }
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("set_nodelay on {addr}: {e}");
            }
            self.next_client += 1;
            let id = ClientId(self.next_client);
            let token = Token(id.0 as usize);
            if let Err(e) = self.poll.registry().register(
                &mut stream,
                token,
                Interest::READABLE | Interest::WRITABLE,
            ) {
                tracing::warn!("cannot register {addr}: {e}");
                continue;
            }
            let transport = match self.wrap(stream) {
                Ok(transport) => transport,
                Err(e) => {
                    tracing::warn!("cannot start TLS for {addr}: {e}");
                    continue;
                }
            };
            let deadline = Instant::now() + limits.handshake_timeout;
            self.core.timers.add(deadline, Timer::Handshake(id));
            tracing::debug!("{id} accepted from {addr}");
            self.conns.insert(
                id,
                Connection {
                    addr,
                    phase: Phase::Http(HttpExchange::new(transport)),
                    want_read: false,
                    listed_for_read: false,
                },
            );
        }
    }

    /// Puts TLS around a new socket when the host serves `wss://`.
    fn wrap(&self, stream: mio::net::TcpStream) -> Result<Transport, String> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.core.config.host.tls {
            let connection =
                rustls::ServerConnection::new(tls.0.clone()).map_err(|e| e.to_string())?;
            return Ok(Transport::Tls(Box::new(rustls::StreamOwned::new(
                connection, stream,
            ))));
        }
        Ok(Transport::Plain(stream))
    }

    fn run_commands(&mut self) {
        self.more_commands = false;
        for _ in 0..COMMAND_BUDGET {
            match self.commands.try_recv() {
                Ok(command) => self.apply(command),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    if self.shutdown_deadline.is_none() {
                        self.begin_shutdown();
                    }
                    return;
                }
            }
        }
        self.more_commands = true;
    }

    pub(super) fn begin_shutdown(&mut self) {
        tracing::info!(
            "host shutting down; closing {} connections",
            self.conns.len()
        );
        self.shutdown_deadline = Some(Instant::now() + self.core.config.host.limits.close_grace);
        let _ = self.poll.registry().deregister(&mut self.listener);
        let ids: Vec<ClientId> = self.conns.keys().copied().collect();
        for id in ids {
            let Some(conn) = self.conns.get_mut(&id) else {
                continue;
            };
            match &mut conn.phase {
                Phase::WebSocket(session) => {
                    dispatch::close_session(
                        &mut self.core,
                        id,
                        session,
                        CloseCode::GoingAway,
                        "host shutting down",
                        true,
                    );
                }
                Phase::Http(_) | Phase::Switching => self.remove(id, "host shutting down"),
            }
        }
    }

    fn read_connections(&mut self) {
        let list = std::mem::take(&mut self.read_list);
        for id in list {
            let Some(conn) = self.conns.get_mut(&id) else {
                continue;
            };
            conn.listed_for_read = false;
            match &conn.phase {
                Phase::Http(_) => self.advance_http(id),
                Phase::WebSocket(_) => self.read_session(id),
                Phase::Switching => {}
            }
        }
    }

    fn relist_for_read(&mut self, id: ClientId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            if !conn.listed_for_read {
                conn.listed_for_read = true;
                self.read_list.push(id);
            }
        }
    }

    fn read_session(&mut self, id: ClientId) {
        for _ in 0..READ_BUDGET {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            let addr = conn.addr;
            let Phase::WebSocket(session) = &mut conn.phase else {
                return;
            };
            // While the game's queue is full, leave messages in the socket so
            // TCP pushes back. Sessions that are closing or still waiting for
            // Hello may go on: they add at most one event each (Connected),
            // so a stalled game does not make new clients time out.
            if self.core.stalled() && session.state != SessionState::Closing && session.welcomed {
                self.relist_for_read(id);
                return;
            }
            match session.read() {
                ReadOutcome::Binary(bytes) if self.core.config.host.echo_mode => {
                    dispatch::queue(&mut self.core, id, session, Class::Reliable, bytes);
                }
                ReadOutcome::Text(text) if self.core.config.host.echo_mode => {
                    dispatch::queue_message(&mut self.core, id, session, Message::Text(text));
                }
                ReadOutcome::Binary(bytes) => {
                    if session.state != SessionState::Closing {
                        dispatch::on_binary(&mut self.core, id, addr, session, bytes);
                    }
                }
                ReadOutcome::Text(text) => {
                    let message = format!(
                        "text message of {} bytes refused: the protocol carries each Frame in a binary message",
                        text.len()
                    );
                    dispatch::reply_error(
                        &mut self.core,
                        id,
                        session,
                        ipc::ErrorCode::BadFrame,
                        &message,
                        0,
                        0,
                    );
                }
                ReadOutcome::Control => self.core.schedule_write(id, session),
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
                        dispatch::reply_error(
                            &mut self.core,
                            id,
                            session,
                            ipc::ErrorCode::TooLarge,
                            &reason,
                            0,
                            0,
                        );
                    }
                    dispatch::close_session(&mut self.core, id, session, code, &reason, true);
                }
            }
        }
        self.relist_for_read(id);
    }

    fn advance_http(&mut self, id: ClientId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Phase::Http(exchange) = &mut conn.phase else {
            return;
        };
        match exchange.advance(&self.core.config.host) {
            HttpProgress::Pending => {}
            HttpProgress::Failed(reason) => self.remove(id, &reason),
            HttpProgress::Finished(AfterResponse::Close) => self.remove(id, "HTTP response sent"),
            HttpProgress::Finished(AfterResponse::Upgrade { leftover }) => {
                let Phase::Http(exchange) = std::mem::replace(&mut conn.phase, Phase::Switching)
                else {
                    return;
                };
                let session = Session::new(
                    exchange.stream,
                    leftover,
                    self.core.config.ws,
                    self.core.new_outbound_queue(),
                );
                let mut session = session;
                if self.core.config.host.echo_mode {
                    session.state = SessionState::Open {
                        name: "echo".to_owned(),
                    };
                }
                conn.phase = Phase::WebSocket(Box::new(session));
                tracing::debug!("{id} upgraded to WebSocket");
                // The Hello may already be in the buffer or the socket.
                conn.want_read = true;
                self.relist_for_read(id);
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some((at, timer)) = self.core.timers.pop_due(now) {
            match timer {
                Timer::Handshake(id) => self.handshake_expired(id),
                Timer::CloseGrace(id) => self.close_grace_expired(id),
                Timer::InboundRequest(id, request_id) => {
                    self.inbound_request_expired(id, request_id, at);
                }
                Timer::OutboundRequest(id, request_id) => {
                    let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut())
                    else {
                        continue;
                    };
                    if session
                        .pending_out
                        .get(&request_id)
                        .is_some_and(|p| p.deadline == at)
                    {
                        session.pending_out.remove(&request_id);
                        self.core.emit(HostEvent::RequestFailed {
                            client: id,
                            request_id: RequestId(request_id),
                            reason: RequestFailure::Timeout,
                        });
                    }
                }
            }
        }
    }

    fn handshake_expired(&mut self, id: ClientId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let timeout = self.core.config.host.limits.handshake_timeout;
        match &mut conn.phase {
            Phase::Http(_) | Phase::Switching => {
                tracing::debug!("{id}: HTTP request not complete within {timeout:?}");
                self.remove(id, "HTTP request not complete in time");
            }
            Phase::WebSocket(session) if session.state == SessionState::AwaitingHello => {
                let reason = format!("no Hello within {} ms", timeout.as_millis());
                dispatch::reply_error(
                    &mut self.core,
                    id,
                    session,
                    ipc::ErrorCode::HandshakeRequired,
                    &reason,
                    0,
                    0,
                );
                dispatch::close_session(
                    &mut self.core,
                    id,
                    session,
                    CloseCode::HandshakeTimeout,
                    &reason,
                    true,
                );
            }
            Phase::WebSocket(_) => {}
        }
    }

    fn inbound_request_expired(&mut self, id: ClientId, request_id: u64, at: Instant) {
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        let Some(pending) = session.pending_in.get(&request_id).copied() else {
            return;
        };
        if pending.deadline != at {
            return;
        }
        session.pending_in.remove(&request_id);
        let timeout = self.core.config.host.limits.request_timeout;
        let message = format!(
            "no agent answered request {request_id} on channel {} within {} ms",
            pending.channel,
            timeout.as_millis()
        );
        let frame = encode_error(
            ipc::ErrorCode::Timeout,
            &message,
            request_id,
            pending.channel,
        );
        dispatch::queue_control(&mut self.core, id, session, frame);
    }

    fn write_connections(&mut self) {
        let list = std::mem::take(&mut self.core.write_list);
        for id in list {
            let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
                continue;
            };
            session.listed_for_write = false;
            if let Err(reason) = session.pump() {
                self.remove(id, &reason);
            }
        }
    }

    fn compact_timers(&mut self) {
        let conns = &self.conns;
        self.core.timers.compact(|at, timer| match timer {
            Timer::Handshake(id) | Timer::CloseGrace(id) => conns.contains_key(id),
            Timer::InboundRequest(id, request) => conns
                .get(id)
                .and_then(|c| match &c.phase {
                    Phase::WebSocket(s) => s.pending_in.get(request).map(|p| p.deadline == at),
                    _ => None,
                })
                .unwrap_or(false),
            Timer::OutboundRequest(id, request) => conns
                .get(id)
                .and_then(|c| match &c.phase {
                    Phase::WebSocket(s) => s.pending_out.get(request).map(|p| p.deadline == at),
                    _ => None,
                })
                .unwrap_or(false),
        });
    }

    /// A closing connection's grace period is over. If our close frame is
    /// still stuck behind data the peer has not read, the game is told the
    /// client is gone now, and the socket lingers (bounded by
    /// `close_linger`) so the peer can still learn why it was closed.
    fn close_grace_expired(&mut self, id: ClientId) {
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        if session.state != SessionState::Closing {
            return;
        }
        let reason = session.close_reason.clone().unwrap_or_default();
        if session.write_blocked() && !session.lingering {
            session.lingering = true;
            let linger = self.core.config.host.limits.close_linger;
            self.core
                .timers
                .add(Instant::now() + linger, Timer::CloseGrace(id));
            let welcomed = std::mem::replace(&mut session.welcomed, false);
            let pending: Vec<u64> = session.pending_out.drain().map(|(k, _)| k).collect();
            if welcomed {
                self.tell_game_gone(id, &format!("{reason}; peer is not reading"), pending);
            }
            return;
        }
        self.remove(id, &format!("{reason}; peer did not finish closing"));
    }

    /// Forgets a connection; tells the game if it knew the client.
    pub(super) fn remove(&mut self, id: ClientId, reason: &str) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return;
        };
        if let Some(stream) = conn.stream_mut() {
            let _ = self.poll.registry().deregister(stream);
        }
        self.core.router.drop_client(id);
        let Phase::WebSocket(session) = conn.phase else {
            tracing::debug!("{id} ({}) gone before upgrade: {reason}", conn.addr);
            return;
        };
        if !session.welcomed {
            tracing::debug!("{id} ({}) gone before Hello: {reason}", conn.addr);
            return;
        }
        let pending: Vec<u64> = session.pending_out.keys().copied().collect();
        self.tell_game_gone(id, reason, pending);
    }

    /// Fails the game's requests to `id` and reports it disconnected.
    fn tell_game_gone(&mut self, id: ClientId, reason: &str, mut failed: Vec<u64>) {
        tracing::info!("{id} disconnected: {reason}");
        failed.sort_unstable();
        for request_id in failed {
            self.core.emit(HostEvent::RequestFailed {
                client: id,
                request_id: RequestId(request_id),
                reason: RequestFailure::ClientGone,
            });
        }
        self.core.emit(HostEvent::Disconnected {
            client: id,
            reason: reason.to_owned(),
        });
    }
}
