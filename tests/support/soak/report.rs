//! The numbers a soak run reports, and their JSON form.

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
