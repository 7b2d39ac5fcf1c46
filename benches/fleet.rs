//! The fleet through NATS, measured: N game instances (child processes,
//! each a `Host` with a `NatsBridge` publishing one latest-value channel at
//! a fixed rate), the fleet gateway (a child process), and 100 dashboard
//! clients on the gateway subscribed to `fleet/*/telemetry/*`. Beside it,
//! one instance with the same dashboards connected to it directly.
//!
//! Each message carries its send time (CLOCK_REALTIME, one machine), so a
//! dashboard measures publish-to-delivery latency across processes. Server
//! CPU is read from `/proc/PID/task/*/schedstat` over the measured window.
//! Every child reads its stdin and exits when the driver closes it, so none
//! outlives the run.
//!
//! ```text
//! cargo run --release --features nats --example fleet_bench -- \
//!     --instances 1,2,4,8 --subscribers 100 --rate 100 --seconds 5
//! ```

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::nats::{Gateway, GatewayConfig, NatsBridge, NatsBridgeConfig, NatsConnect};
use switchboard::{ChannelSpec, Host, HostConfig};

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

/// Blocks until the driver closes our stdin.
fn until_stdin_closes() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

fn role_gateway(args: &[String]) {
    let nats = arg(args, "--nats", "nats://127.0.0.1:4222");
    let gateway = Gateway::start(
        GatewayConfig::new(NatsConnect::new(nats)).host(HostConfig::default().port(0)),
    )
    .expect("gateway starts");
    println!("ws {}", gateway.local_addr());
    until_stdin_closes();
    gateway.shutdown();
}

fn role_instance(args: &[String]) {
    let nats = arg(args, "--nats", "none");
    let id = arg(args, "--id", "i0");
    let rate: f64 = arg(args, "--rate", "100").parse().expect("--rate");
    let host = Host::start(HostConfig::default().port(0)).expect("host starts");
    let load = host
        .advertise(ChannelSpec::new("telemetry/load").latest())
        .expect("advertised");
    let bridge = (nats != "none").then(|| {
        NatsBridge::start(
            &host,
            NatsBridgeConfig::new(nats, id).publish("telemetry/*"),
        )
        .expect("bridge starts")
    });
    println!("ws {}", host.local_addr());
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let period = Duration::from_secs_f64(1.0 / rate);
            let mut next = Instant::now();
            while !stop.load(Ordering::Acquire) {
                let mut content = vec![0u8; 64];
                content[..8].copy_from_slice(&now_ns().to_le_bytes());
                let _ = host.publish(load, content);
                for _ in host.drain_events() {}
                next += period;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            host
        })
    };
    until_stdin_closes();
    stop.store(true, Ordering::Release);
    if let Ok(host) = publisher.join() {
        drop(bridge);
        host.shutdown();
    }
}

/// A child of this program (or nats-server), ended when dropped.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    line: String,
}

impl Proc {
    fn spawn(mut command: Command, wait_for: &str) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        let stdin = child.stdin.take();
        let mut line = String::new();
        if !wait_for.is_empty() {
            let mut out = BufReader::new(child.stdout.take().expect("stdout"));
            while !line.starts_with(wait_for) {
                line.clear();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    panic!("child ended before printing {wait_for:?}");
                }
            }
        }
        Self {
            child,
            stdin,
            line: line.trim().to_owned(),
        }
    }

    fn addr(&self) -> String {
        self.line.trim_start_matches("ws ").to_owned()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn me(role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this program"));
    command.args(["--role", role]);
    command
}

struct Measured {
    deliveries_per_s: f64,
    expected_per_s: f64,
    p50_us: u64,
    p99_us: u64,
    server_cpu_us_per_delivery: f64,
    nats_cpu_us_per_delivery: Option<f64>,
}

/// Connects the dashboards to `addr`, subscribes each to `pattern`, and
/// counts what arrives over `seconds` after a warm-up second.
fn measure(
    addr: &str,
    pattern: &str,
    subscribers: usize,
    seconds: f64,
    server_pid: u32,
    nats_pid: Option<u32>,
) -> (u64, Histogram<u64>, u64, Option<u64>) {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let merged = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram"),
    ));
    let ready = Arc::new(Barrier::new(subscribers + 1));
    let threads: Vec<_> = (0..subscribers)
        .map(|i| {
            let (addr, pattern) = (addr.to_owned(), pattern.to_owned());
            let (measuring, stop, count, merged, ready) = (
                Arc::clone(&measuring),
                Arc::clone(&stop),
                Arc::clone(&count),
                Arc::clone(&merged),
                Arc::clone(&ready),
            );
            std::thread::spawn(move || {
                let mut client = Client::connect(addr.as_str(), &format!("dash-{i}"))
                    .expect("dashboard connects");
                client.subscribe(&[], &[&pattern]).expect("subscribed");
                ready.wait();
                let mut local =
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
                let mut n = 0;
                while !stop.load(Ordering::Acquire) {
                    match client.recv(Duration::from_millis(100)) {
                        Ok(Incoming::Data { content, .. }) if content.len() >= 8 => {
                            if measuring.load(Ordering::Acquire) {
                                let mut sent = [0u8; 8];
                                sent.copy_from_slice(&content[..8]);
                                let us = now_ns().saturating_sub(u64::from_le_bytes(sent)) / 1000;
                                let _ = local.record(us.max(1));
                                n += 1;
                            }
                        }
                        Ok(_) | Err(ClientError::Timeout) => {}
                        Err(e) => {
                            eprintln!("dashboard {i}: {e}");
                            break;
                        }
                    }
                }
                count.fetch_add(n, Ordering::Relaxed);
                let _ = merged.lock().map(|mut m| m.add(&local));
            })
        })
        .collect();
    ready.wait();
    std::thread::sleep(Duration::from_secs(1));
    let (cpu0, nats0) = (cpu_ns(server_pid), nats_pid.map(cpu_ns));
    measuring.store(true, Ordering::Release);
    std::thread::sleep(Duration::from_secs_f64(seconds));
    measuring.store(false, Ordering::Release);
    let (cpu1, nats1) = (cpu_ns(server_pid), nats_pid.map(cpu_ns));
    stop.store(true, Ordering::Release);
    for t in threads {
        let _ = t.join();
    }
    let histogram = merged.lock().map(|h| h.clone()).expect("histogram");
    (
        count.load(Ordering::Relaxed),
        histogram,
        cpu1.saturating_sub(cpu0),
        nats0.zip(nats1).map(|(a, b)| b.saturating_sub(a)),
    )
}

