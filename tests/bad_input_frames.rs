//! Binary messages the host cannot read as frames, over real sockets:
//! garbage, messages too short, the wrong file identifier, truncated frames,
//! offsets outside the buffer, unknown or missing bodies, text messages,
//! bodies only the host may send, and a second Hello. Each is answered with
//! a `BadFrame` error, and afterwards both the offending client and a
//! well-behaved witness are still served.

mod common;

use common::misbehaving::{Fixture, expect_error, pseudo_random};
use switchboard::ErrorCode;
use switchboard::protocol::{
    ChannelDescription, HelloArgs, PROTOCOL_VERSION, WelcomeArgs, encode_advertise, encode_data,
    encode_hello, encode_unadvertise, encode_welcome, ipc, verify_frame,
};
use switchboard::{DeliveryPolicy, Publishers};
use tungstenite::Message;

#[test]
fn garbage_bytes_get_bad_frame() {
    let mut f = Fixture::new();
    let mut garbage: Vec<Vec<u8>> = vec![
        b"hello, is this the game? please answer".to_vec(),
        pseudo_random(1, 64),
        pseudo_random(2, 4096),
        vec![0xFF; 100],
        vec![0; 100],
    ];
    // Garbage that carries the right file identifier, so it reaches the
    // FlatBuffers verifier, with root offsets inside the buffer.
    for seed in 0..50u64 {
        let len = 16 + (seed as usize * 37) % 500;
        let mut bytes = pseudo_random(seed + 100, len);
        let root = 8 + (seed as u32 * 4) % (len as u32 - 8);
        bytes[..4].copy_from_slice(&root.to_le_bytes());
        bytes[4..8].copy_from_slice(b"SWBD");
        garbage.push(bytes);
    }
    for (i, bytes) in garbage.into_iter().enumerate() {
        assert!(
            verify_frame(&bytes).is_err(),
            "garbage {i} happens to be a valid frame; pick another seed"
        );
        f.send_bad(bytes);
        let (message, request_id, channel) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert_eq!((request_id, channel), (0, 0), "garbage {i}: {message}");
    }
    f.both_still_work();
}

#[test]
fn messages_shorter_than_eight_bytes_get_bad_frame() {
    let mut f = Fixture::new();
    for len in 0..8 {
        f.send_bad(vec![0x42; len]);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("too short"), "{len} bytes: {message}");
    }
    f.both_still_work();
}

#[test]
fn wrong_file_identifier_gets_bad_frame() {
    let mut f = Fixture::new();
    for identifier in [b"XXXX", b"swbd", b"SWB\0", b"\0\0\0\0"] {
        let mut bytes = encode_data(f.chat.0, 0, 0, 0, b"hello").to_vec();
        bytes[4..8].copy_from_slice(identifier);
        f.send_bad(bytes);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("identifier"), "{message}");
    }
    // The game never saw any of them.
    f.both_still_work();
}

#[test]
fn truncated_frame_gets_bad_frame() {
    let mut f = Fixture::new();
    let whole = encode_data(f.chat.0, 0, 0, 0, &[7; 200]);
    let cuts = [8, 12, 16, whole.len() / 2, whole.len() - 8, whole.len() - 1];
    for cut in cuts {
        f.send_bad(whole.slice(..cut));
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("bad frame"), "cut at {cut}: {message}");
    }
    // The whole frame is fine, and reaches the game.
    f.send_bad(whole);
    let message = f.next_message_from(f.bad_id);
    assert_eq!(message.content(), &[7; 200]);
    f.both_still_work();
}

