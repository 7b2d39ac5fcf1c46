//! The pipe transport under a real host: a link over real pipes, the
//! plugin's end driven by the blocking client over `PipeConnection`.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::{Client, ClientError, ClientOptions, Incoming, PipeConnection};
use crate::net::transport::Admission;
use crate::net::transport::pipe::{PipeLink, PipeWatch};
use crate::protocol::ipc::ErrorCode;
use crate::{ChannelSpec, Host, HostConfig, HostEvent, Peer};

const WAIT: Duration = Duration::from_secs(10);

/// Host-side link attached to `host`, and the plugin's end of the pipes.
fn attach(host: &Host, name: &str) -> (PipeConnection, Arc<PipeWatch>) {
    let (to_host_w, to_host_r) = mio::unix::pipe::new().unwrap();
    let (to_plugin_w, to_plugin_r) = mio::unix::pipe::new().unwrap();
    let watch = Arc::new(PipeWatch::default());
    let admission = Admission {
        name: name.to_owned(),
        directories: vec![("data".into(), "/tmp/plugin-data".into())],
        preferences: vec![("language".into(), "en-GB".into())],
        handshake_timeout: None,
    };
    let link = PipeLink::new(
        OwnedFd::from(to_host_r),
        OwnedFd::from(to_plugin_w),
        std::process::id(),
        host.port().max_message_size,
        admission,
        Arc::clone(&watch),
    )
    .unwrap();
    host.port().attach(Box::new(link)).unwrap();
    let plugin_end = PipeConnection::new(OwnedFd::from(to_plugin_r), OwnedFd::from(to_host_w));
    (plugin_end, watch)
}

fn host() -> Host {
    // A host token: plugin links do not need it (the pipe is the credential).
    let mut config = HostConfig::default().port(0).token("host-secret");
    config.limits.max_message_size = 4096;
    Host::start(config).unwrap()
}

fn connected(host: &Host) -> crate::ClientInfo {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(HostEvent::Connected(info)) = host.wait_event(Duration::from_millis(100)) {
            return info;
        }
    }
    panic!("no Connected event");
}

fn closed(client: &mut Client) -> (u16, String) {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        match client.recv(Duration::from_millis(200)) {
            Ok(Incoming::Closed { code, reason }) => return (code, reason),
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(e) => panic!("{e}"),
        }
    }
    panic!("not closed");
}

#[test]
fn a_plugin_registers_by_its_id_and_gets_its_own_directories() {
    let host = host();
    let (pipe, watch) = attach(&host, "weather");
    let client = Client::over_pipe(pipe, ClientOptions::new("weather")).unwrap();
    let welcome = client.welcome();
    assert_eq!(welcome.directories["data"], "/tmp/plugin-data");
    assert_eq!(welcome.preferences["language"], "en-GB");
    assert_eq!(welcome.host_version, env!("CARGO_PKG_VERSION"));
    let info = connected(&host);
    assert_eq!(info.name, "weather");
    assert_eq!(info.peer, Peer::Pipe(std::process::id()));
    assert_eq!(watch.client(), Some(info.id));
}

#[test]
fn a_wrong_id_is_refused_with_the_expected_one() {
    let host = host();
    let (pipe, watch) = attach(&host, "weather");
    let Err(error) = Client::over_pipe(pipe, ClientOptions::new("impostor")) else {
        panic!("a wrong id was accepted");
    };
    let ClientError::Refused { code, message } = error else {
        panic!("{error}");
    };
    assert_eq!(code, ErrorCode::Unauthorized);
    assert!(
        message.contains("\"weather\"") && message.contains("\"impostor\""),
        "{message}"
    );
    assert_eq!(watch.client(), None);
}

#[test]
fn requests_and_messages_go_both_ways() {
    let host = host();
    let rpc = host
        .advertise(ChannelSpec::new("rpc").clients_may_publish())
        .unwrap();
    let (pipe, _watch) = attach(&host, "calc");
    let mut plugin = Client::over_pipe(pipe, ClientOptions::new("calc")).unwrap();
    let me = connected(&host).id;

    // Plugin -> game request, many in flight.
    let ids: Vec<u64> = (0..200)
        .map(|i| plugin.request(rpc.0, format!("{i}").as_bytes()).unwrap())
        .collect();
    let mut answered = 0;
    while answered < ids.len() {
        if let Some(HostEvent::Message(m)) = host.wait_event(WAIT) {
            let request = m.request_id().unwrap();
            let mut answer = m.content().to_vec();
            answer.extend_from_slice(b"!");
            host.respond(m.client(), request, answer).unwrap();
            answered += 1;
        }
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            plugin.wait_response(*id, WAIT).unwrap(),
            format!("{i}!").into_bytes()
        );
    }

    // Game -> plugin request, answered with an error.
    let asked = host.request(me, rpc, &b"divide by zero"[..], None).unwrap();
    loop {
        match plugin.recv(WAIT).unwrap() {
            Incoming::Data { request_id, .. } if request_id != 0 => {
                plugin
                    .respond(request_id, rpc.0, Err("cannot divide by zero"))
                    .unwrap();
                break;
            }
            _ => {}
        }
    }
    loop {
        if let Some(HostEvent::Response(r)) = host.wait_event(WAIT) {
            assert_eq!(r.request_id(), asked);
            assert_eq!(r.result(), Err("cannot divide by zero"));
            break;
        }
    }
}

