//! The Hello / Welcome exchange over a real socket.

mod common;

use std::time::Duration;

use common::{start_host, wait_for};
use switchboard::client::{Client, ClientError, ClientOptions};
use switchboard::{ChannelSpec, ErrorCode, HostEvent};

#[test]
fn welcome_carries_identity_channels_and_host_info() {
    let host = start_host(|c| {
        c.host_name("test game")
            .directory("data", "/tmp/game-data")
            .preference("language", "en-US")
    });
    let fps = host
        .advertise(ChannelSpec::new("telemetry/fps").latest().encoding("json"))
        .unwrap();

    let client = Client::connect(host.local_addr(), "editor").unwrap();
    let welcome = client.welcome();
    assert_eq!(welcome.host_name, "test game");
    assert_eq!(welcome.protocol_version, 1);
    assert_eq!(welcome.session_id, host.session_id());
    assert_eq!(welcome.directories["data"], "/tmp/game-data");
    assert_eq!(welcome.preferences["language"], "en-US");
    assert!(
        welcome
            .capabilities
            .iter()
            .any(|c| c == "subscribe-pattern")
    );
    assert_eq!(client.channel_id("telemetry/fps"), Some(fps.0));
    let channel = client.channels().next().unwrap();
    assert_eq!(channel.delivery, switchboard::DeliveryPolicy::Latest);
    assert_eq!(channel.encoding, "json");

    let info = wait_for(&host, |e| match e {
        HostEvent::Connected(info) => Some(info),
        _ => None,
    });
    assert_eq!(info.id.0, welcome.client_id);
    assert_eq!(info.name, "editor");
}

#[test]
fn session_id_differs_between_hosts_and_clients_get_distinct_ids() {
    let a = start_host(|c| c);
    let b = start_host(|c| c);
    assert_ne!(a.session_id(), b.session_id());
    let c1 = Client::connect(a.local_addr(), "one").unwrap();
    let c2 = Client::connect(a.local_addr(), "two").unwrap();
    assert_ne!(c1.welcome().client_id, c2.welcome().client_id);
}

#[test]
fn unsupported_version_is_refused_with_the_range() {
    let host = start_host(|c| c);
    let mut options = ClientOptions::new("future");
    options.protocol_versions = vec![7, 8];
    match Client::connect_with(host.local_addr(), options) {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, ErrorCode::UnsupportedVersion);
            assert!(message.contains("1..=1"), "{message}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn token_is_required_when_configured() {
    let host = start_host(|c| c.token("s3cret"));
    for token in [None, Some("wrong")] {
        let mut options = ClientOptions::new("intruder");
        options.token = token.map(str::to_owned);
        match Client::connect_with(host.local_addr(), options) {
            Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::Unauthorized),
            other => panic!("expected Unauthorized, got {:?}", other.map(|_| ())),
        }
    }
    let mut options = ClientOptions::new("friend");
    options.token = Some("s3cret".to_owned());
    Client::connect_with(host.local_addr(), options).expect("right token is welcomed");
}

#[test]
fn nothing_but_hello_before_the_handshake() {
    let host = start_host(|c| c);
    let mut ws = Client::open_socket(host.local_addr()).unwrap();
    ws.send(tungstenite::Message::Binary(
        switchboard::protocol::encode_data(1, 0, 0, 0, b"early"),
    ))
    .unwrap();
    ws.get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let reply = ws.read().unwrap();
    let tungstenite::Message::Binary(bytes) = reply else {
        panic!("expected a binary Error frame, got {reply:?}")
    };
    let frame = switchboard::protocol::verify_frame(&bytes).unwrap();
    let error = frame.body_as_error().expect("an Error frame");
    assert_eq!(error.code(), ErrorCode::HandshakeRequired);
    // No Connected event was produced for it.
    assert!(host.wait_event(Duration::from_millis(200)).is_none());
}

#[test]
fn an_empty_version_list_is_refused() {
    let host = start_host(|c| c);
    let mut options = ClientOptions::new("versionless");
    options.protocol_versions = vec![];
    match Client::connect_with(host.local_addr(), options) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::UnsupportedVersion),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn token_capability_only_when_a_token_is_set() {
    let open = start_host(|c| c);
    let client = Client::connect(open.local_addr(), "a").unwrap();
    assert!(!client.welcome().capabilities.iter().any(|c| c == "token"));
    let guarded = start_host(|c| c.token("t0ken"));
    let mut options = ClientOptions::new("b");
    options.token = Some("t0ken".to_owned());
    let client = Client::connect_with(guarded.local_addr(), options).unwrap();
    assert!(client.welcome().capabilities.iter().any(|c| c == "token"));
}

#[test]
fn an_empty_token_is_a_configuration_error() {
    common::init_logs();
    let config = switchboard::HostConfig::default().port(0).token("");
    assert!(matches!(
        switchboard::Host::start(config),
        Err(switchboard::HostError::InvalidConfig(_))
    ));
}
