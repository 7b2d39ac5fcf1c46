//! Helpers shared by the integration tests: a host on a free port, waiting
//! for events with a deadline, and log output when RUST_LOG is set.
#![allow(dead_code)]

#[cfg(feature = "hardware")]
pub mod hardware;
#[cfg(feature = "inspector")]
pub mod inspector;
pub mod misbehaving;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "nats")]
pub mod nats_jwt;
#[cfg(all(feature = "packages", feature = "cli"))]
pub mod packages;
pub mod raw_ws;
pub mod sabotage;
#[cfg(feature = "tls")]
pub mod tls;

use std::time::{Duration, Instant};

use switchboard::client::{Client, Incoming};
use switchboard::{ClientId, Host, HostConfig, HostEvent};

/// Generous bound for anything that should happen "at once" on loopback.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A host on 127.0.0.1 with a free port.
pub fn start_host(configure: impl FnOnce(HostConfig) -> HostConfig) -> Host {
    init_logs();
    Host::start(configure(HostConfig::default().port(0))).expect("host starts")
}

/// Waits for the first event `pick` accepts, skipping others; panics after
/// PATIENCE with what it saw.
pub fn wait_for<T>(host: &Host, mut pick: impl FnMut(HostEvent) -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    let mut skipped = Vec::new();
    while Instant::now() < deadline {
        if let Some(event) = host.wait_event(Duration::from_millis(50)) {
            let text = format!("{event:?}");
            if let Some(found) = pick(event) {
                return found;
            }
            skipped.push(text);
        }
    }
    panic!("event not seen within {PATIENCE:?}; skipped: {skipped:#?}");
}

/// Waits until `client` has connected (its Connected event).
pub fn wait_connected(host: &Host, client_id: u32) {
    wait_for(host, |e| match e {
        HostEvent::Connected(info) if info.id.0 == client_id => Some(()),
        _ => None,
    })
}

/// The id the host gave `client` in its Welcome.
pub fn client_id(client: &Client) -> ClientId {
    ClientId(client.welcome().client_id)
}

/// The next `Data` as (channel, sequence, content), skipping channel
/// announcements; panics on anything else or after PATIENCE.
pub fn next_data(client: &mut Client) -> (u32, u64, Vec<u8>) {
    loop {
        match client.recv(PATIENCE).expect("data arrives") {
            Incoming::Data {
                channel,
                sequence,
                content,
                ..
            } => return (channel, sequence, content),
            Incoming::Advertise(_) | Incoming::Unadvertise(_) => continue,
            other => panic!("expected Data, got {other:?}"),
        }
    }
}