#[test]
fn an_oversized_frame_closes_the_plugin_with_1009_before_its_body_is_sent() {
    let host = host();
    let (mut pipe, _watch) = attach(&host, "big");
    // The header alone announces too much; no body follows.
    pipe.send(&crate::protocol::encode_hello(
        &crate::protocol::HelloArgs {
            client_name: "big",
            protocol_versions: &[crate::protocol::PROTOCOL_VERSION],
            token: None,
        },
    ))
    .unwrap();
    let mut client_side = pipe;
    client_side.send_raw(&1_000_000u32.to_le_bytes()).unwrap();
    let mut saw_too_large = false;
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no close");
        match client_side.recv(WAIT).unwrap() {
            crate::client::PipeIncoming::Frame(frame) => {
                let frame = crate::protocol::verify_frame(&frame).unwrap();
                if let Some(error) = frame.body_as_error() {
                    saw_too_large |= error.code() == ErrorCode::TooLarge;
                }
            }
            crate::client::PipeIncoming::Closed { code, reason } => {
                assert_eq!(code, 1009, "{reason}");
                assert!(reason.contains("1000000"), "{reason}");
                break;
            }
            crate::client::PipeIncoming::Ended => panic!("ended without a close"),
        }
    }
    assert!(saw_too_large);
}

#[test]
fn garbage_control_messages_close_with_a_protocol_error() {
    let host = host();
    let (pipe, _watch) = attach(&host, "noisy");
    let mut plugin = Client::over_pipe(pipe, ClientOptions::new("noisy")).unwrap();
    plugin
        .send_frame(&[0x03, 0x00, 0x00, 0x80, 0x09, 0x09, 0x09][..])
        .unwrap();
    // Sent as a frame, the bytes above are a frame whose body is garbage:
    // the session refuses it with BadFrame and the link stays usable.
    let mut got_bad_frame = false;
    while let Ok(incoming) = plugin.recv(Duration::from_secs(2)) {
        if let Incoming::Error { code, .. } = incoming {
            got_bad_frame = code == ErrorCode::BadFrame;
            break;
        }
    }
    assert!(got_bad_frame);
    // Raw, they are a control message of an unknown kind: the link is
    // closed with 1002.
    let (mut raw, _watch) = attach(&host, "raw");
    raw.send_raw(&[0x01, 0x00, 0x00, 0x80, 0x09]).unwrap();
    loop {
        match raw.recv(WAIT).unwrap() {
            crate::client::PipeIncoming::Closed { code, reason } => {
                assert_eq!(code, 1002);
                assert!(reason.contains("unknown kind 9"), "{reason}");
                break;
            }
            crate::client::PipeIncoming::Frame(_) => {}
            crate::client::PipeIncoming::Ended => panic!("ended without a close"),
        }
    }
}

#[test]
fn pings_from_the_supervisor_are_answered_by_a_reading_plugin() {
    let host = host();
    let (pipe, watch) = attach(&host, "alive");
    let mut plugin = Client::over_pipe(pipe, ClientOptions::new("alive")).unwrap();
    assert_eq!(watch.last_pong(), None);
    watch.ping(42);
    let deadline = Instant::now() + WAIT;
    while watch.last_pong().map(|p| p.0) != Some(42) {
        assert!(Instant::now() < deadline, "no pong");
        let _ = plugin.recv(Duration::from_millis(50));
    }
}

#[test]
fn a_plugin_that_closes_its_pipe_is_disconnected_and_the_link_ends() {
    let host = host();
    let (pipe, watch) = attach(&host, "brief");
    let plugin = Client::over_pipe(pipe, ClientOptions::new("brief")).unwrap();
    let id = connected(&host).id;
    drop(plugin);
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no Disconnected");
        if let Some(HostEvent::Disconnected { client, reason }) =
            host.wait_event(Duration::from_millis(100))
        {
            assert_eq!(client, id);
            assert!(reason.contains("without a close"), "{reason}");
            break;
        }
    }
    let deadline = Instant::now() + WAIT;
    while !watch.ended() {
        assert!(Instant::now() < deadline, "link not dropped");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_closing_plugin_gets_the_close_answered() {
    let host = host();
    let (pipe, _watch) = attach(&host, "polite");
    let mut plugin = Client::over_pipe(pipe, ClientOptions::new("polite")).unwrap();
    let _ = connected(&host);
    plugin
        .send_message(tungstenite::Message::Close(Some(
            tungstenite::protocol::CloseFrame {
                code: 1000.into(),
                reason: "bye".into(),
            },
        )))
        .unwrap();
    assert_eq!(closed(&mut plugin).0, 1000);
}
