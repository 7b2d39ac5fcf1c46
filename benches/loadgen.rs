//! Load generator: real WebSocket clients (tokio-tungstenite, one thread)
//! against any echo server, bounded in count and time, loopback only.
//!
//! Scenarios (pick with `--scenario`):
//! - `echo`: N connections each send M messages of S content bytes with at
//!   most W in flight; reports msgs/s and the round-trip histogram.
//! - `request`: the same, but each message is a request (a `Data` with a
//!   request id) and each answer a `Response` (Switchboard servers only).
//! - `fanout`: N subscribers to `bench/fanout` on a Switchboard host; one
//!   control client asks the host to publish in rounds; reports deliveries/s.
//! - `idle-memory`: RSS of the server with N idle clients minus with none.
//! - `idle-cpu`: server CPU over a quiet interval with N idle clients.
//!
//! With `--server-pid`, the server's own CPU time (all its threads, from
//! /proc/PID/task/*/schedstat) over the measured interval is reported too.
//! Output is one JSON object on stdout.
//!
//! ```text
//! cargo run --release --example loadgen -- --url ws://127.0.0.1:9001/ \
//!     --protocol switchboard --scenario echo --connections 16 --messages 20000 \
//!     --size 64 --window 32 --server-pid 1234
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use hdrhistogram::Histogram;
use switchboard::protocol::{HelloArgs, encode_data, encode_hello, encode_subscribe, verify_frame};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Bytes are echoed as they are.
    Raw,
    /// Hello/Welcome first, then Data frames on the `echo` channel.
    Switchboard,
}

#[derive(Debug, Clone)]
struct Options {
    url: String,
    protocol: Protocol,
    scenario: String,
    connections: usize,
    messages: u64,
    size: usize,
    window: usize,
    time_limit: Duration,
    server_pid: Option<u32>,
    round: u64,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        url: String::new(),
        protocol: Protocol::Switchboard,
        scenario: "echo".into(),
        connections: 1,
        messages: 10_000,
        size: 64,
        window: 1,
        time_limit: Duration::from_secs(60),
        server_pid: None,
        round: 200,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{arg}: {e}"));
        match arg.as_str() {
            "--url" => o.url = value("--url")?,
            "--protocol" => {
                o.protocol = match value("--protocol")?.as_str() {
                    "raw" => Protocol::Raw,
                    "switchboard" => Protocol::Switchboard,
                    other => return Err(format!("unknown protocol {other}")),
                }
            }
            "--scenario" => o.scenario = value("--scenario")?,
            "--connections" => o.connections = num(value("--connections")?)? as usize,
            "--messages" => o.messages = num(value("--messages")?)?,
            "--size" => o.size = num(value("--size")?)? as usize,
            "--window" => o.window = num(value("--window")?)?.max(1) as usize,
            "--time-limit" => o.time_limit = Duration::from_secs(num(value("--time-limit")?)?),
            "--server-pid" => o.server_pid = Some(num(value("--server-pid")?)? as u32),
            "--round" => o.round = num(value("--round")?)?.max(1),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let host = o
        .url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or("--url must be ws://HOST:PORT/")?;
    if !(host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")) {
        return Err("loopback only: --url must point at 127.0.0.0/8, localhost or [::1]".into());
    }
    Ok(o)
}

/// Total CPU time of every thread of `pid`, from schedstat (nanoseconds).
fn server_cpu_ns(pid: Option<u32>) -> Option<u64> {
    let pid = pid?;
    let mut total = 0;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = entry.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn server_rss_kib(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Connects; for Switchboard, says Hello and returns the ids of `names`.
async fn connect(o: &Options, names: &[&str]) -> Result<(Socket, Vec<u32>), String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(o.url.as_str())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        let _ = tcp.set_nodelay(true);
    }
    if o.protocol == Protocol::Raw {
        return Ok((ws, Vec::new()));
    }
    let hello = encode_hello(&HelloArgs {
        client_name: "loadgen",
        protocol_versions: &[1],
        token: None,
    });
    ws.send(Message::Binary(hello))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let Some(message) = ws.next().await else {
            return Err("closed before Welcome".into());
        };
        let Message::Binary(bytes) = message.map_err(|e| e.to_string())? else {
            continue;
        };
        let frame = verify_frame(&bytes).map_err(|e| e.to_string())?;
        if let Some(welcome) = frame.body_as_welcome() {
            let channels: Vec<(String, u32)> = welcome
                .channels()
                .map(|v| {
                    v.iter()
                        .map(|c| (c.name().unwrap_or("").to_owned(), c.id()))
                        .collect()
                })
                .unwrap_or_default();
            let ids = names
                .iter()
                .map(|n| {
                    channels
                        .iter()
                        .find(|(name, _)| name == n)
                        .map(|(_, id)| *id)
                        .ok_or(format!("host has no {n:?} channel"))
                })
                .collect::<Result<_, _>>()?;
            return Ok((ws, ids));
        }
        if let Some(error) = frame.body_as_error() {
            return Err(format!("refused: {:?}", error.message()));
        }
    }
}

struct ConnectionResult {
    received: u64,
    latencies: Histogram<u64>,
}

