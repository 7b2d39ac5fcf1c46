//! The soak run, shared by `examples/soak.rs` (a minute or more, by hand or
//! in CI) and `tests/soak_smoke.rs` (a few seconds): a host with reliable
//! channels, clients publishing, requesting and answering, and a game loop
//! that drains events once per frame and sleeps between frames like a game.
//! Every message carries its sender's index and a sequence number, and
//! every receiver checks that the numbers arrive complete, once and in
//! order. Loopback only.
//!
//! Traffic:
//! - `soak/up` (clients may publish): each client publishes with at most
//!   `window` messages unanswered; the game checks the order and echoes each
//!   one back to its sender on `soak/echo` (`Host::send_to`).
//! - `soak/broadcast`: the game publishes `broadcast_per_frame` messages per
//!   frame; every client subscribes and must see all of them, in order, with
//!   consecutive channel sequence numbers.
//! - `soak/rpc`: each client keeps up to `rpc_window` requests in flight; the
//!   game answers each with its content.
//! - `soak/ask`: every `ask_every` frames the game sends each client a
//!   request, which the client answers with its content.
//!
//! At the end, clients stop sending, everything in flight is awaited (at
//! most `drain_timeout`), clients close, and the host shuts down.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::{
    ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostError, HostEvent, RequestId,
};

/// How hard and how long to soak.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long clients and game send.
    pub duration: Duration,
    /// Number of clients.
    pub clients: usize,
    /// `soak/up` messages a client may have sent and not yet had echoed.
    pub window: u64,
    /// Requests a client keeps in flight on `soak/rpc`.
    pub rpc_window: usize,
    /// Broadcasts the game publishes per frame.
    pub broadcast_per_frame: u64,
    /// The game asks every client something every this many frames.
    pub ask_every: u64,
    /// Largest content; contents vary from 16 bytes to this.
    pub max_content: usize,
    /// Longest wait for connections, and for everything in flight at the end.
    pub drain_timeout: Duration,
}

impl Options {
    /// The defaults for a run of `duration`.
    pub fn for_duration(duration: Duration) -> Self {
        Self {
            duration,
            clients: 8,
            window: 32,
            rpc_window: 8,
            broadcast_per_frame: 4,
            ask_every: 5,
            max_content: 512,
            drain_timeout: Duration::from_secs(20),
        }
    }
}

/// Content: sender index, stream kind, sequence number, then filler that
/// depends on the sequence number, so corruption shows as well as loss.
const HEADER: usize = 16;
const UP: u32 = 1;
const BROADCAST: u32 = 2;
const RPC: u32 = 3;
const ASK: u32 = 4;

fn content_len(seq: u64, max: usize) -> usize {
    let spread = (max.max(HEADER + 1) - HEADER) as u64;
    HEADER + ((seq.wrapping_mul(7919)) % spread) as usize
}

fn make_content(sender: u32, kind: u32, seq: u64, max: usize) -> Vec<u8> {
    let mut content = vec![seq as u8; content_len(seq, max)];
    content[..4].copy_from_slice(&sender.to_le_bytes());
    content[4..8].copy_from_slice(&kind.to_le_bytes());
    content[8..16].copy_from_slice(&seq.to_le_bytes());
    content
}

/// Reads a content back: `Ok(seq)` when sender, kind, length and filler
/// are as made by `make_content`.
fn check_content(content: &[u8], sender: u32, kind: u32, max: usize) -> Result<u64, String> {
    if content.len() < HEADER {
        return Err(format!("content of {} bytes", content.len()));
    }
    let got_sender = u32::from_le_bytes(content[..4].try_into().unwrap());
    let got_kind = u32::from_le_bytes(content[4..8].try_into().unwrap());
    let seq = u64::from_le_bytes(content[8..16].try_into().unwrap());
    if got_sender != sender || got_kind != kind {
        return Err(format!(
            "expected sender {sender} kind {kind}, got sender {got_sender} kind {got_kind}"
        ));
    }
    if content.len() != content_len(seq, max) || content[HEADER..].iter().any(|&b| b != seq as u8) {
        return Err(format!("content of #{seq} corrupted"));
    }
    Ok(seq)
}

