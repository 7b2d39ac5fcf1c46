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

mod client;
mod content;
mod game;
mod report;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use switchboard::{ChannelId, ChannelSpec, Host, HostConfig};

use client::ClientSide;
use game::{Game, GameSide};
pub use report::{ClientReport, Summary, peak_rss_kib};

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

#[derive(Debug, Clone, Copy)]
struct Channels {
    up: ChannelId,
    echo: ChannelId,
    broadcast: ChannelId,
    rpc: ChannelId,
    ask: ChannelId,
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
