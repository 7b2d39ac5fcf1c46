//! Frames found while fuzzing: a small Subscribe whose pattern list points
//! at one long string thousands of times. Before the verifier's apparent
//! size was capped, reading one made the host copy gigabytes.

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, start_host};
use switchboard::ErrorCode;
use switchboard::client::{Client, Incoming};
use switchboard::protocol::verify_frame;

const REPRODUCERS: &[&str] = &[
    "fuzz/artifacts-found/frame/subscribe-shared-pattern-4096x4096",
    "fuzz/artifacts-found/frame/subscribe-shared-pattern-16384x16384",
];

fn reproducer(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn amplifying_frames_fail_verification() {
    for path in REPRODUCERS {
        let bytes = reproducer(path);
        assert!(verify_frame(&bytes).is_err(), "{path} passed verification");
    }
}

#[test]
fn the_host_refuses_them_at_once_and_goes_on() {
    let host = start_host(|c| c);
    let mut client = Client::connect(host.local_addr(), "amplifier").unwrap();
    for path in REPRODUCERS {
        let started = Instant::now();
        client.send_frame(reproducer(path)).unwrap();
        match client.recv(PATIENCE).unwrap() {
            Incoming::Error { code, .. } => assert_eq!(code, ErrorCode::BadFrame),
            other => panic!("expected BadFrame, got {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path} kept the host busy"
        );
    }
    client.subscribe(&[], &["still/*"]).unwrap();
}
