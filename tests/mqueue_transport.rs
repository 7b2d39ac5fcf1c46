//! The message-queue transport with the crate's own client: the host finds
//! a pair named after its process id, frames of any size travel both ways
//! split into slots, a reader that falls behind loses nothing on a
//! reliable channel, and the queues are gone once either side is.
#![cfg(all(feature = "mqueue", target_os = "linux"))]

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, next_data, start_host, wait_for};
use switchboard::client::{Client, ClientOptions};
use switchboard::{ChannelSpec, Host, HostEvent, MqueueConfig, Peer};

/// Queue names are per process; each test takes its own prefix so tests in
/// this binary can run at once.
fn queues(test: &str) -> MqueueConfig {
    MqueueConfig::default()
        .prefix(format!("SwitchboardTest{test}"))
        .look_interval(Duration::from_millis(20))
}

fn queue_exists(name: &str) -> bool {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a NUL-terminated name; O_RDONLY reads no more arguments.
    let mqd = unsafe { libc::mq_open(c.as_ptr(), libc::O_RDONLY | libc::O_NONBLOCK) };
    if mqd >= 0 {
        // SAFETY: just opened.
        unsafe { libc::mq_close(mqd) };
        return true;
    }
    false
}

fn gone_within(name: &str, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if !queue_exists(name) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn echo_host(test: &str) -> (Host, MqueueConfig) {
    let config = queues(test);
    let host = start_host(|c| c.message_queues(config.clone()));
    host.advertise(ChannelSpec::new("echo").clients_may_publish())
        .unwrap();
    (host, config)
}

/// Answers every request with its own content until `stop` says so.
fn answer(host: &Host, until: Instant) {
    while Instant::now() < until {
        if let Some(HostEvent::Message(m)) = host.wait_event(Duration::from_millis(20)) {
            if let Some(request_id) = m.request_id() {
                let content = m.content().to_vec();
                host.respond(m.client(), request_id, content).unwrap();
                return;
            }
        }
    }
}

#[test]
fn a_client_connects_and_calls_with_frames_of_every_size() {
    let (host, config) = echo_host("Sizes");
    let mut client = Client::over_queues(
        std::process::id(),
        &config,
        ClientOptions::new("queue test"),
    )
    .unwrap();
    let info = wait_for(&host, |e| match e {
        HostEvent::Connected(info) => Some(info),
        _ => None,
    });
    assert_eq!(info.peer, Peer::MessageQueue);
    assert_eq!(info.name, "queue test");
    let echo = client.channel_id("echo").unwrap();
    for len in [0usize, 1, 8000, 8192, 8193, 100_000, 3 << 20] {
        let content: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let id = client.request(echo, &content).unwrap();
        answer(&host, Instant::now() + PATIENCE);
        let back = client.wait_response(id, PATIENCE).unwrap();
        assert_eq!(back.len(), len);
        assert!(back == content, "content of {len} bytes came back changed");
    }
    let (in_name, out_name) = config.names(std::process::id());
    assert!(queue_exists(&in_name) && queue_exists(&out_name));
    client.close().unwrap();
    wait_for(&host, |e| {
        matches!(e, HostEvent::Disconnected { .. }).then_some(())
    });
    assert!(gone_within(&in_name, PATIENCE) && gone_within(&out_name, PATIENCE));
}

#[test]
fn a_slow_reader_loses_nothing_on_a_reliable_channel() {
    let (host, config) = echo_host("Slow");
    let news = host.advertise(ChannelSpec::new("news")).unwrap();
    let mut client =
        Client::over_queues(std::process::id(), &config, ClientOptions::new("slow")).unwrap();
    client.subscribe(&[], &["news"]).unwrap();
    // Far more than the queue's ten slots: the host must wait for room.
    let count = 500u32;
    for i in 0..count {
        let mut body = i.to_le_bytes().to_vec();
        body.resize(3000, 7);
        host.publish(news, body).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..count {
        let (channel, sequence, content) = next_data(&mut client);
        assert_eq!(channel, news.0);
        assert_eq!(sequence, u64::from(i) + 1);
        assert_eq!(&content[..4], &i.to_le_bytes());
    }
}

#[test]
fn host_shutdown_removes_the_queues_and_ends_the_client() {
    let (host, config) = echo_host("Shutdown");
    let mut client =
        Client::over_queues(std::process::id(), &config, ClientOptions::new("c")).unwrap();
    let (in_name, out_name) = config.names(std::process::id());
    host.shutdown();
    assert!(gone_within(&in_name, PATIENCE) && gone_within(&out_name, PATIENCE));
    match client.recv(PATIENCE) {
        Ok(switchboard::client::Incoming::Closed { code, .. }) => assert_eq!(code, 1001),
        other => panic!("expected the host's close, got {other:?}"),
    }
}

#[test]
fn dropping_the_client_frees_the_pair_for_the_next_one() {
    let (host, config) = echo_host("Next");
    let first =
        Client::over_queues(std::process::id(), &config, ClientOptions::new("first")).unwrap();
    drop(first);
    wait_for(&host, |e| {
        matches!(e, HostEvent::Disconnected { .. }).then_some(())
    });
    let second =
        Client::over_queues(std::process::id(), &config, ClientOptions::new("second")).unwrap();
    assert_eq!(second.welcome().host_name, "switchboard");
}

#[test]
fn a_second_client_is_told_the_pair_is_taken() {
    let (_host, config) = echo_host("Taken");
    let _first =
        Client::over_queues(std::process::id(), &config, ClientOptions::new("first")).unwrap();
    let mut options = ClientOptions::new("second");
    options.timeout = Duration::from_millis(300);
    let err = Client::over_queues(std::process::id(), &config, options)
        .err()
        .unwrap();
    assert!(err.to_string().contains("another client"), "{err}");
}

#[test]
fn a_game_that_does_not_exist_is_an_error() {
    let err = Client::over_queues(u32::MAX / 2, &queues("Nobody"), ClientOptions::new("x"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("no process"), "{err}");
}

/// Makes one queue as a careless (or hostile) client might.
fn make_queue(name: &str, mode: libc::mode_t, slot: i64) {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: mq_attr is plain integers.
    let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
    attr.mq_maxmsg = 10;
    attr.mq_msgsize = slot;
    // SAFETY: a NUL-terminated name, a mode and a valid attribute pointer.
    let mqd = unsafe {
        libc::mq_open(
            c.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
            0o600 as libc::c_uint,
            &attr as *const libc::mq_attr,
        )
    };
    assert!(mqd >= 0, "{name}: {}", std::io::Error::last_os_error());
    // SAFETY: just opened; fchmod on its descriptor, then close it.
    unsafe {
        assert_eq!(libc::fchmod(mqd, mode), 0);
        libc::mq_close(mqd);
    }
}

fn unlink(name: &str) {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a NUL-terminated name.
    unsafe { libc::mq_unlink(c.as_ptr()) };
}

#[test]
fn a_pair_others_may_open_or_with_tiny_slots_is_left_alone() {
    for (test, mode, slot) in [("Mode", 0o644, 8192), ("Tiny", 0o600, 64)] {
        let (host, config) = echo_host(test);
        let (in_name, out_name) = config.names(std::process::id());
        make_queue(&in_name, mode, slot);
        make_queue(&out_name, mode, slot);
        // Many looks later: not taken, not removed.
        let deadline = Instant::now() + Duration::from_millis(400);
        while Instant::now() < deadline {
            if let Some(event) = host.wait_event(Duration::from_millis(20)) {
                assert!(
                    !matches!(event, HostEvent::Connected(_)),
                    "{test}: {event:?}"
                );
            }
        }
        assert!(queue_exists(&in_name) && queue_exists(&out_name), "{test}");
        unlink(&in_name);
        unlink(&out_name);
        // Once the names are free, a proper pair is taken.
        let client = Client::over_queues(std::process::id(), &config, ClientOptions::new("fine"));
        assert!(client.is_ok(), "{test}: {:?}", client.err());
    }
}

#[test]
fn a_client_that_never_says_hello_is_timed_out_and_its_pair_removed() {
    let config = queues("Silent");
    let _host = start_host(|c| {
        c.message_queues(config.clone())
            .handshake_timeout(Duration::from_millis(300))
    });
    let (in_name, out_name) = config.names(std::process::id());
    make_queue(&in_name, 0o600, 8192);
    make_queue(&out_name, 0o600, 8192);
    assert!(gone_within(&in_name, PATIENCE) && gone_within(&out_name, PATIENCE));
}