fn summarize(
    (deliveries, h, cpu, nats): (u64, Histogram<u64>, u64, Option<u64>),
    seconds: f64,
    expected_per_s: f64,
) -> Measured {
    let per = |ns: u64| ns as f64 / 1000.0 / deliveries.max(1) as f64;
    Measured {
        deliveries_per_s: deliveries as f64 / seconds,
        expected_per_s,
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        server_cpu_us_per_delivery: per(cpu),
        nats_cpu_us_per_delivery: nats.map(per),
    }
}

fn wait_for_channels(addr: &str, names: &[String]) {
    let mut probe = Client::connect(addr, "probe").expect("probe connects");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !names.iter().all(|n| probe.channel_id(n).is_some()) {
        assert!(
            Instant::now() < deadline,
            "channels not mirrored: {names:?}"
        );
        let _ = probe.recv(Duration::from_millis(100));
    }
    let _ = probe.close();
}

fn driver(args: &[String]) {
    let instances: Vec<usize> = arg(args, "--instances", "1,2,4,8")
        .split(',')
        .map(|n| n.parse().expect("--instances"))
        .collect();
    let subscribers: usize = arg(args, "--subscribers", "100")
        .parse()
        .expect("--subscribers");
    let rate: f64 = arg(args, "--rate", "100").parse().expect("--rate");
    let seconds: f64 = arg(args, "--seconds", "5").parse().expect("--seconds");

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let server = ["nats-server", "/usr/sbin/nats-server"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok())
        .expect("nats-server installed (scripts/install-deps.sh)");
    let mut nats_cmd = Command::new(server);
    nats_cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()]);
    let nats = Proc::spawn(nats_cmd, "");
    let url = format!("nats://127.0.0.1:{port}");
    std::thread::sleep(Duration::from_millis(500));

    println!(
        "| setup | deliveries/s (offered) | p50 / p99 latency (us) | server CPU us/delivery | nats-server CPU us/delivery |"
    );
    println!("|---|---|---|---|---|");
    let print = |label: String, m: Measured| {
        println!(
            "| {label} | {:.0} ({:.0}) | {} / {} | {:.2} | {} |",
            m.deliveries_per_s,
            m.expected_per_s,
            m.p50_us,
            m.p99_us,
            m.server_cpu_us_per_delivery,
            m.nats_cpu_us_per_delivery
                .map_or("-".to_owned(), |v| format!("{v:.2}"))
        );
    };

    {
        let mut command = me("instance");
        command.args([
            "--nats",
            "none",
            "--id",
            "direct",
            "--rate",
            &rate.to_string(),
        ]);
        let instance = Proc::spawn(command, "ws ");
        let measured = measure(
            &instance.addr(),
            "telemetry/*",
            subscribers,
            seconds,
            instance.pid(),
            None,
        );
        print(
            format!("1 instance, {subscribers} dashboards direct (WebSocket to the game)"),
            summarize(measured, seconds, rate * subscribers as f64),
        );
    }
    for &n in &instances {
        let mut command = me("gateway");
        command.args(["--nats", &url]);
        let gateway = Proc::spawn(command, "ws ");
        let games: Vec<Proc> = (0..n)
            .map(|i| {
                let mut command = me("instance");
                command.args([
                    "--nats",
                    &url,
                    "--id",
                    &format!("i{i}"),
                    "--rate",
                    &rate.to_string(),
                ]);
                Proc::spawn(command, "ws ")
            })
            .collect();
        let names: Vec<String> = (0..n)
            .map(|i| format!("fleet/i{i}/telemetry/load"))
            .collect();
        wait_for_channels(&gateway.addr(), &names);
        let measured = measure(
            &gateway.addr(),
            "fleet/*/telemetry/*",
            subscribers,
            seconds,
            gateway.pid(),
            Some(nats.pid()),
        );
        print(
            format!("{n} instance(s), {subscribers} dashboards through NATS and the gateway"),
            summarize(measured, seconds, rate * (n * subscribers) as f64),
        );
        drop(games);
        drop(gateway);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match arg(&args, "--role", "driver").as_str() {
        "gateway" => role_gateway(&args),
        "instance" => role_instance(&args),
        _ => driver(&args),
    }
}