/// The game's sender index in contents.
const GAME: u32 = u32::MAX;

/// Counts of one stream, in one direction, for one client.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stream {
    /// Messages sent.
    pub sent: u64,
    /// Messages received.
    pub received: u64,
}

/// The numbers of one client.
#[derive(Debug, Default, Clone)]
pub struct ClientReport {
    /// Client to game on `soak/up` (received: counted by the game).
    pub up: Stream,
    /// Game to client on `soak/echo`.
    pub echo: Stream,
    /// Game to client on `soak/broadcast` (sent: the game's publishes).
    pub broadcast: Stream,
    /// Client requests (received: answers the client got).
    pub rpc: Stream,
    /// Game requests (received: answers the game got).
    pub ask: Stream,
    /// Requests from the game the client saw.
    pub ask_seen: u64,
    /// Client requests the game saw.
    pub rpc_seen: u64,
}

/// Everything a run found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Per client.
    pub clients: Vec<ClientReport>,
    /// Broadcasts published.
    pub broadcasts: u64,
    /// Seconds of sending.
    pub send_seconds: f64,
    /// Seconds from the stop until everything had arrived.
    pub drain_seconds: f64,
    /// Frames the game ran.
    pub frames: u64,
    /// Most events drained in one frame.
    pub max_events_per_frame: usize,
    /// Host calls refused with QueueFull and retried next frame.
    pub queue_full_retries: u64,
    /// Peak resident memory of the process (VmHWM), KiB.
    pub peak_rss_kib: u64,
    /// Everything that went wrong: loss, duplicates, reordering, corruption,
    /// unexpected disconnects, errors.
    pub problems: Vec<String>,
}

impl Summary {
    /// True when nothing went wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Messages delivered, every direction and stream together.
    pub fn delivered(&self) -> u64 {
        self.clients
            .iter()
            .map(|c| {
                c.up.received
                    + c.echo.received
                    + c.broadcast.received
                    + c.rpc_seen
                    + c.rpc.received
                    + c.ask_seen
                    + c.ask.received
            })
            .sum()
    }