/// One connection's echo loop with a window of in-flight messages.
/// What one connection sends: the same frame every time, or a request
/// with a new id each time.
#[derive(Debug, Clone)]
enum Outgoing {
    Same(Bytes),
    Requests { channel: u32, content: Bytes },
}

impl Outgoing {
    fn next(&self, sent: u64) -> Bytes {
        match self {
            Outgoing::Same(payload) => payload.clone(),
            Outgoing::Requests { channel, content } => {
                encode_data(*channel, sent + 1, 0, 0, content)
            }
        }
    }
}

async fn echo_connection(
    o: Options,
    mut ws: Socket,
    outgoing: Outgoing,
    deadline: Instant,
) -> Result<ConnectionResult, String> {
    let mut latencies =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    let mut in_flight: VecDeque<Instant> = VecDeque::with_capacity(o.window);
    let (mut sent, mut received) = (0u64, 0u64);
    while received < o.messages {
        if Instant::now() > deadline {
            break;
        }
        while in_flight.len() < o.window && sent < o.messages {
            ws.feed(Message::Binary(outgoing.next(sent)))
                .await
                .map_err(|e| e.to_string())?;
            in_flight.push_back(Instant::now());
            sent += 1;
        }
        ws.flush().await.map_err(|e| e.to_string())?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut next = match tokio::time::timeout(remaining, ws.next()).await {
            Ok(next) => next,
            Err(_) => break,
        };
        // Take every echo that is already here before refilling the window,
        // so sends go out in batches as a busy client's would.
        loop {
            match next {
                Some(Ok(Message::Binary(_) | Message::Text(_))) => {
                    if let Some(start) = in_flight.pop_front() {
                        let ns = start.elapsed().as_nanos().max(1) as u64;
                        latencies
                            .record(ns.min(60_000_000_000))
                            .map_err(|e| e.to_string())?;
                    }
                    received += 1;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("server closed".into()),
            }
            match ws.next().now_or_never() {
                Some(more) => next = more,
                None => break,
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(ConnectionResult {
        received,
        latencies,
    })
}

async fn scenario_echo(o: &Options, requests: bool) -> Result<serde_json::Value, String> {
    if requests && o.protocol != Protocol::Switchboard {
        return Err("the request scenario needs --protocol switchboard".into());
    }
    let content = vec![0x5au8; o.size];
    let mut sockets = Vec::new();
    let mut outgoing = Outgoing::Same(Bytes::new());
    for _ in 0..o.connections {
        let (ws, ids) = connect(o, &["echo"]).await?;
        let channel = ids.first().copied().unwrap_or(1);
        // Every server gets the same bytes on the wire: a Data frame on the
        // echo channel (raw servers echo it without reading it).
        outgoing = match requests {
            false => Outgoing::Same(encode_data(channel, 0, 0, 0, &content)),
            true => Outgoing::Requests {
                channel,
                content: Bytes::from(content.clone()),
            },
        };
        sockets.push(ws);
    }
    let cpu_before = server_cpu_ns(o.server_pid);
    let start = Instant::now();
    let deadline = start + o.time_limit;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(echo_connection(o.clone(), ws, outgoing.clone(), deadline)))
        .collect();
    let mut all =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    let mut received = 0;
    for task in tasks {
        let result = task.await.map_err(|e| e.to_string())??;
        received += result.received;
        all.add(result.latencies).map_err(|e| e.to_string())?;
    }
    let elapsed = start.elapsed();
    let cpu_after = server_cpu_ns(o.server_pid);
    let expected = o.messages * o.connections as u64;
    let cpu_ns = cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b));
    Ok(serde_json::json!({
        "scenario": if requests { "request" } else { "echo" },
        "connections": o.connections,
        "size": o.size,
        "window": o.window,
        "messages": received,
        "complete": received == expected,
        "seconds": elapsed.as_secs_f64(),
        "msgs_per_sec": received as f64 / elapsed.as_secs_f64(),
        "p50_us": all.value_at_quantile(0.5) as f64 / 1000.0,
        "p99_us": all.value_at_quantile(0.99) as f64 / 1000.0,
        "p999_us": all.value_at_quantile(0.999) as f64 / 1000.0,
        "server_cpu_ms": cpu_ns.map(|ns| ns as f64 / 1e6),
        "server_cpu_us_per_msg": cpu_ns.map(|ns| ns as f64 / 1000.0 / received.max(1) as f64),
    }))
}

/// Counts Data frames until `target` arrived, the deadline passed or the
/// server closed; publishes the running count in `progress`.
async fn count_deliveries(
    mut ws: Socket,
    target: u64,
    progress: Arc<AtomicU64>,
    deadline: Instant,
) -> Result<u64, String> {
    let mut got = 0u64;
    while got < target {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                if verify_frame(&bytes)
                    .ok()
                    .and_then(|f| f.body_as_data())
                    .is_some()
                {
                    got += 1;
                    progress.store(got, Ordering::Relaxed);
                }
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) => break,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(e.to_string()),
        }
    }
    let _ = ws.close(None).await;
    Ok(got)
}

