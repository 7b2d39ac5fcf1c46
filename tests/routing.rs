//! Channels, subscriptions, fan-out and request/response over real sockets.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{PATIENCE, next_data, start_host, wait_connected, wait_for};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::{ChannelSpec, ErrorCode, HostEvent, RequestFailure};

fn assert_quiet(client: &mut Client) {
    match client.recv(Duration::from_millis(200)) {
        Err(ClientError::Timeout) => {}
        other => panic!("expected nothing, got {other:?}"),
    }
}

#[test]
fn subscribe_by_id_receives_only_that_channel() {
    let host = start_host(|c| c);
    let a = host.advertise(ChannelSpec::new("scene/a")).unwrap();
    let b = host.advertise(ChannelSpec::new("scene/b")).unwrap();
    let mut client = Client::connect(host.local_addr(), "sub").unwrap();
    client.subscribe(&[a.0], &[]).unwrap();

    host.publish(b, &b"not for you"[..]).unwrap();
    host.publish(a, &b"for you"[..]).unwrap();
    let (channel, sequence, content) = next_data(&mut client);
    assert_eq!(
        (channel, sequence, content.as_slice()),
        (a.0, 1, &b"for you"[..])
    );
    assert_quiet(&mut client);

    client.unsubscribe(&[a.0], &[]).unwrap();
    host.publish(a, &b"after unsubscribe"[..]).unwrap();
    assert_quiet(&mut client);
}

#[test]
fn patterns_match_now_and_later() {
    let host = start_host(|c| c);
    let fps = host.advertise(ChannelSpec::new("telemetry/fps")).unwrap();
    let deep = host
        .advertise(ChannelSpec::new("telemetry/gpu/load"))
        .unwrap();
    let other = host.advertise(ChannelSpec::new("scene/entities")).unwrap();
    let mut one_level = Client::connect(host.local_addr(), "one").unwrap();
    let mut any_depth = Client::connect(host.local_addr(), "any").unwrap();
    one_level.subscribe(&[], &["telemetry/*"]).unwrap();
    any_depth.subscribe(&[], &["telemetry/**"]).unwrap();

    // A channel advertised after the subscription matches too.
    let late = host.advertise(ChannelSpec::new("telemetry/late")).unwrap();
    for (channel, text) in [(other, "x"), (deep, "deep"), (fps, "fps"), (late, "late")] {
        host.publish(channel, text.as_bytes().to_vec()).unwrap();
    }
    let got: Vec<u32> = (0..2).map(|_| next_data(&mut one_level).0).collect();
    assert_eq!(got, vec![fps.0, late.0]);
    assert_quiet(&mut one_level);
    let got: Vec<u32> = (0..3).map(|_| next_data(&mut any_depth).0).collect();
    assert_eq!(got, vec![deep.0, fps.0, late.0]);
    assert_quiet(&mut any_depth);

    // Removing the pattern stops delivery.
    one_level.unsubscribe(&[], &["telemetry/*"]).unwrap();
    host.publish(fps, &b"gone"[..]).unwrap();
    assert_quiet(&mut one_level);
}

#[test]
fn advertise_and_unadvertise_reach_connected_clients() {
    let host = start_host(|c| c);
    let mut client = Client::connect(host.local_addr(), "watcher").unwrap();
    client.subscribe(&[], &["dyn/*"]).unwrap();
    let id = host
        .advertise(ChannelSpec::new("dyn/one").description("added at run time"))
        .unwrap();
    match client.recv(PATIENCE).unwrap() {
        Incoming::Advertise(channels) => {
            assert_eq!(channels.len(), 1);
            assert_eq!(channels[0].id, id.0);
            assert_eq!(channels[0].description, "added at run time");
        }
        other => panic!("expected Advertise, got {other:?}"),
    }
    host.unadvertise(id).unwrap();
    assert_eq!(
        client.recv(PATIENCE).unwrap(),
        Incoming::Unadvertise(vec![id.0])
    );
    assert!(client.channel_id("dyn/one").is_none());
    assert!(host.publish(id, &b"x"[..]).is_err());
}

