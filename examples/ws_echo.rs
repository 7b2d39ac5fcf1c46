//! The host's network layer in raw echo mode: every text or binary message
//! comes back exactly as it was sent, with no Switchboard protocol on top.
//! Used for WebSocket conformance (Autobahn) and as the floor in the
//! benchmarks.
//!
//! ```text
//! cargo run --release --example ws_echo -- [PORT]
//! ```

use std::time::Duration;

use switchboard::{Host, HostConfig, Limits};

fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(e)) => {
            eprintln!("usage: ws_echo [PORT] ({e})");
            std::process::exit(2);
        }
    };
    let mut config = HostConfig::default().port(port).limits(Limits {
        // Conformance cases send messages up to 16 MiB and floods of frames.
        max_message_size: 64 << 20,
        max_clients: 2048,
        outbound_queue_bytes: 256 << 20,
        outbound_queue_messages: 1 << 20,
        ..Limits::default()
    });
    config.echo_mode = true;
    let host = match Host::start(config) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("ws_echo: {e}");
            std::process::exit(1);
        }
    };
    println!("ws://{}", host.local_addr());
    // The network thread does the work; this thread only keeps the host alive.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
