//! The message-queue transport beside loopback WebSocket, in one run: the
//! same host, the same echo thread, the crate's own blocking client over
//! each transport; then the idle cost of the queue transport's look timer.
//!
//! ```sh
//! cargo run --release --example mqueue_compare --no-default-features --features mqueue
//! cargo run --release --example mqueue_compare --no-default-features --features mqueue -- --calls 2000 --idle-secs 5
//! ```
//!
//! Latency: sequential calls (64 B). Throughput: a window of 32 requests
//! in flight, 64 B and 64 KiB (8 queue slots each). Idle: CPU time of
//! this process (the host's threads; nothing else runs) over `--idle-secs`
//! with the queue transport on (200 ms looks, no client), beside the same
//! host with it off. Prints a Markdown table.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use switchboard::client::{Client, ClientOptions};
use switchboard::{ChannelSpec, Host, HostConfig, HostEvent, MqueueConfig};

const WINDOW: usize = 32;

struct Args {
    calls: usize,
    idle_secs: u64,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        calls: 10_000,
        idle_secs: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--calls" => out.calls = value()?.parse().map_err(|e| format!("--calls: {e}"))?,
            "--idle-secs" => {
                out.idle_secs = value()?.parse().map_err(|e| format!("--idle-secs: {e}"))?
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    out.calls = out.calls.clamp(100, 1_000_000);
    out.idle_secs = out.idle_secs.clamp(1, 120);
    Ok(out)
}

/// CPU time of this whole process so far.
fn process_cpu() -> Duration {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A host whose `echo` requests are answered by a thread, until dropped.
struct EchoHost {
    host: Arc<Host>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoHost {
    fn start(config: HostConfig) -> Result<Self, String> {
        let host = Arc::new(Host::start(config).map_err(|e| e.to_string())?);
        let echo = host
            .advertise(ChannelSpec::new("echo"))
            .map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (host, stop) = (Arc::clone(&host), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !host.wait_for_event(Duration::from_millis(50)) {
                        continue;
                    }
                    let mut batch = host.batch();
                    for event in host.drain_events() {
                        if let HostEvent::Message(m) = event {
                            if let (Some(id), true) = (m.request_id(), m.channel() == echo) {
                                batch.respond(m.client(), id, m.content().to_vec());
                            }
                        }
                    }
                    let _ = batch.commit();
                }
            })
        };
        Ok(Self {
            host,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EchoHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Row {
    transport: &'static str,
    p50: f64,
    p99: f64,
    small_rate: f64,
    large_rate: f64,
    large_mib_s: f64,
}

fn measure(transport: &'static str, client: &mut Client, calls: usize) -> Result<Row, String> {
    let echo = client.channel_id("echo").ok_or("no echo channel")?;
    let timeout = Duration::from_secs(30);
    let small = vec![7u8; 64];
    let mut hist =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    for _ in 0..calls / 10 {
        client
            .call(echo, &small, timeout)
            .map_err(|e| e.to_string())?; // warm-up
    }
    for _ in 0..calls {
        let start = Instant::now();
        client
            .call(echo, &small, timeout)
            .map_err(|e| e.to_string())?;
        hist.record(start.elapsed().as_nanos() as u64)
            .map_err(|e| e.to_string())?;
    }
    let windowed = |client: &mut Client, content: &[u8], count: usize| -> Result<f64, String> {
        let start = Instant::now();
        let mut done = 0;
        while done < count {
            let n = WINDOW.min(count - done);
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(client.request(echo, content).map_err(|e| e.to_string())?);
            }
            for id in ids {
                let back = client
                    .wait_response(id, timeout)
                    .map_err(|e| e.to_string())?;
                if back.len() != content.len() {
                    return Err("echo changed the content".into());
                }
            }
            done += n;
        }
        Ok(count as f64 / start.elapsed().as_secs_f64())
    };
    let small_rate = windowed(client, &small, calls)?;
    let large = vec![9u8; 64 << 10];
    let large_count = (calls / 10).max(100);
    let large_rate = windowed(client, &large, large_count)?;
    Ok(Row {
        transport,
        p50: hist.value_at_quantile(0.5) as f64 / 1000.0,
        p99: hist.value_at_quantile(0.99) as f64 / 1000.0,
        small_rate,
        large_rate,
        large_mib_s: large_rate * 64.0 / 1024.0,
    })
}

fn idle_cpu(config: HostConfig, secs: u64) -> Result<Duration, String> {
    let host = Host::start(config).map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(300));
    let before = process_cpu();
    std::thread::sleep(Duration::from_secs(secs));
    let used = process_cpu().saturating_sub(before);
    host.shutdown();
    Ok(used)
}

fn main() -> Result<(), String> {
    let args = args()?;
    let queues = MqueueConfig::default().prefix("SwitchboardBench");
    let host = EchoHost::start(HostConfig::default().port(0).message_queues(queues.clone()))?;
    let options = ClientOptions::new("bench");
    let mut ws =
        Client::connect_with(host.host.local_addr(), options.clone()).map_err(|e| e.to_string())?;
    let mut mq =
        Client::over_queues(std::process::id(), &queues, options).map_err(|e| e.to_string())?;
    let rows = [
        measure("loopback WebSocket", &mut ws, args.calls)?,
        measure("message queues", &mut mq, args.calls)?,
    ];
    drop((ws, mq));
    drop(host);

    println!(
        "| transport | call p50 (us) | call p99 (us) | 64 B, window {WINDOW} (calls/s) | 64 KiB, window {WINDOW} (calls/s) | 64 KiB (MiB/s each way) |"
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.1} |",
            r.transport, r.p50, r.p99, r.small_rate, r.large_rate, r.large_mib_s
        );
    }
    let (ws_row, mq_row) = (&rows[0], &rows[1]);
    println!(
        "\nqueues / WebSocket: p50 {:.2}x, 64 B rate {:.2}x, 64 KiB rate {:.2}x",
        mq_row.p50 / ws_row.p50,
        mq_row.small_rate / ws_row.small_rate,
        mq_row.large_rate / ws_row.large_rate
    );

    let off = idle_cpu(HostConfig::default().port(0), args.idle_secs)?;
    let on = idle_cpu(
        HostConfig::default()
            .port(0)
            .message_queues(MqueueConfig::default().prefix("SwitchboardBenchIdle")),
        args.idle_secs,
    )?;
    println!(
        "\nidle host CPU over {} s: queues off {:.2} ms, queues on (200 ms looks) {:.2} ms ({:.1} us per look)",
        args.idle_secs,
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3,
        on.saturating_sub(off).as_secs_f64() * 1e6 / (args.idle_secs as f64 * 5.0)
    );
    Ok(())
}