#[test]
fn fan_out_to_fifty_clients_in_order() {
    const CLIENTS: usize = 50;
    const MESSAGES: u64 = 200;
    let host = start_host(|c| c);
    let channel = host.advertise(ChannelSpec::new("broadcast")).unwrap();
    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|i| {
            let mut c = Client::connect(host.local_addr(), &format!("c{i}")).unwrap();
            c.subscribe(&[channel.0], &[]).unwrap();
            c
        })
        .collect();
    for n in 0..MESSAGES {
        host.publish(channel, n.to_le_bytes().to_vec()).unwrap();
    }
    for client in &mut clients {
        for n in 0..MESSAGES {
            let (got_channel, sequence, content) = next_data(client);
            assert_eq!(got_channel, channel.0);
            assert_eq!(sequence, n + 1, "sequence is shared and gap-free");
            assert_eq!(content, n.to_le_bytes());
        }
    }
}

#[test]
fn client_publish_reaches_the_game_with_its_client_id() {
    let host = start_host(|c| c);
    let chat = host
        .advertise(ChannelSpec::new("chat").clients_may_publish())
        .unwrap();
    let mut client = Client::connect(host.local_addr(), "talker").unwrap();
    let me = client.welcome().client_id;
    client.publish(chat.0, b"hello game").unwrap();
    let message = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(message.client().0, me);
    assert_eq!(message.channel(), chat);
    assert_eq!(message.request_id(), None);
    assert_eq!(message.content(), b"hello game");
    assert_eq!(&message.content_bytes()[..], b"hello game");
}

#[test]
fn client_requests_hundred_in_flight_answered_out_of_order() {
    const IN_FLIGHT: usize = 100;
    let host = start_host(|c| c);
    let calc = host.advertise(ChannelSpec::new("calc/double")).unwrap();
    let mut client = Client::connect(host.local_addr(), "asker").unwrap();
    let mut sent = Vec::new();
    for n in 0..IN_FLIGHT as u32 {
        sent.push((client.request(calc.0, &n.to_le_bytes()).unwrap(), n));
    }
    let mut requests = Vec::new();
    while requests.len() < IN_FLIGHT {
        let m = wait_for(&host, |e| match e {
            HostEvent::Message(m) => Some(m),
            _ => None,
        });
        requests.push(m);
    }
    // Answer newest first; every third one fails on purpose.
    for m in requests.iter().rev() {
        let n = u32::from_le_bytes(m.content().try_into().unwrap());
        let id = m.request_id().expect("a request");
        if n % 3 == 0 {
            host.respond_error(m.client(), id, format!("no {n}"))
                .unwrap();
        } else {
            host.respond(m.client(), id, (n * 2).to_le_bytes().to_vec())
                .unwrap();
        }
    }
    let mut answered = HashSet::new();
    while answered.len() < IN_FLIGHT {
        match client.recv(PATIENCE).unwrap() {
            Incoming::Response {
                request_id,
                channel,
                result,
            } => {
                assert_eq!(channel, calc.0);
                let n = sent.iter().find(|(id, _)| *id == request_id).unwrap().1;
                if n % 3 == 0 {
                    assert_eq!(result, Err(format!("no {n}")));
                } else {
                    assert_eq!(result, Ok((n * 2).to_le_bytes().to_vec()));
                }
                assert!(answered.insert(request_id), "answered twice");
            }
            other => panic!("expected Response, got {other:?}"),
        }
    }
}