    /// One line of JSON.
    pub fn to_json(&self) -> String {
        let sum = |f: &dyn Fn(&ClientReport) -> u64| self.clients.iter().map(f).sum::<u64>();
        let stream = |sent: u64, received: u64| serde_json::json!({"sent": sent, "received": received, "equal": sent == received});
        let per_client: Vec<_> = self
            .clients
            .iter()
            .map(|c| {
                serde_json::json!({
                    "up": [c.up.sent, c.up.received],
                    "echo": [c.echo.sent, c.echo.received],
                    "broadcast": [c.broadcast.sent, c.broadcast.received],
                    "rpc": [c.rpc.sent, c.rpc_seen, c.rpc.received],
                    "ask": [c.ask.sent, c.ask_seen, c.ask.received],
                })
            })
            .collect();
        let throughput = self.delivered() as f64 / self.send_seconds.max(1e-9);
        serde_json::json!({
            "ok": self.ok(),
            "clients": self.clients.len(),
            "send_seconds": round3(self.send_seconds),
            "drain_seconds": round3(self.drain_seconds),
            "frames": self.frames,
            "client_to_game": {
                "publishes": stream(sum(&|c| c.up.sent), sum(&|c| c.up.received)),
                "requests": stream(sum(&|c| c.rpc.sent), sum(&|c| c.rpc_seen)),
                "answers": stream(sum(&|c| c.ask_seen), sum(&|c| c.ask.received)),
            },
            "game_to_client": {
                "echoes": stream(sum(&|c| c.echo.sent), sum(&|c| c.echo.received)),
                "broadcasts": {
                    "published": self.broadcasts,
                    "sent": self.broadcasts * self.clients.len() as u64,
                    "received": sum(&|c| c.broadcast.received),
                    "equal": self.broadcasts * self.clients.len() as u64
                        == sum(&|c| c.broadcast.received),
                },
                "requests": stream(sum(&|c| c.ask.sent), sum(&|c| c.ask_seen)),
                "answers": stream(sum(&|c| c.rpc_seen), sum(&|c| c.rpc.received)),
            },
            "per_client": per_client,
            "delivered": self.delivered(),
            "messages_per_second": throughput.round(),
            "max_events_per_frame": self.max_events_per_frame,
            "queue_full_retries": self.queue_full_retries,
            "peak_rss_kib": self.peak_rss_kib,
            "problems": self.problems.iter().take(20).collect::<Vec<_>>(),
            "problem_count": self.problems.len(),
        })
        .to_string()
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Peak resident memory of this process, KiB (VmHWM).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// What clients and game tell each other outside the host: when to stop,
/// and the final counts each side must wait for.
struct Board {
    /// All clients subscribed: broadcasts may start.
    subscribed: AtomicUsize,
    /// Time is up: no new messages.
    stop: AtomicBool,
    /// The game has stopped sending; its final counts below are set.
    game_final: AtomicBool,
    broadcasts: AtomicU64,
    /// Per client: requests the game sent it.
    asks: Vec<AtomicU64>,
    /// Per client: it has everything and is about to close (not set when
    /// it gave up), so its Disconnected is expected.
    finished: Vec<AtomicBool>,
    /// Give up waiting (the drain timeout passed).
    abort: AtomicBool,
    problems: Mutex<Vec<String>>,
}

impl Board {
    fn problem(&self, text: String) {
        let mut problems = self.problems.lock().unwrap_or_else(PoisonError::into_inner);
        if problems.len() < 1000 {
            problems.push(text);
        }
    }
}

/// One client's side of the run.
struct ClientSide {
    index: u32,
    options: Options,
    board: Arc<Board>,
    report: ClientReport,
    /// Request id -> sequence number, for requests in flight.
    rpc_in_flight: HashMap<u64, u64>,
    broadcast_sequence: u64,
    ids: Channels,
}

#[derive(Debug, Clone, Copy)]
struct Channels {
    up: ChannelId,
    echo: ChannelId,
    broadcast: ChannelId,
    rpc: ChannelId,
    ask: ChannelId,
}

impl ClientSide {
    fn run(mut self, addr: SocketAddr) -> ClientReport {
        let name = format!("soak-{}", self.index);
        let mut client = match Client::connect(addr, &name) {
            Ok(client) => client,
            Err(e) => {
                self.board.problem(format!("{name}: connect failed: {e}"));
                return self.report;
            }
        };
        if let Err(e) = client.subscribe(&[self.ids.broadcast.0], &[]) {
            self.board.problem(format!("{name}: subscribe failed: {e}"));
            return self.report;
        }
        self.board.subscribed.fetch_add(1, Ordering::AcqRel);
        match self.exchange(&mut client) {
            // Only now is its Disconnected expected.
            Ok(()) => self.board.finished[self.index as usize].store(true, Ordering::Release),
            Err(e) => self.board.problem(format!("{name}: {e}")),
        }
        if let Err(e) = client.close() {
            self.board.problem(format!("{name}: close failed: {e}"));
        }
        self.report
    }

    /// Sends while allowed, receives until everything has arrived.
    fn exchange(&mut self, client: &mut Client) -> Result<(), String> {
        let max = self.options.max_content;
        let me = self.index;
        loop {
            if !self.board.stop.load(Ordering::Acquire) {
                while self.report.up.sent - self.report.echo.received < self.options.window {
                    let content = make_content(me, UP, self.report.up.sent, max);
                    client
                        .publish(self.ids.up.0, &content)
                        .map_err(|e| format!("publish: {e}"))?;
                    self.report.up.sent += 1;
                }
                while self.rpc_in_flight.len() < self.options.rpc_window {
                    let content = make_content(me, RPC, self.report.rpc.sent, max);
                    let id = client
                        .request(self.ids.rpc.0, &content)
                        .map_err(|e| format!("request: {e}"))?;
                    self.rpc_in_flight.insert(id, self.report.rpc.sent);
                    self.report.rpc.sent += 1;
                }
            } else if self.everything_arrived() {
                return Ok(());
            }
            if self.board.abort.load(Ordering::Acquire) {
                return Err(format!("gave up waiting: {:?}", self.report));
            }
            match client.recv(Duration::from_millis(2)) {
                Ok(incoming) => self.take(client, incoming)?,
                Err(ClientError::Timeout) => {}
                Err(e) => return Err(format!("receive failed: {e}")),
            }
        }
    }

    fn everything_arrived(&self) -> bool {
        self.board.game_final.load(Ordering::Acquire)
            && self.report.echo.received == self.report.up.sent
            && self.rpc_in_flight.is_empty()
            && self.report.broadcast.received == self.board.broadcasts.load(Ordering::Acquire)
            && self.report.ask_seen == self.board.asks[self.index as usize].load(Ordering::Acquire)
    }

    fn take(&mut self, client: &mut Client, incoming: Incoming) -> Result<(), String> {
        let max = self.options.max_content;
        let me = self.index;
        match incoming {
            Incoming::Data {
                channel,
                request_id: 0,
                sequence,
                content,
                ..
            } if channel == self.ids.echo.0 => {
                let seq = check_content(&content, me, UP, max)?;
                expect_next("echo", seq, &mut self.report.echo.received)?;
                if sequence != 0 {
                    return Err(format!("echo #{seq} has sequence {sequence}"));
                }
            }
            Incoming::Data {
                channel,
                request_id: 0,
                sequence,
                content,
                ..
            } if channel == self.ids.broadcast.0 => {
                let seq = check_content(&content, GAME, BROADCAST, max)?;
                expect_next("broadcast", seq, &mut self.report.broadcast.received)?;
                // Channel sequence numbers start at 1 and this client was
                // subscribed before the first broadcast.
                if sequence != seq + 1 || sequence != self.broadcast_sequence + 1 {
                    return Err(format!(
                        "broadcast #{seq} has channel sequence {sequence} after {}",
                        self.broadcast_sequence
                    ));
                }
                self.broadcast_sequence = sequence;
            }
            Incoming::Data {
                channel,
                request_id,
                content,
                ..
            } if channel == self.ids.ask.0 && request_id != 0 => {
                let seq = check_content(&content, me, ASK, max)?;
                expect_next("game request", seq, &mut self.report.ask_seen)?;
                client
                    .respond(request_id, channel, Ok(&content))
                    .map_err(|e| format!("respond: {e}"))?;
            }
            Incoming::Response {
                request_id,
                channel,
                result,
            } => {
                let Some(seq) = self.rpc_in_flight.remove(&request_id) else {
                    return Err(format!("answer to request {request_id} not in flight"));
                };
                if channel != self.ids.rpc.0 {
                    return Err(format!(
                        "answer to request {request_id} on channel {channel}"
                    ));
                }
                let content = result.map_err(|e| format!("request #{seq} failed: {e}"))?;
                let got = check_content(&content, me, RPC, max)?;
                if got != seq {
                    return Err(format!("request #{seq} answered with #{got}"));
                }
                expect_next("answer", seq, &mut self.report.rpc.received)?;
            }
            Incoming::Advertise(_) | Incoming::Unadvertise(_) => {}
            other => return Err(format!("unexpected {other:?}")),
        }
        Ok(())
    }
}

/// Checks that `seq` is the next one expected and counts it.
fn expect_next(what: &str, seq: u64, count: &mut u64) -> Result<(), String> {
    if seq != *count {
        let kind = if seq < *count {
            "duplicate or reordered"
        } else {
            "lost or reordered"
        };
        return Err(format!("{what}: got #{seq}, expected #{count} ({kind})"));
    }
    *count += 1;
    Ok(())
}

/// What the game does later when the host's command queue is full.
enum Deferred {
    SendTo(ClientId, Bytes),
    Respond(ClientId, RequestId, Bytes),
    Publish(Bytes),
}

/// The game's side: one per client.
#[derive(Default)]
struct GameSide {
    up_received: u64,
    echo_sent: u64,
    rpc_seen: u64,
    ask_sent: u64,
    ask_answered: u64,
    asks_in_flight: HashMap<RequestId, u64>,
    id: Option<ClientId>,
    gone: bool,
}

struct Game<'a> {
    host: &'a Host,
    ids: Channels,
    options: &'a Options,
    board: &'a Board,
    sides: Vec<GameSide>,
    by_id: HashMap<ClientId, usize>,
    deferred: VecDeque<Deferred>,
    broadcasts: u64,
    queue_full_retries: u64,
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

    fn flush_deferred(&mut self) {
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

    fn handle(&mut self, event: HostEvent) {
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
        }
    }

    /// The game's own traffic for one frame.
    fn send_frame(&mut self, frame: u64) {
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

/// Runs the soak and returns what it found. Never panics on a finding; the
/// caller decides (the example exits non-zero, the test fails).
pub fn run(options: &Options) -> Summary {
    let host = match Host::start(HostConfig::default().port(0)) {
        Ok(host) => host,
        Err(e) => {
            return Summary {
                problems: vec![format!("host did not start: {e}")],
                ..Summary::default()
            };
        }
    };
    let advertise = |spec: ChannelSpec| host.advertise(spec.reliable()).expect("advertise");
    let ids = Channels {
        up: advertise(ChannelSpec::new("soak/up").clients_may_publish()),
        echo: advertise(ChannelSpec::new("soak/echo")),
        broadcast: advertise(ChannelSpec::new("soak/broadcast")),
        rpc: advertise(ChannelSpec::new("soak/rpc")),
        ask: advertise(ChannelSpec::new("soak/ask")),
    };
    let board = Arc::new(Board {
        subscribed: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        game_final: AtomicBool::new(false),
        broadcasts: AtomicU64::new(0),
        asks: (0..options.clients).map(|_| AtomicU64::new(0)).collect(),
        finished: (0..options.clients)
            .map(|_| AtomicBool::new(false))
            .collect(),
        abort: AtomicBool::new(false),
        problems: Mutex::new(Vec::new()),
    });
    let addr = host.local_addr();
    let threads: Vec<_> = (0..options.clients)
        .map(|index| {
            let side = ClientSide {
                index: index as u32,
                options: options.clone(),
                board: board.clone(),
                report: ClientReport::default(),
                rpc_in_flight: HashMap::new(),
                broadcast_sequence: 0,
                ids,
            };
            thread::Builder::new()
                .name(format!("soak-client-{index}"))
                .spawn(move || side.run(addr))
                .expect("spawn client thread")
        })
        .collect();

    let mut game = Game {
        host: &host,
        ids,
        options,
        board: &board,
        sides: (0..options.clients).map(|_| GameSide::default()).collect(),
        by_id: HashMap::new(),
        deferred: VecDeque::new(),
        broadcasts: 0,
        queue_full_retries: 0,
    };
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut started_sending: Option<Instant> = None;
    let mut stopped: Option<Instant> = None;
    let mut frame = 0u64;
    loop {
        frame += 1;
        let mut drained = 0;
        for event in host.drain_events() {
            drained += 1;
            game.handle(event);
        }
        summary.max_events_per_frame = summary.max_events_per_frame.max(drained);
        game.flush_deferred();

        let now = Instant::now();
        let all_in = board.subscribed.load(Ordering::Acquire) == options.clients;
        match (started_sending, stopped) {
            (None, _) if all_in => started_sending = Some(now),
            (None, _) if now - start > options.drain_timeout => {
                board.problem("clients did not all connect and subscribe in time".to_owned());
                board.abort.store(true, Ordering::Release);
                break;
            }
            (None, _) => {}
            (Some(begun), None) if now - begun >= options.duration => {
                board.stop.store(true, Ordering::Release);
                // Final counts: nothing new from the game after this.
                board.broadcasts.store(game.broadcasts, Ordering::Release);
                for (i, side) in game.sides.iter().enumerate() {
                    board.asks[i].store(side.ask_sent, Ordering::Release);
                }
                board.game_final.store(true, Ordering::Release);
                stopped = Some(now);
            }
            (Some(_), None) => game.send_frame(frame),
            (Some(_), Some(at)) => {
                let clients_done = threads.iter().all(|t| t.is_finished());
                let asks_done = game.sides.iter().all(|s| s.asks_in_flight.is_empty());
                if clients_done && asks_done && game.deferred.is_empty() {
                    break;
                }
                if now - at > options.drain_timeout {
                    board.problem(format!(
                        "messages still in flight {:?} after the stop",
                        options.drain_timeout
                    ));
                    board.abort.store(true, Ordering::Release);
                    break;
                }
            }
        }
        // A game frame: 2 to 5 ms between drains.
        thread::sleep(Duration::from_millis(2 + frame % 4));
    }
    summary.frames = frame;
    let drained_at = Instant::now();
    summary.send_seconds = match (started_sending, stopped) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    summary.drain_seconds = stopped.map_or(0.0, |at| (drained_at - at).as_secs_f64());

    let reports: Vec<ClientReport> = threads
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            t.join().unwrap_or_else(|_| {
                board.problem(format!("client {i} panicked"));
                ClientReport::default()
            })
        })
        .collect();

    // Every client closes; the game hears each leave once, and nothing else.
    let deadline = Instant::now() + options.drain_timeout;
    while game.sides.iter().any(|s| s.id.is_some() && !s.gone) && Instant::now() < deadline {
        if host.wait_for_event(Duration::from_millis(50)) {
            for event in host.drain_events() {
                game.handle(event);
            }
        }
    }
    for (i, side) in game.sides.iter().enumerate() {
        if side.id.is_some() && !side.gone {
            board.problem(format!("client {i}: no Disconnected after it closed"));
        }
    }

    summary.broadcasts = game.broadcasts;
    summary.queue_full_retries = game.queue_full_retries;
    for (i, (mut report, side)) in reports.into_iter().zip(&game.sides).enumerate() {
        report.up.received = side.up_received;
        report.echo.sent = side.echo_sent;
        report.broadcast.sent = game.broadcasts;
        report.rpc_seen = side.rpc_seen;
        report.ask.sent = side.ask_sent;
        report.ask.received = side.ask_answered;
        let checks = [
            ("client publishes", report.up.sent, report.up.received),
            ("echoes", report.echo.sent, report.echo.received),
            ("echoes for publishes", report.up.sent, report.echo.received),
            (
                "broadcasts",
                report.broadcast.sent,
                report.broadcast.received,
            ),
            ("client requests", report.rpc.sent, report.rpc_seen),
            (
                "answers to client requests",
                report.rpc.sent,
                report.rpc.received,
            ),
            ("game requests", report.ask.sent, report.ask_seen),
            (
                "answers to game requests",
                report.ask.sent,
                report.ask.received,
            ),
        ];
        for (what, sent, received) in checks {
            if sent != received {
                board.problem(format!(
                    "client {i}: {what}: {sent} sent, {received} received"
                ));
            }
        }
        summary.clients.push(report);
    }
    host.shutdown();
    summary.peak_rss_kib = peak_rss_kib();
    summary.problems = std::mem::take(
        &mut *board
            .problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    summary
}
