//! An agent's `ToRemote` goes to the sockets as its own bytes: one-way
//! messages are built inside a wire frame, and the host only writes the
//! sequence number and the time into them.
#![cfg(feature = "bevy")]

mod common;

use std::net::TcpStream;

use bytes::Bytes;
use common::{PATIENCE, start_host, wait_for};
use switchboard::bevy::ToRemote;
use switchboard::client::{Client, Incoming};
use switchboard::protocol::{HelloArgs, encode_hello, encode_subscribe, ipc, verify_frame};
use switchboard::{ChannelSpec, ClientId, HostEvent};
use tungstenite::Message;
use tungstenite::protocol::WebSocket;

fn raw_subscriber(addr: std::net::SocketAddr, channel: u32) -> (WebSocket<TcpStream>, ClientId) {
    let mut ws = Client::open_socket(addr).unwrap();
    ws.get_mut().set_read_timeout(Some(PATIENCE)).unwrap();
    ws.send(Message::Binary(encode_hello(&HelloArgs {
        client_name: "raw",
        protocol_versions: &[1],
        token: None,
    })))
    .unwrap();
    let id = loop {
        if let Message::Binary(b) = ws.read().unwrap() {
            break ClientId(
                verify_frame(&b)
                    .unwrap()
                    .body_as_welcome()
                    .unwrap()
                    .client_id(),
            );
        }
    };
    ws.send(Message::Binary(encode_subscribe(1, &[channel], &[])))
        .unwrap();
    loop {
        if let Message::Binary(b) = ws.read().unwrap() {
            if verify_frame(&b).unwrap().body_as_response().is_some() {
                return (ws, id);
            }
        }
    }
}

fn next_frame(ws: &mut WebSocket<TcpStream>) -> Bytes {
    loop {
        if let Message::Binary(b) = ws.read().unwrap() {
            return b;
        }
    }
}

/// The bytes apart from the two fields the host stamps.
fn unstamped(frame: &[u8]) -> Vec<u8> {
    let root = verify_frame(frame).unwrap();
    let table = root.body().unwrap();
    let vtable = table.vtable();
    let mut bytes = frame.to_vec();
    for slot in [ipc::Data::VT_SEQUENCE, ipc::Data::VT_TIMESTAMP_NS] {
        let at = table.loc() + usize::from(vtable.get(slot));
        bytes[at..at + 8].fill(0);
    }
    bytes
}

#[test]
fn a_publish_goes_out_as_the_agents_own_frame() {
    let host = start_host(|c| c);
    let scene = host.advertise(ChannelSpec::new("scene/entities")).unwrap();
    let (mut ws, _) = raw_subscriber(host.local_addr(), scene.0);
    let message = ToRemote::publish(scene, br#"{"entities":[1,2]}"#);
    let built = message.frame_bytes().clone();
    message.dispatch(&host).unwrap();
    let received = next_frame(&mut ws);
    assert_eq!(received.len(), built.len(), "the frame was rebuilt");
    assert_eq!(unstamped(&received), unstamped(&built));
    let data = verify_frame(&received).unwrap().body_as_data().unwrap();
    assert_eq!(data.sequence(), 1);
    assert!(data.timestamp_ns() > 0);
    assert_eq!(data.content().unwrap().bytes(), br#"{"entities":[1,2]}"#);
}

#[test]
fn agent_frames_and_host_publishes_share_one_sequence() {
    let host = start_host(|c| c);
    let stream = host.advertise(ChannelSpec::new("stream")).unwrap();
    let mut client = Client::connect(host.local_addr(), "sub").unwrap();
    client.subscribe(&[stream.0], &[]).unwrap();
    for i in 0..100u32 {
        if i % 2 == 0 {
            ToRemote::publish(stream, &i.to_le_bytes())
                .dispatch(&host)
                .unwrap();
        } else {
            host.publish(stream, i.to_le_bytes().to_vec()).unwrap();
        }
    }
    for i in 0..100u32 {
        match client.recv(PATIENCE).unwrap() {
            Incoming::Data {
                sequence, content, ..
            } => {
                assert_eq!(sequence, u64::from(i) + 1);
                assert_eq!(content, i.to_le_bytes());
            }
            other => panic!("expected Data, got {other:?}"),
        }
    }
}

#[test]
fn direct_sends_answers_and_foreign_buffers_arrive() {
    let host = start_host(|c| c);
    let echo = host
        .advertise(ChannelSpec::new("echo").clients_may_publish())
        .unwrap();
    let mut client = Client::connect(host.local_addr(), "direct").unwrap();
    let id = ClientId(client.welcome().client_id);

    ToRemote::send(id, echo, b"just you")
        .dispatch(&host)
        .unwrap();
    match client.recv(PATIENCE).unwrap() {
        Incoming::Data {
            channel,
            sequence,
            content,
            timestamp_ns,
            ..
        } => {
            assert_eq!((channel, sequence), (echo.0, 0));
            assert_eq!(content, b"just you");
            assert!(timestamp_ns > 0);
        }
        other => panic!("expected Data, got {other:?}"),
    }

    // A MessageToRemote made by some other FlatBuffers builder, without
    // the sequence and timestamp fields.
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let content = fbb.create_vector(b"from elsewhere");
    let m = ipc::MessageToRemote::create(
        &mut fbb,
        &ipc::MessageToRemoteArgs {
            channel: echo.0,
            client: id.0,
            content: Some(content),
            ..Default::default()
        },
    );
    fbb.finish_minimal(m);
    let foreign = ToRemote::from_bytes(Bytes::copy_from_slice(fbb.finished_data())).unwrap();
    foreign.dispatch(&host).unwrap();
    match client.recv(PATIENCE).unwrap() {
        Incoming::Data { content, .. } => assert_eq!(content, b"from elsewhere"),
        other => panic!("expected Data, got {other:?}"),
    }

    let request = client.request(echo.0, b"question").unwrap();
    let asked = wait_for(&host, |e| match e {
        HostEvent::Message(m) => m.request_id(),
        _ => None,
    });
    ToRemote::respond(id, asked, echo, b"answer")
        .dispatch(&host)
        .unwrap();
    assert_eq!(client.wait_response(request, PATIENCE).unwrap(), b"answer");
}