#[test]
fn game_requests_hundred_in_flight_to_a_client() {
    const IN_FLIGHT: u32 = 100;
    let host = start_host(|c| c);
    let ask = host.advertise(ChannelSpec::new("editor/ask")).unwrap();
    let mut client = Client::connect(host.local_addr(), "answerer").unwrap();
    let client_id = switchboard::ClientId(client.welcome().client_id);
    wait_connected(&host, client_id.0);
    let mut ids = HashSet::new();
    for n in 0..IN_FLIGHT {
        let id = host
            .request(client_id, ask, n.to_le_bytes().to_vec(), None)
            .unwrap();
        ids.insert(id);
    }
    let mut requests = Vec::new();
    while requests.len() < IN_FLIGHT as usize {
        match client.recv(PATIENCE).unwrap() {
            Incoming::Data {
                channel,
                request_id,
                content,
                ..
            } => {
                assert_eq!(channel, ask.0);
                assert_ne!(request_id, 0);
                requests.push((request_id, content));
            }
            other => panic!("expected a request, got {other:?}"),
        }
    }
    for (request_id, content) in requests.iter().rev() {
        let mut answer = content.clone();
        answer.reverse();
        client.respond(*request_id, ask.0, Ok(&answer)).unwrap();
    }
    let deadline = Instant::now() + PATIENCE;
    while !ids.is_empty() && Instant::now() < deadline {
        match host.wait_event(Duration::from_millis(100)) {
            Some(HostEvent::Response(r)) => {
                assert!(
                    ids.remove(&r.request_id()),
                    "unexpected {:?}",
                    r.request_id()
                );
                assert_eq!(r.client(), client_id);
                assert_eq!(r.result().unwrap().len(), 4);
            }
            Some(HostEvent::RequestFailed { reason, .. }) => {
                assert_ne!(reason, RequestFailure::Timeout, "answered in time");
            }
            _ => {}
        }
    }
    assert!(ids.is_empty(), "{} requests unanswered", ids.len());
}

#[test]
fn request_on_unknown_channel_is_refused_with_its_id() {
    let host = start_host(|c| c);
    let mut client = Client::connect(host.local_addr(), "lost").unwrap();
    match client.call(999, b"?", PATIENCE) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, ErrorCode::UnknownChannel),
        other => panic!("expected UnknownChannel, got {other:?}"),
    }
}

#[test]
fn direct_messages_are_never_conflated_on_latest_channels() {
    let host = start_host(|c| c);
    let latest = host
        .advertise(ChannelSpec::new("telemetry/direct").latest())
        .unwrap();
    let mut client = Client::connect(host.local_addr(), "direct").unwrap();
    let id = switchboard::ClientId(client.welcome().client_id);
    wait_connected(&host, id.0);
    client.subscribe(&[latest.0], &[]).unwrap();
    // Interleave broadcasts (conflatable) and direct sends (never dropped).
    for n in 0u32..200 {
        host.publish(latest, n.to_le_bytes().to_vec()).unwrap();
        host.send_to(id, latest, (1000 + n).to_le_bytes().to_vec())
            .unwrap();
    }
    let mut direct = Vec::new();
    let mut last_broadcast = 0;
    while direct.len() < 200 {
        let (channel, sequence, content) = next_data(&mut client);
        assert_eq!(channel, latest.0);
        let n = u32::from_le_bytes(content.try_into().unwrap());
        if sequence == 0 {
            direct.push(n);
        } else {
            assert!(sequence > last_broadcast, "broadcasts stay in order");
            last_broadcast = sequence;
        }
    }
    assert_eq!(direct, (1000..1200).collect::<Vec<u32>>());
}

#[test]
fn too_many_patterns_are_refused_as_overloaded() {
    let host = start_host(|c| c);
    let mut client = Client::connect(host.local_addr(), "greedy").unwrap();
    let patterns: Vec<String> = (0..64).map(|i| format!("p{i}/*")).collect();
    let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
    client.subscribe(&[], &refs).unwrap();
    match client.subscribe(&[], &["one/more/*"]) {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, ErrorCode::Overloaded);
            assert!(message.contains("64"), "{message}");
        }
        other => panic!("expected Overloaded, got {other:?}"),
    }
}
