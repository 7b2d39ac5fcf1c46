//! `Host::batch`: many sends handed over at once, in order, with the same
//! sequence numbers and refusals as one at a time.

mod common;

use common::{PATIENCE, next_data, start_host, wait_for};
use switchboard::client::Client;
use switchboard::{ChannelId, ChannelSpec, ClientId, HostError, HostEvent};

#[test]
fn a_batch_arrives_in_order_and_shares_sequences_with_single_publishes() {
    let host = start_host(|c| c);
    let a = host.advertise(ChannelSpec::new("scene/a")).unwrap();
    let b = host.advertise(ChannelSpec::new("scene/b")).unwrap();
    let mut client = Client::connect(host.local_addr(), "batched").unwrap();
    let me = ClientId(client.welcome().client_id);
    client.subscribe(&[], &["scene/*"]).unwrap();

    host.publish(a, &b"single 1"[..]).unwrap();
    let mut batch = host.batch();
    batch.publish(a, &b"batch 1"[..]).unwrap();
    batch.publish(b, &b"batch b"[..]).unwrap();
    batch.send_to(me, a, &b"direct"[..]).unwrap();
    batch.publish(a, &b"batch 2"[..]).unwrap();
    assert_eq!(batch.len(), 4);
    batch.commit().unwrap();
    host.publish(a, &b"single 2"[..]).unwrap();

    let got: Vec<_> = (0..6).map(|_| next_data(&mut client)).collect();
    let expect: Vec<(u32, u64, &[u8])> = vec![
        (a.0, 1, b"single 1"),
        (a.0, 2, b"batch 1"),
        (b.0, 1, b"batch b"),
        (a.0, 0, b"direct"),
        (a.0, 3, b"batch 2"),
        (a.0, 4, b"single 2"),
    ];
    for (got, want) in got.iter().zip(expect) {
        assert_eq!((got.0, got.1, got.2.as_slice()), want);
    }
}

#[test]
fn an_unknown_channel_is_named_and_the_rest_still_go() {
    let host = start_host(|c| c);
    let rpc = host
        .advertise(ChannelSpec::new("rpc").clients_may_publish())
        .unwrap();
    let mut client = Client::connect(host.local_addr(), "asker").unwrap();
    let me = ClientId(client.welcome().client_id);
    let request = client.request(rpc.0, b"question").unwrap();
    let asked = wait_for(&host, |e| match e {
        HostEvent::Message(m) => m.request_id(),
        _ => None,
    });
    let mut batch = host.batch();
    batch.send_to(me, ChannelId(999), &b"nowhere"[..]).unwrap();
    batch.respond(me, asked, &b"answer"[..]);
    match batch.commit() {
        Err(HostError::UnknownChannel(ChannelId(999))) => {}
        other => panic!("expected UnknownChannel(999), got {other:?}"),
    }
    assert_eq!(client.wait_response(request, PATIENCE).unwrap(), b"answer");
}

#[test]
fn a_dropped_batch_is_sent() {
    let host = start_host(|c| c);
    let a = host.advertise(ChannelSpec::new("scene/a")).unwrap();
    let mut client = Client::connect(host.local_addr(), "dropped").unwrap();
    client.subscribe(&[a.0], &[]).unwrap();
    {
        let mut batch = host.batch();
        batch.publish(a, &b"left in scope"[..]).unwrap();
    }
    assert_eq!(next_data(&mut client), (a.0, 1, b"left in scope".to_vec()));
}

/// Answers sent one at a time while the game works through a batch of
/// events are signalled to the network thread together; none may wait for
/// a wake that never comes, also when the batch's last event gets no
/// answer and the game then stops calling the host for a while.
#[test]
fn answers_to_events_taken_one_by_one_all_arrive() {
    let host = std::sync::Arc::new(start_host(|c| c));
    let rpc = host
        .advertise(ChannelSpec::new("rpc").clients_may_publish())
        .unwrap();
    let note = host
        .advertise(ChannelSpec::new("note").clients_may_publish())
        .unwrap();
    let mut client = Client::connect(host.local_addr(), "many").unwrap();
    let (done, client_done) = std::sync::mpsc::channel::<()>();
    let game = std::thread::spawn({
        let host = std::sync::Arc::clone(&host);
        move || {
            let mut answered = 0;
            let mut notes = 0;
            while notes < 5 {
                let Some(event) = host.wait_event(PATIENCE) else {
                    break;
                };
                if let HostEvent::Message(m) = event {
                    match m.request_id() {
                        Some(id) => {
                            host.respond(m.client(), id, m.content_bytes()).unwrap();
                            answered += 1;
                        }
                        None if m.channel() == note => notes += 1,
                        None => {}
                    }
                }
            }
            // Do not come back to the host until the client has every
            // answer: whatever was held back for the rest of the last batch
            // must have gone already.
            let _ = client_done.recv_timeout(PATIENCE);
            answered
        }
    });
    for round in 0..5u8 {
        let ids: Vec<u64> = (0..40u8)
            .map(|i| client.request(rpc.0, &[round, i]).unwrap())
            .collect();
        client.publish(note.0, b"end of round").unwrap();
        for (i, id) in ids.into_iter().enumerate() {
            // Far longer than an answer takes, far shorter than the network
            // thread's own timers, which would carry a forgotten answer.
            assert_eq!(
                client.wait_response(id, ANSWER_WITHIN).unwrap(),
                [round, i as u8],
                "answer {i} of round {round}"
            );
        }
    }
    let _ = done.send(());
    assert_eq!(game.join().unwrap(), 200);
}

const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);
