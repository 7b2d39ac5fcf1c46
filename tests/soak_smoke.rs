//! A five-second run of the soak (`examples/soak.rs` runs the same code for
//! a minute or more): reliable channels both ways, requests both ways, a
//! game loop that drains once per frame; nothing may be lost, duplicated,
//! reordered or corrupted, and no client may be disconnected.

#[path = "support/soak/mod.rs"]
mod soak;

use std::time::Duration;

#[test]
fn five_seconds_of_traffic_lose_nothing() {
    let mut options = soak::Options::for_duration(Duration::from_secs(5));
    options.drain_timeout = Duration::from_secs(15);
    let summary = soak::run(&options);
    eprintln!("{}", summary.to_json());
    assert!(summary.ok(), "{:#?}", summary.problems);
    assert_eq!(summary.clients.len(), options.clients);
    // Every stream actually carried traffic.
    for (i, c) in summary.clients.iter().enumerate() {
        assert!(c.up.received > 100, "client {i}: {c:?}");
        assert!(c.broadcast.received > 100, "client {i}: {c:?}");
        assert!(c.rpc.received > 10, "client {i}: {c:?}");
        assert!(c.ask.received > 10, "client {i}: {c:?}");
    }
}
