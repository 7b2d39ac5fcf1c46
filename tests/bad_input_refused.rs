//! Well-formed frames the host refuses, over real sockets: data on unknown
//! channels, one-way data on a channel only agents publish on, answers to
//! requests never made, request ids already in flight, and subscriptions to
//! unknown channels or with invalid patterns. Each is answered with an
//! `Error` naming the request and channel, never reaches the game, and
//! leaves both the offending client and a well-behaved witness served.

mod common;

use common::PATIENCE;
use common::misbehaving::{Fixture, NO_SUCH_CHANNEL, expect_error, pseudo_random, recv_data};
use switchboard::client::Incoming;
use switchboard::protocol::{encode_data, encode_subscribe};
use switchboard::{ErrorCode, RequestId};
use tungstenite::Message;

#[test]
fn data_on_unknown_channel_gets_unknown_channel() {
    let mut f = Fixture::new();
    f.bad.publish(NO_SUCH_CHANNEL, b"anyone?").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (0, NO_SUCH_CHANNEL), "{message}");

    let id = f.bad.request(NO_SUCH_CHANNEL, b"anyone?").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (id, NO_SUCH_CHANNEL), "{message}");
    f.both_still_work();
}

#[test]
fn one_way_data_on_agents_only_channel_is_not_allowed_but_a_request_is() {
    let mut f = Fixture::new();
    f.bad.publish(f.state.0, b"let me write").unwrap();
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::NotAllowed);
    assert_eq!((request_id, channel), (0, f.state.0), "{message}");

    let id = f.bad.request(f.state.0, b"what is the state?").unwrap();
    let request = f.next_message_from(f.bad_id);
    assert_eq!(request.channel(), f.state);
    assert_eq!(request.request_id(), Some(RequestId(id)));
    assert_eq!(request.content(), b"what is the state?");
    f.host
        .respond(f.bad_id, RequestId(id), &b"all is well"[..])
        .unwrap();
    assert_eq!(
        f.bad.wait_response(id, PATIENCE).unwrap(),
        b"all is well".to_vec()
    );
    // The refused one-way message never reached the witness either.
    f.both_still_work();
}

#[test]
fn response_to_unknown_request_gets_unknown_request() {
    let mut f = Fixture::new();
    f.bad.respond(424_242, f.chat.0, Ok(b"unasked")).unwrap();
    let (message, request_id, _) = expect_error(&mut f.bad, ErrorCode::UnknownRequest);
    assert_eq!(request_id, 424_242, "{message}");
    f.bad.respond(7, f.chat.0, Err("no")).unwrap();
    let (_, request_id, _) = expect_error(&mut f.bad, ErrorCode::UnknownRequest);
    assert_eq!(request_id, 7);
    f.both_still_work();
}

#[test]
fn duplicate_request_id_in_flight_gets_duplicate_request() {
    let mut f = Fixture::new();
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"first"));
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"second"));
    let first = f.next_message_from(f.bad_id);
    assert_eq!(first.request_id(), Some(RequestId(7)));
    assert_eq!(first.content(), b"first");
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::DuplicateRequest);
    assert_eq!((request_id, channel), (7, f.state.0), "{message}");

    // The first is still in flight and can be answered; then the id is free.
    f.host
        .respond(f.bad_id, RequestId(7), &b"done"[..])
        .unwrap();
    assert_eq!(f.bad.wait_response(7, PATIENCE).unwrap(), b"done".to_vec());
    f.send_bad(encode_data(f.state.0, 7, 0, 0, b"again"));
    // The refused "second" never reached the game: the next message is "again".
    let again = f.next_message_from(f.bad_id);
    assert_eq!(again.request_id(), Some(RequestId(7)));
    assert_eq!(again.content(), b"again");
    f.host
        .respond_error(f.bad_id, RequestId(7), "not today")
        .unwrap();
    match f.bad.recv(PATIENCE) {
        Ok(Incoming::Response {
            request_id: 7,
            result: Err(reason),
            ..
        }) => assert_eq!(reason, "not today"),
        other => panic!("expected the failed Response to 7, got {other:?}"),
    }
    f.both_still_work();
}

#[test]
fn subscribe_to_unknown_channel_gets_unknown_channel_with_the_request_id() {
    let mut f = Fixture::new();
    f.send_bad(encode_subscribe(77, &[NO_SUCH_CHANNEL, f.state.0], &[]));
    let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::UnknownChannel);
    assert_eq!((request_id, channel), (77, NO_SUCH_CHANNEL), "{message}");
    // The known channel in the same request was subscribed.
    f.host.publish(f.state, &b"tick"[..]).unwrap();
    let (channel, _, content) = recv_data(&mut f.bad);
    assert_eq!((channel, content.as_slice()), (f.state.0, &b"tick"[..]));
    let (channel, _, _) = recv_data(&mut f.witness);
    assert_eq!(channel, f.state.0);
    f.both_still_work();
}

#[test]
fn invalid_pattern_gets_bad_frame_with_the_request_id() {
    let mut f = Fixture::new();
    let too_long = "x".repeat(1000);
    for (request, pattern) in [(78, "a/***"), (79, ""), (80, too_long.as_str())] {
        // A valid pattern beside the bad one is still applied.
        f.send_bad(encode_subscribe(request, &[], &[pattern, "chat"]));
        let (message, request_id, _) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert_eq!(request_id, request, "{message}");
        assert!(message.contains("pattern"), "{message}");
    }
    f.host.publish(f.chat, &b"via pattern"[..]).unwrap();
    let (channel, _, content) = recv_data(&mut f.bad);
    assert_eq!(
        (channel, content.as_slice()),
        (f.chat.0, &b"via pattern"[..])
    );
    f.both_still_work();
}

#[test]
fn bad_input_never_produces_events_for_the_game() {
    // Many kinds of bad input in a row on one connection, then one good
    // message: the game's next event from that client is the good message.
    let mut f = Fixture::new();
    f.send_bad(vec![1, 2, 3]);
    f.send_bad(pseudo_random(9, 300));
    f.bad.publish(NO_SUCH_CHANNEL, b"x").unwrap();
    f.bad.publish(f.state.0, b"x").unwrap();
    f.bad.respond(99, f.chat.0, Ok(b"x")).unwrap();
    f.bad.send_message(Message::text("x")).unwrap();
    for expected in [
        ErrorCode::BadFrame,
        ErrorCode::BadFrame,
        ErrorCode::UnknownChannel,
        ErrorCode::NotAllowed,
        ErrorCode::UnknownRequest,
        ErrorCode::BadFrame,
    ] {
        expect_error(&mut f.bad, expected);
    }
    f.bad.publish(f.chat.0, b"finally good").unwrap();
    assert_eq!(f.next_message_from(f.bad_id).content(), b"finally good");
    f.both_still_work();
}
