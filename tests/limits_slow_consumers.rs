//! Clients that do not keep up, over real sockets: one that stops reading a
//! reliable channel is cut off as a slow consumer while readers that keep
//! up get everything, and one that stops reading a latest channel is
//! conflated to the newest value instead, without the host's memory
//! growing.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{PATIENCE, client_id, start_host};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::{ChannelId, ChannelSpec, Host, HostError, HostEvent, Limits};

/// Tests that push megabytes through the host take turns, so that one's
/// memory use does not show up in another's measurement.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy_turn() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A content of `len` bytes that names its index.
fn numbered(index: u64, len: usize) -> Bytes {
    let mut content = vec![(index % 251) as u8; len];
    content[..8].copy_from_slice(&index.to_le_bytes());
    Bytes::from(content)
}

fn index_of(content: &[u8]) -> u64 {
    u64::from_le_bytes(content[..8].try_into().unwrap())
}

/// Publishes, waiting for room while the command queue is full (as a game
/// would retry next frame).
fn publish_patiently(host: &Host, channel: ChannelId, content: Bytes, deadline: Instant) {
    loop {
        match host.publish(channel, content.clone()) {
            Ok(()) => return,
            Err(HostError::QueueFull(_)) if Instant::now() < deadline => {
                thread::sleep(Duration::from_micros(100));
            }
            Err(e) => panic!("publish failed: {e}"),
        }
    }
}

/// Resident memory of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// A client reading a reliable channel on its own thread.
struct Reader {
    /// Messages received so far.
    progress: Arc<AtomicU64>,
    thread: thread::JoinHandle<Result<Client, String>>,
}

/// Reads `channel` on its own thread, checking order and content, until it
/// has `total` messages (unknown while it is 0); then hands the client back,
/// still connected.
fn spawn_reader(
    mut client: Client,
    channel: u32,
    total: Arc<AtomicU64>,
    deadline: Instant,
) -> Reader {
    let progress = Arc::new(AtomicU64::new(0));
    let received = Arc::clone(&progress);
    let thread = thread::spawn(move || {
        let mut count = 0u64;
        loop {
            let known = total.load(Ordering::Acquire);
            if known != 0 && count == known {
                return Ok(client);
            }
            if Instant::now() > deadline {
                return Err(format!("{count} of {known} messages before the deadline"));
            }
            match client.recv(Duration::from_millis(500)) {
                Ok(Incoming::Data {
                    channel: c,
                    sequence,
                    content,
                    ..
                }) => {
                    count += 1;
                    if c != channel || sequence != count || index_of(&content) != count {
                        return Err(format!(
                            "message {count}: channel {c}, sequence {sequence}, index {}",
                            index_of(&content)
                        ));
                    }
                    received.store(count, Ordering::Release);
                }
                Ok(other) => return Err(format!("after {count} messages: {other:?}")),
                Err(ClientError::Timeout) => {}
                Err(e) => return Err(format!("after {count} messages: {e}")),
            }
        }
    });
    Reader { progress, thread }
}

