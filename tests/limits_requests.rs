//! Bounds on requests, over real sockets: requests either way that time
//! out, a client that leaves with a request in flight, and the number of
//! requests a client or the game may have in flight.

mod common;

use std::time::{Duration, Instant};

use common::{PATIENCE, client_id, start_host, wait_connected, wait_for};
use switchboard::client::{Client, ClientError, Incoming};
use switchboard::protocol::encode_data;
use switchboard::{
    ChannelId, ChannelSpec, ClientId, ErrorCode, Host, HostEvent, Limits, RequestFailure, RequestId,
};

#[test]
fn unanswered_client_request_gets_timeout_with_its_id() {
    let timeout = Duration::from_millis(200);
    let host = start_host(|c| c.request_timeout(timeout));
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "asker").unwrap();
    assert_eq!(client.welcome().request_timeout_ms, 200);
    let me = client_id(&client);

    let started = Instant::now();
    let id = client.request(rpc.0, b"anyone?").unwrap();
    let request = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(request.request_id(), Some(RequestId(id)));
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            message,
            request_id,
            channel,
        }) => {
            assert_eq!(code, ErrorCode::Timeout, "{message}");
            assert_eq!((request_id, channel), (id, rpc.0), "{message}");
        }
        other => panic!("expected a Timeout error, got {other:?}"),
    }
    assert!(started.elapsed() >= timeout, "timed out early");

    // A late answer is dropped, not delivered.
    host.respond(me, RequestId(id), &b"too late"[..]).unwrap();
    // Subscribing is a round trip that follows the late answer; anything
    // sent before its confirmation would be waiting now.
    client.subscribe(&[rpc.0], &[]).unwrap();
    assert!(matches!(
        client.recv(Duration::from_millis(1)),
        Err(ClientError::Timeout)
    ));
    // The id is free again.
    client
        .send_frame(encode_data(rpc.0, id, 0, 0, b"again"))
        .unwrap();
    let request = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(request.request_id(), Some(RequestId(id)));
    assert_eq!(request.content(), b"again");
    host.respond(me, RequestId(id), &b"now"[..]).unwrap();
    assert_eq!(client.wait_response(id, PATIENCE).unwrap(), b"now");
}

#[test]
fn host_request_that_the_client_never_answers_fails_with_timeout() {
    let host = start_host(|c| c);
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "mute").unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);

    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let request_id = host.request(me, rpc, &b"ping"[..], Some(timeout)).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Data {
            request_id: got,
            content,
            ..
        }) => {
            assert_eq!(got, request_id.0);
            assert_eq!(content, b"ping");
        }
        other => panic!("expected the request, got {other:?}"),
    }
    let (failed_id, reason) = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            client,
            request_id,
            reason,
        } if client == me => Some((request_id, reason)),
        HostEvent::Disconnected { reason, .. } => panic!("disconnected: {reason}"),
        _ => None,
    });
    assert!(started.elapsed() >= timeout, "failed early");
    assert_eq!(failed_id, request_id);
    assert_eq!(reason, RequestFailure::Timeout);

    // A late answer is refused, and the game does not hear of it.
    client.respond(request_id.0, rpc.0, Ok(b"pong")).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            request_id: r,
            ..
        }) => {
            assert_eq!(code, ErrorCode::UnknownRequest);
            assert_eq!(r, request_id.0);
        }
        other => panic!("expected UnknownRequest, got {other:?}"),
    }
    assert!(host.try_event().is_none());
}

/// A client the host has sent a request, which the client has read.
fn asked(name: &str) -> (Host, ChannelId, Client, ClientId, RequestId) {
    let host = start_host(|c| c);
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), name).unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);
    let request_id = host.request(me, rpc, &b"ping"[..], Some(PATIENCE)).unwrap();
    match client.recv(PATIENCE) {
        Ok(Incoming::Data {
            request_id: got, ..
        }) => assert_eq!(got, request_id.0),
        other => panic!("expected the request, got {other:?}"),
    }
    (host, rpc, client, me, request_id)
}

