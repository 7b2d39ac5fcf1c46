//! An echo server on the plain `Host` API (no Bevy), for the benchmarks:
//! whatever a client sends on `echo` comes back to it. It also serves the
//! fan-out scenario: a request `publish N` on `bench/control` publishes N
//! messages on `bench/fanout`, encoded once and shared by every subscriber,
//! or (with `--per-client`) encoded separately for each connected client.
//!
//! By default it waits for each event and answers it at once, which is the
//! latency-first way. With `--drain` it works the way a game loop does:
//! sleep until something arrives, then take everything waiting and answer
//! it all in one `Host::batch`.
//!
//! ```text
//! cargo run --release --example host_echo -- [--port N] [--max-clients N] [--per-client] [--drain] [--size BYTES]
//! ```

use std::collections::BTreeSet;
use std::time::Duration;

use switchboard::{Batch, ChannelId, ChannelSpec, ClientId, Host, HostConfig, HostEvent, Limits};

struct Options {
    port: u16,
    max_clients: usize,
    per_client: bool,
    drain: bool,
    size: usize,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        port: 0,
        max_clients: 2048,
        per_client: false,
        drain: false,
        size: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |n: &str| args.next().ok_or(format!("{n} needs a value"));
        match arg.as_str() {
            "--port" => o.port = value("--port")?.parse().map_err(|e| format!("{e}"))?,
            "--max-clients" => {
                o.max_clients = value("--max-clients")?
                    .parse()
                    .map_err(|e| format!("{e}"))?
            }
            "--size" => o.size = value("--size")?.parse().map_err(|e| format!("{e}"))?,
            "--per-client" => o.per_client = true,
            "--drain" => o.drain = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn main() {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("host_echo: {e}");
            std::process::exit(2);
        }
    };
    let config = HostConfig::default().port(options.port).limits(Limits {
        max_clients: options.max_clients,
        max_message_size: 1 << 20,
        ..Limits::default()
    });
    let host = match Host::start(config) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("host_echo: {e}");
            std::process::exit(1);
        }
    };
    let echo = host
        .advertise(ChannelSpec::new("echo").clients_may_publish())
        .expect("advertise echo");
    let control = host
        .advertise(ChannelSpec::new("bench/control"))
        .expect("advertise control");
    let fanout = host
        .advertise(ChannelSpec::new("bench/fanout"))
        .expect("advertise fanout");
    println!("ws://{}", host.local_addr());

    let mut server = Echo {
        host: &host,
        echo,
        control,
        fanout,
        payload: vec![0x5a; options.size],
        per_client: options.per_client,
        clients: BTreeSet::new(),
    };
    loop {
        if options.drain {
            if host.wait_for_event(Duration::from_secs(3600)) {
                let mut batch = host.batch();
                for event in host.drain_events() {
                    server.handle(event, Some(&mut batch));
                }
                if let Err(e) = batch.commit() {
                    eprintln!("host_echo: echoes dropped: {e}");
                }
            }
        } else if let Some(event) = host.wait_event(Duration::from_secs(3600)) {
            server.handle(event, None);
        }
    }
}

struct Echo<'a> {
    host: &'a Host,
    echo: ChannelId,
    control: ChannelId,
    fanout: ChannelId,
    payload: Vec<u8>,
    per_client: bool,
    clients: BTreeSet<ClientId>,
}

impl Echo<'_> {
    /// Answers one event; echoes go into `batch` when there is one.
    fn handle(&mut self, event: HostEvent, batch: Option<&mut Batch<'_>>) {
        let host = self.host;
        match event {
            HostEvent::Connected(info) => {
                self.clients.insert(info.id);
            }
            HostEvent::Disconnected { client, .. } => {
                self.clients.remove(&client);
            }
            HostEvent::Message(message) if message.channel() == self.echo => {
                let (client, content) = (message.client(), message.content_bytes());
                let result = match (message.request_id(), batch) {
                    (Some(request), Some(batch)) => {
                        batch.respond(client, request, content);
                        Ok(())
                    }
                    (None, Some(batch)) => batch.send_to(client, self.echo, content),
                    (Some(request), None) => host.respond(client, request, content),
                    (None, None) => host.send_to(client, self.echo, content),
                };
                if let Err(e) = result {
                    eprintln!("host_echo: echo dropped: {e}");
                }
            }
            HostEvent::Message(message) if message.channel() == self.control => {
                let Some(request) = message.request_id() else {
                    return;
                };
                let count = std::str::from_utf8(message.content())
                    .ok()
                    .and_then(|t| t.strip_prefix("publish "))
                    .and_then(|n| n.parse::<usize>().ok());
                let Some(count) = count else {
                    let _ = host.respond_error(message.client(), request, "expected \"publish N\"");
                    return;
                };
                for _ in 0..count {
                    if self.per_client {
                        for client in &self.clients {
                            send_retrying(|| {
                                host.send_to(*client, self.fanout, self.payload.clone())
                            });
                        }
                    } else {
                        send_retrying(|| host.publish(self.fanout, self.payload.clone()));
                    }
                }
                let _ = host.respond(message.client(), request, &b"ok"[..]);
            }
            _ => {}
        }
    }
}

/// Retries while the command queue is full (the network thread catches up).
fn send_retrying(mut send: impl FnMut() -> Result<(), switchboard::HostError>) {
    for _ in 0..10_000 {
        match send() {
            Err(switchboard::HostError::QueueFull(_)) => {
                std::thread::sleep(Duration::from_micros(50))
            }
            Err(e) => {
                eprintln!("host_echo: {e}");
                return;
            }
            Ok(()) => return,
        }
    }
}