#[test]
fn client_that_stops_reading_a_reliable_channel_is_cut_off_as_slow_consumer() {
    let _turn = heavy_turn();
    const QUEUE: usize = 256;
    let host = start_host(|c| {
        c.limits(Limits {
            outbound_queue_messages: QUEUE,
            command_queue: 64,
            ..Limits::default()
        })
    });
    let feed = host.advertise(ChannelSpec::new("feed")).unwrap();
    let mut slow = Client::connect(host.local_addr(), "slow").unwrap();
    slow.subscribe(&[feed.0], &[]).unwrap();
    let slow_id = client_id(&slow);

    let total = Arc::new(AtomicU64::new(0));
    let readers_deadline = Instant::now() + Duration::from_secs(60);
    let mut readers = Vec::new();
    for name in ["reader one", "reader two"] {
        let mut reader = Client::connect(host.local_addr(), name).unwrap();
        reader.subscribe(&[feed.0], &[]).unwrap();
        readers.push(spawn_reader(
            reader,
            feed.0,
            Arc::clone(&total),
            readers_deadline,
        ));
    }

    // The readers are never more than half a queue behind the game (the
    // game waits for them), so the host has no reason to drop them, however
    // slowly this machine runs them. The slow client never reads at all.
    let window = (QUEUE / 2) as u64;
    const MAX_MESSAGES: u64 = 200_000;
    let publish_deadline = Instant::now() + Duration::from_secs(20);
    let mut published = 0;
    let mut cut_off = None;
    while cut_off.is_none() && published < MAX_MESSAGES && Instant::now() < publish_deadline {
        let slowest = readers
            .iter()
            .map(|r| r.progress.load(Ordering::Acquire))
            .min()
            .unwrap_or(0);
        if published - slowest < window {
            published += 1;
            publish_patiently(&host, feed, numbered(published, 1024), publish_deadline);
        } else {
            thread::sleep(Duration::from_micros(100));
        }
        while let Some(event) = host.try_event() {
            match event {
                HostEvent::Disconnected { client, reason } if client == slow_id => {
                    cut_off = Some(reason);
                }
                HostEvent::Disconnected { client, reason } => {
                    panic!("{client}, which reads, was disconnected: {reason}")
                }
                _ => {}
            }
        }
    }
    let reason = cut_off.unwrap_or_else(|| {
        panic!("the client that never reads is still connected after {published} messages")
    });
    assert!(reason.contains("slow consumer"), "{reason}");
    total.store(published, Ordering::Release);

    // The readers got everything, in order.
    let readers: Vec<Client> = readers
        .into_iter()
        .map(|r| r.thread.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
        .collect();

    // The slow client, reading at last, finds an unbroken prefix of the
    // stream and then the close that explains why it ends.
    let mut expected = 1;
    let close = loop {
        assert!(expected <= published, "more messages than were published");
        match slow.recv(PATIENCE) {
            Ok(Incoming::Data {
                sequence, content, ..
            }) => {
                assert_eq!(sequence, expected, "a reliable stream has no gaps");
                assert_eq!(index_of(&content), expected);
                expected += 1;
            }
            Ok(Incoming::Closed { code, reason }) => break (code, reason),
            other => panic!("after {} messages: {other:?}", expected - 1),
        }
    };
    assert_eq!(close.0, 4000, "{}", close.1);
    assert!(close.1.contains("slow consumer"), "{}", close.1);
    assert!(
        expected - 1 < published,
        "the slow client cannot have it all"
    );

    // The readers are still connected.
    for mut reader in readers {
        host.send_to(client_id(&reader), feed, &b"still there"[..])
            .unwrap();
        match reader.recv(PATIENCE) {
            Ok(Incoming::Data { content, .. }) => assert_eq!(content, b"still there"),
            other => panic!("expected Data, got {other:?}"),
        }
    }
}

#[test]
fn latest_channel_conflates_for_a_client_that_does_not_read() {
    let _turn = heavy_turn();
    let host = start_host(|c| {
        c.limits(Limits {
            command_queue: 1024,
            ..Limits::default()
        })
    });
    let telemetry = host
        .advertise(ChannelSpec::new("telemetry/frame").latest())
        .unwrap();
    let marker = host.advertise(ChannelSpec::new("marker")).unwrap();
    let mut sleeper = Client::connect(host.local_addr(), "sleeper").unwrap();
    sleeper.subscribe(&[telemetry.0], &[]).unwrap();
    let sleeper_id = client_id(&sleeper);
    let mut witness = Client::connect(host.local_addr(), "witness").unwrap();
    witness.subscribe(&[marker.0], &[]).unwrap();

    // 100 000 messages of 1 KiB: over 100 MiB of frames if all were kept.
    const MESSAGES: u64 = 100_000;
    const SIZE: usize = 1024;
    let rss_before = rss_bytes();
    let mut rss_peak = rss_before;
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 1..=MESSAGES {
        publish_patiently(&host, telemetry, numbered(i, SIZE), deadline);
        if i % 16 == 0 {
            // A round trip through the network thread, which runs commands
            // in order: every publish so far has been handled. Without these
            // pauses the thread would take thousands of publishes per turn
            // and conflate them whether or not the client reads; with them
            // it writes often enough to fill the sleeper's socket first.
            publish_patiently(&host, marker, numbered(i, 8), deadline);
            match witness.recv(PATIENCE) {
                Ok(Incoming::Data { content, .. }) => assert_eq!(index_of(&content), i),
                other => panic!("expected marker {i}, got {other:?}"),
            }
        }
        if i % 1000 == 0 {
            rss_peak = rss_peak.max(rss_bytes());
        }
    }
    rss_peak = rss_peak.max(rss_bytes());
    let growth = rss_peak.saturating_sub(rss_before);
    assert!(
        growth < 64 << 20,
        "memory grew by {} MiB while a client did not read a latest channel",
        growth >> 20
    );

    // Reading at last: the newest value arrives, older ones were skipped.
    let mut sequences: Vec<u64> = Vec::new();
    let read_deadline = Instant::now() + PATIENCE * 3;
    while sequences.last() != Some(&MESSAGES) {
        assert!(
            Instant::now() < read_deadline,
            "the last message never came ({} read, last {:?})",
            sequences.len(),
            sequences.last()
        );
        match sleeper.recv(PATIENCE) {
            Ok(Incoming::Data {
                channel,
                sequence,
                content,
                ..
            }) => {
                assert_eq!(channel, telemetry.0);
                assert_eq!(index_of(&content), sequence, "content matches its sequence");
                assert_eq!(content.len(), SIZE);
                sequences.push(sequence);
            }
            other => panic!("after {} messages: {other:?}", sequences.len()),
        }
    }
    let received = sequences.len() as u64;
    assert!(
        received < MESSAGES / 4,
        "{received} of {MESSAGES} delivered: hardly conflated"
    );
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers strictly increase"
    );
    assert!(
        sequences.windows(2).any(|w| w[1] - w[0] > 1),
        "gaps show what was skipped"
    );

    // Not disconnected: it still talks to the host.
    sleeper.subscribe(&[marker.0], &[]).unwrap();
    host.publish(marker, &b"again"[..]).unwrap();
    match sleeper.recv(PATIENCE) {
        Ok(Incoming::Data { channel, .. }) => assert_eq!(channel, marker.0),
        other => panic!("expected the marker, got {other:?}"),
    }
    while let Some(event) = host.try_event() {
        if let HostEvent::Disconnected { client, reason } = event {
            assert_ne!(client, sleeper_id, "disconnected: {reason}");
        }
    }
}