/// The game closes a client it has asked something: an answer the client
/// sends before it reads the close still reaches the game (a plugin
/// answering while it is being stopped), then the client is gone.
#[test]
fn an_answer_sent_while_the_host_closes_the_client_still_arrives() {
    let (host, rpc, mut client, me, request_id) = asked("late");
    host.disconnect(me, "stopping you").unwrap();
    // Long enough for the network thread to be closing the session.
    std::thread::sleep(Duration::from_millis(200));
    client.respond(request_id.0, rpc.0, Ok(b"pong")).unwrap();

    let mut seen = Vec::new();
    wait_for(&host, |e| match e {
        HostEvent::Response(r) if r.client() == me => {
            seen.push(format!("answer {} {:?}", r.request_id().0, r.result()));
            None
        }
        HostEvent::RequestFailed { reason, .. } => {
            seen.push(format!("failed {reason:?}"));
            None
        }
        HostEvent::Disconnected { client, .. } if client == me => {
            seen.push("disconnected".to_owned());
            Some(())
        }
        _ => None,
    });
    assert_eq!(
        seen,
        [
            format!("answer {} {:?}", request_id.0, Ok::<&[u8], &str>(b"pong")),
            "disconnected".to_owned()
        ]
    );
}

#[test]
fn client_that_leaves_with_a_host_request_in_flight() {
    let (host, rpc, client, me, request_id) = asked("leaver");
    let started = Instant::now();
    client.close().unwrap();

    let mut seen = Vec::new();
    wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            client,
            request_id: r,
            reason,
        } if client == me => {
            seen.push(format!("failed {} {reason:?}", r.0));
            None
        }
        HostEvent::Disconnected { client, .. } if client == me => {
            seen.push("disconnected".to_owned());
            Some(())
        }
        _ => None,
    });
    assert_eq!(
        seen,
        [
            format!("failed {} ClientGone", request_id.0),
            "disconnected".to_owned()
        ]
    );
    assert!(started.elapsed() < PATIENCE, "not the request timeout");

    // Asking a client that is gone fails at once.
    let late = host.request(me, rpc, &b"ping"[..], None).unwrap();
    let reason = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            request_id, reason, ..
        } if request_id == late => Some(reason),
        _ => None,
    });
    assert_eq!(reason, RequestFailure::ClientGone);
}

#[test]
fn request_over_max_pending_requests_is_overloaded() {
    let host = start_host(|c| {
        c.limits(Limits {
            max_pending_requests: 4,
            ..Limits::default()
        })
    });
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let mut client = Client::connect(host.local_addr(), "eager").unwrap();
    assert_eq!(client.welcome().max_pending_requests, 4);
    let me = client_id(&client);

    let ids: Vec<u64> = (0..5)
        .map(|i| client.request(rpc.0, format!("q{i}").as_bytes()).unwrap())
        .collect();
    match client.recv(PATIENCE) {
        Ok(Incoming::Error {
            code,
            message,
            request_id,
            channel,
        }) => {
            assert_eq!(code, ErrorCode::Overloaded, "{message}");
            assert_eq!((request_id, channel), (ids[4], rpc.0), "{message}");
        }
        other => panic!("expected Overloaded, got {other:?}"),
    }
    // The first four reached the game; the fifth did not.
    let mut delivered = Vec::new();
    while delivered.len() < 4 {
        let message = wait_for(&host, |e| match e {
            HostEvent::Message(m) => Some(m),
            _ => None,
        });
        delivered.push(message.request_id().unwrap().0);
    }
    assert_eq!(delivered, ids[..4]);

    // Answering one makes room for another.
    host.respond(me, RequestId(ids[0]), &b"a0"[..]).unwrap();
    assert_eq!(client.wait_response(ids[0], PATIENCE).unwrap(), b"a0");
    let sixth = client.request(rpc.0, b"q5").unwrap();
    let message = wait_for(&host, |e| match e {
        HostEvent::Message(m) => Some(m),
        _ => None,
    });
    assert_eq!(message.request_id(), Some(RequestId(sixth)));
    assert_eq!(message.content(), b"q5");
}

#[test]
fn host_request_over_max_pending_requests_fails_at_once() {
    let host = start_host(|c| {
        c.limits(Limits {
            max_pending_requests: 4,
            ..Limits::default()
        })
    });
    let rpc = host.advertise(ChannelSpec::new("rpc")).unwrap();
    let client = Client::connect(host.local_addr(), "busy").unwrap();
    let me = client_id(&client);
    wait_connected(&host, me.0);

    let ids: Vec<RequestId> = (0..5)
        .map(|_| host.request(me, rpc, &b"q"[..], Some(PATIENCE)).unwrap())
        .collect();
    let (failed, reason) = wait_for(&host, |e| match e {
        HostEvent::RequestFailed {
            request_id, reason, ..
        } => Some((request_id, reason)),
        _ => None,
    });
    assert_eq!(failed, ids[4]);
    assert_eq!(reason, RequestFailure::TooManyInFlight);
    drop(client);
}
