//! A client that stops reading while it goes on writing is closed for a
//! reliable channel it cannot keep up with, and must still learn why once it
//! reads again: the host ends its direction after the close frame and keeps
//! reading, instead of resetting a connection that still has input waiting
//! (a reset would destroy the close frame in the client's receive buffer).

mod common;

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{PATIENCE, start_host, wait_for};
use switchboard::client::Client;
use switchboard::protocol::{HelloArgs, encode_data, encode_hello, encode_subscribe, verify_frame};
use switchboard::{ChannelSpec, HostEvent};
use tungstenite::protocol::WebSocket;
use tungstenite::{Error as WsError, Message};

fn welcomed(addr: std::net::SocketAddr) -> WebSocket<TcpStream> {
    let mut ws = Client::open_socket(addr).expect("upgrade");
    ws.get_mut().set_read_timeout(Some(PATIENCE)).unwrap();
    ws.send(Message::Binary(encode_hello(&HelloArgs {
        client_name: "stops reading",
        protocol_versions: &[1],
        token: None,
    })))
    .unwrap();
    loop {
        if let Message::Binary(bytes) = ws.read().expect("Welcome") {
            assert!(verify_frame(&bytes).unwrap().body_as_welcome().is_some());
            return ws;
        }
    }
}

#[test]
fn a_client_still_writing_learns_why_it_was_closed_when_it_reads_again() {
    let host = start_host(|c| {
        let mut c = c;
        c.limits.outbound_queue_messages = 16;
        c.limits.close_grace = Duration::from_millis(300);
        c.limits.close_linger = Duration::from_secs(10);
        c
    });
    let stream = host.advertise(ChannelSpec::new("stream")).unwrap();
    let chat = host
        .advertise(ChannelSpec::new("chat").clients_may_publish())
        .unwrap();
    let mut ws = welcomed(host.local_addr());
    ws.send(Message::Binary(encode_subscribe(1, &[stream.0], &[])))
        .unwrap();
    // The subscription's confirmation: from here on the client only writes.
    loop {
        if let Message::Binary(bytes) = ws.read().unwrap() {
            if verify_frame(&bytes).unwrap().body_as_response().is_some() {
                break;
            }
        }
    }
    for i in 0..200u32 {
        host.publish(stream, i.to_le_bytes().to_vec()).unwrap();
    }
    let told = wait_for(&host, |e| match e {
        HostEvent::Disconnected { reason, .. } => Some(reason),
        HostEvent::Message(_) => None,
        _ => None,
    });
    assert!(told.contains("4000"), "{told}");

    // Keep writing well past the close grace, as a busy client would.
    ws.get_mut()
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let frame = encode_data(chat.0, 0, 0, 0, b"still talking");
    let until = Instant::now() + Duration::from_millis(1500);
    let mut written = 0u32;
    while Instant::now() < until {
        match ws.send(Message::Binary(frame.clone())) {
            Ok(()) => written += 1,
            Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("the host broke the connection while the client wrote: {e}"),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(written > 100, "only {written} frames written");

    // Now read: whatever was delivered, then the close and its reason.
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "no close frame");
        match ws.read() {
            Ok(Message::Close(Some(close))) => {
                assert_eq!(u16::from(close.code), 4000);
                assert!(close.reason.contains("slow consumer"), "{}", close.reason);
                break;
            }
            Ok(Message::Close(None)) => panic!("a close without its code"),
            Ok(_) => continue,
            Err(e) => panic!("the close frame was lost: {e}"),
        }
    }
}
