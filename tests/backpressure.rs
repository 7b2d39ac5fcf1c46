//! A game that stops draining while clients flood it: the host stops reading
//! sockets (TCP pushes back), its memory stays bounded, and once the game
//! drains again every message arrives, in order.

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, start_host, wait_connected};
use switchboard::client::Client;
use switchboard::{ChannelSpec, HostEvent, Limits};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_stalled_game_bounds_memory_and_loses_nothing() {
    const MESSAGES: u32 = 2000;
    const SIZE: usize = 16 << 10; // 2000 x 16 KiB = 31 MiB sent in all
    let host = start_host(|c| {
        c.limits(Limits {
            inbound_queue: 64,
            inbound_queue_bytes: 1 << 20,
            ..Limits::default()
        })
    });
    let channel = host
        .advertise(ChannelSpec::new("flood").clients_may_publish())
        .unwrap();
    let addr = host.local_addr();
    let mut client = Client::connect(addr, "flooder").unwrap();
    wait_connected(&host, client.welcome().client_id);
    let before = rss_kib();

    // The client blocks once TCP buffers fill; it runs on its own thread,
    // bounded by the message count.
    let sender = std::thread::spawn(move || {
        for n in 0..MESSAGES {
            let mut content = vec![0u8; SIZE];
            content[..4].copy_from_slice(&n.to_le_bytes());
            client.publish(channel.0, &content).unwrap();
        }
        client
    });

    // The game does not drain for two seconds.
    std::thread::sleep(Duration::from_secs(2));
    let queued = host.pending_events();
    let grown = rss_kib().saturating_sub(before);
    assert!(queued <= 64, "{queued} events queued");
    assert!(
        grown < 24 * 1024,
        "host memory grew by {grown} KiB while stalled (31 MiB were sent)"
    );
    assert!(!sender.is_finished(), "TCP should push back on the client");

    // Drain: everything arrives, in order.
    let mut next = 0u32;
    let deadline = Instant::now() + PATIENCE * 3;
    while next < MESSAGES && Instant::now() < deadline {
        if let Some(HostEvent::Message(m)) = host.wait_event(Duration::from_millis(100)) {
            let n = u32::from_le_bytes(m.content()[..4].try_into().unwrap());
            assert_eq!(n, next, "out of order");
            assert_eq!(m.content().len(), SIZE);
            next += 1;
        }
    }
    assert_eq!(next, MESSAGES, "messages lost");
    sender.join().unwrap();
}