#[test]
fn offsets_pointing_outside_the_buffer_get_bad_frame() {
    let mut f = Fixture::new();
    let valid = encode_data(f.chat.0, 0, 0, 0, &[0xAB; 200]).to_vec();
    let len = u32::try_from(valid.len()).unwrap();
    let with_root = |root: u32| {
        let mut bytes = valid.clone();
        bytes[..4].copy_from_slice(&root.to_le_bytes());
        bytes
    };
    let mut corrupt = vec![
        ("root past the end", with_root(len + 64)),
        ("root at u32::MAX", with_root(u32::MAX)),
        ("root at the last byte", with_root(len - 1)),
        ("root on the identifier", with_root(4)),
    ];
    // A content vector that claims far more bytes than the buffer holds.
    let content_at = valid.iter().position(|b| *b == 0xAB).unwrap();
    let prefix = content_at - 4;
    assert_eq!(valid[prefix..content_at], 200u32.to_le_bytes());
    let mut long_vector = valid.clone();
    long_vector[prefix..content_at].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
    corrupt.push(("vector longer than the buffer", long_vector));

    for (what, bytes) in corrupt {
        f.send_bad(bytes);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains("bad frame"), "{what}: {message}");
    }
    f.both_still_work();
}

#[test]
fn unknown_body_type_gets_bad_frame() {
    let mut f = Fixture::new();
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let data = ipc::Data::create(&mut fbb, &ipc::DataArgs::default());
    let frame = ipc::Frame::create(
        &mut fbb,
        &ipc::FrameArgs {
            body_type: ipc::Body(200),
            body: Some(data.as_union_value()),
        },
    );
    ipc::finish_frame_buffer(&mut fbb, frame);
    f.send_bad(fbb.finished_data().to_vec());
    expect_error(&mut f.bad, ErrorCode::BadFrame);
    // A frame with no body at all.
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let frame = ipc::Frame::create(&mut fbb, &ipc::FrameArgs::default());
    ipc::finish_frame_buffer(&mut fbb, frame);
    f.send_bad(fbb.finished_data().to_vec());
    expect_error(&mut f.bad, ErrorCode::BadFrame);
    f.both_still_work();
}

#[test]
fn text_message_gets_bad_frame_and_connection_stays() {
    let mut f = Fixture::new();
    f.bad
        .send_message(Message::text(r#"{"subscribe": ["game/state"]}"#))
        .unwrap();
    let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
    assert!(message.contains("text"), "{message}");
    f.both_still_work();
}

#[test]
fn bodies_only_the_host_sends_get_bad_frame() {
    let mut f = Fixture::new();
    let description = ChannelDescription {
        id: 77,
        name: "forged".to_owned(),
        encoding: "raw".to_owned(),
        schema_name: String::new(),
        delivery: DeliveryPolicy::Reliable,
        publishers: Publishers::ClientsAndAgents,
        description: String::new(),
    };
    let welcome = encode_welcome(
        &WelcomeArgs {
            client_id: 1,
            host_name: "impostor",
            host_version: "0",
            protocol_version: PROTOCOL_VERSION,
            capabilities: &[],
            session_id: "0",
            directories: &[],
            preferences: &[],
            max_message_size: 1,
            max_pending_requests: 1,
            request_timeout_ms: 1,
        },
        [&description],
    );
    let forged = [
        ("Welcome", welcome),
        ("Advertise", encode_advertise([&description])),
        ("Unadvertise", encode_unadvertise(&[f.chat.0, f.state.0])),
    ];
    for (name, frame) in forged {
        f.send_bad(frame);
        let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
        assert!(message.contains(name), "{name}: {message}");
    }
    // The forged Unadvertise removed nothing and the forged channel is not
    // known to the witness: the state channel still flows.
    f.both_still_work();
    assert!(f.host.find_channel("forged").is_none());
}

#[test]
fn second_hello_gets_bad_frame() {
    let mut f = Fixture::new();
    f.send_bad(encode_hello(&HelloArgs {
        client_name: "bad again",
        protocol_versions: &[PROTOCOL_VERSION],
        token: None,
    }));
    let (message, ..) = expect_error(&mut f.bad, ErrorCode::BadFrame);
    assert!(message.contains("Hello"), "{message}");
    // next_message_from fails on a second Connected event.
    f.both_still_work();
}