async fn scenario_fanout(o: &Options) -> Result<serde_json::Value, String> {
    if o.protocol != Protocol::Switchboard {
        return Err("fanout needs a Switchboard host (channels and subscriptions)".into());
    }
    let mut subscribers = Vec::new();
    for _ in 0..o.connections {
        let (mut ws, ids) = connect(o, &["bench/fanout"]).await?;
        ws.send(Message::Binary(encode_subscribe(1, &ids, &[])))
            .await
            .map_err(|e| e.to_string())?;
        // Wait for the subscription's confirmation.
        loop {
            match ws.next().await {
                Some(Ok(Message::Binary(bytes))) => {
                    if verify_frame(&bytes)
                        .ok()
                        .and_then(|f| f.body_as_response())
                        .is_some()
                    {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                _ => return Err("subscriber closed".into()),
            }
        }
        subscribers.push(ws);
    }
    let (mut control, ids) = connect(o, &["bench/control"]).await?;
    let control_channel = ids[0];
    let cpu_before = server_cpu_ns(o.server_pid);
    let start = Instant::now();
    let deadline = start + o.time_limit;
    let progress: Vec<Arc<AtomicU64>> = (0..subscribers.len())
        .map(|_| Arc::new(AtomicU64::new(0)))
        .collect();
    let counters: Vec<_> = subscribers
        .into_iter()
        .zip(&progress)
        .map(|(ws, p)| tokio::spawn(count_deliveries(ws, o.messages, p.clone(), deadline)))
        .collect();
    // Rounds: ask the host to publish a round, then wait until every
    // subscriber is at most one round behind, so queues stay short.
    let mut published = 0u64;
    let mut request = 1u64;
    while published < o.messages && Instant::now() < deadline {
        let n = o.round.min(o.messages - published);
        let body = format!("publish {n}");
        control
            .send(Message::Binary(encode_data(
                control_channel,
                request,
                0,
                0,
                body.as_bytes(),
            )))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, control.next()).await {
                Ok(Some(Ok(Message::Binary(bytes)))) => {
                    let frame = verify_frame(&bytes).map_err(|e| e.to_string())?;
                    if frame.body_as_response().is_some() {
                        break;
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => return Err("control connection lost".into()),
            }
        }
        published += n;
        request += 1;
        let behind = |p: &Arc<AtomicU64>| p.load(Ordering::Relaxed) + o.round < published;
        while progress.iter().any(behind) && Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
    }
    let mut delivered = 0;
    for task in counters {
        delivered += task.await.map_err(|e| e.to_string())??;
    }
    let elapsed = start.elapsed();
    let cpu_after = server_cpu_ns(o.server_pid);
    let _ = control.close(None).await;
    let expected = published * o.connections as u64;
    let cpu_ns = cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b));
    Ok(serde_json::json!({
        "scenario": "fanout",
        "subscribers": o.connections,
        "published": published,
        "deliveries": delivered,
        "complete": delivered == expected,
        "seconds": elapsed.as_secs_f64(),
        "deliveries_per_sec": delivered as f64 / elapsed.as_secs_f64(),
        "server_cpu_ms": cpu_ns.map(|ns| ns as f64 / 1e6),
        "server_cpu_us_per_delivery": cpu_ns.map(|ns| ns as f64 / 1000.0 / delivered.max(1) as f64),
    }))
}

async fn scenario_idle_memory(o: &Options) -> Result<serde_json::Value, String> {
    let before = server_rss_kib(o.server_pid).ok_or("--server-pid needed")?;
    let mut sockets = Vec::with_capacity(o.connections);
    for _ in 0..o.connections {
        sockets.push(connect(o, &[]).await?.0);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server_rss_kib(o.server_pid).ok_or("server gone")?;
    drop(sockets);
    Ok(serde_json::json!({
        "scenario": "idle-memory",
        "connections": o.connections,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": (after.saturating_sub(before)) as f64 / o.connections.max(1) as f64,
    }))
}

async fn scenario_idle_cpu(o: &Options) -> Result<serde_json::Value, String> {
    let mut sockets = Vec::new();
    for _ in 0..o.connections {
        sockets.push(connect(o, &[]).await?.0);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server_cpu_ns(o.server_pid).ok_or("--server-pid needed")?;
    let quiet = Duration::from_secs(5).min(o.time_limit);
    tokio::time::sleep(quiet).await;
    let after = server_cpu_ns(o.server_pid).ok_or("server gone")?;
    drop(sockets);
    Ok(serde_json::json!({
        "scenario": "idle-cpu",
        "connections": o.connections,
        "seconds": quiet.as_secs_f64(),
        "server_cpu_ms": (after - before) as f64 / 1e6,
    }))
}

fn main() {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(async {
        match options.scenario.as_str() {
            "echo" => scenario_echo(&options, false).await,
            "request" => scenario_echo(&options, true).await,
            "fanout" => scenario_fanout(&options).await,
            "idle-memory" => scenario_idle_memory(&options).await,
            "idle-cpu" => scenario_idle_cpu(&options).await,
            other => Err(format!("unknown scenario {other}")),
        }
    });
    match result {
        Ok(value) => println!("{value}"),
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(1);
        }
    }
}
