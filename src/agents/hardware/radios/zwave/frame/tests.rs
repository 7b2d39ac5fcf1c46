//! Encoding and parsing, from known frames to random chunking with noise.

use super::*;

fn data(events: &[ParseEvent]) -> Vec<DataFrame> {
    events
        .iter()
        .filter_map(|e| match e {
            ParseEvent::Frame(Frame::Data(d)) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// Small deterministic generator so the chunking tests need no crate.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn known_frames_encode_exactly() {
    // Requests every Serial API host sends at startup.
    let cases: [(FunctionId, &[u8], &[u8]); 4] = [
        (
            FunctionId::GET_VERSION,
            &[],
            &[0x01, 0x03, 0x00, 0x15, 0xE9],
        ),
        (
            FunctionId::MEMORY_GET_ID,
            &[],
            &[0x01, 0x03, 0x00, 0x20, 0xDC],
        ),
        (
            FunctionId::GET_INIT_DATA,
            &[],
            &[0x01, 0x03, 0x00, 0x02, 0xFE],
        ),
        (
            // SendData to node 2: Basic Set 0xFF, tx options 0x25,
            // callback id 1.
            FunctionId::SEND_DATA,
            &[0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01],
            &[
                0x01, 0x0A, 0x00, 0x13, 0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01, 0x1D,
            ],
        ),
    ];
    for (func, payload, wire) in cases {
        let frame = DataFrame::request(func, payload).unwrap();
        assert_eq!(frame.encode(), wire, "{func}");
        assert_eq!(
            FrameParser::new().feed(wire),
            [ParseEvent::Frame(Frame::Data(frame))]
        );
    }
}

#[test]
fn checksum_examples() {
    assert_eq!(checksum(&[]), 0xFF);
    assert_eq!(checksum(&[0x03, 0x00, 0x15]), 0xE9);
    assert_eq!(checksum(&[0x03, 0x01, 0x13]), 0xEE);
    // Covering the checksum byte as well always gives zero.
    let mut bytes = vec![0x0A, 0x00, 0x13, 0x02, 0x03, 0x20, 0x01, 0xFF, 0x25, 0x01];
    bytes.push(checksum(&bytes));
    assert_eq!(checksum(&bytes), 0x00);
}

#[test]
fn length_byte_counts_everything_after_it() {
    let frame = DataFrame::response(FunctionId(0x42), vec![1, 2, 3, 4]).unwrap();
    let wire = frame.encode();
    assert_eq!(wire[1] as usize, wire.len() - 2);
    assert_eq!(frame.length_byte(), 7);
    assert_eq!(wire[2], 0x01, "response type byte");
}

#[test]
fn single_byte_frames() {
    let events = FrameParser::new().feed(&[ACK, NAK, CAN]);
    assert_eq!(
        events,
        [
            ParseEvent::Frame(Frame::Ack),
            ParseEvent::Frame(Frame::Nak),
            ParseEvent::Frame(Frame::Can)
        ]
    );
    assert_eq!(Frame::Ack.encode(), [ACK]);
    assert_eq!(Frame::Nak.encode(), [NAK]);
    assert_eq!(Frame::Can.encode(), [CAN]);
}

#[test]
fn round_trip_every_payload_length() {
    let mut parser = FrameParser::new();
    for len in 0..=MAX_PAYLOAD {
        let payload: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let ty = if len % 2 == 0 {
            FrameType::Request
        } else {
            FrameType::Response
        };
        let frame = DataFrame::new(ty, FunctionId(len as u8), payload).unwrap();
        let events = parser.feed(&frame.encode());
        assert_eq!(events, [ParseEvent::Frame(Frame::Data(frame))]);
    }
}

#[test]
fn payload_too_long_is_rejected() {
    assert!(DataFrame::request(FunctionId(1), vec![0; MAX_PAYLOAD]).is_ok());
    assert_eq!(
        DataFrame::request(FunctionId(1), vec![0; MAX_PAYLOAD + 1]),
        Err(FrameError::PayloadTooLong {
            len: MAX_PAYLOAD + 1
        })
    );
}

#[test]
fn byte_by_byte() {
    let frame = DataFrame::request(FunctionId::SEND_DATA, [2, 3, 0x25, 1, 0xFF, 0x25, 9])
        .unwrap()
        .encode();
    let mut parser = FrameParser::new();
    for (i, b) in frame.iter().enumerate() {
        let events = parser.feed(&[*b]);
        if i + 1 < frame.len() {
            assert!(events.is_empty(), "early event at byte {i}: {events:?}");
            assert!(parser.in_frame());
        } else {
            assert_eq!(data(&events).len(), 1);
            assert!(!parser.in_frame());
        }
    }
}

#[test]
fn bad_checksum_is_reported_and_parsing_continues() {
    let mut wire = DataFrame::request(FunctionId::GET_VERSION, [])
        .unwrap()
        .encode();
    *wire.last_mut().unwrap() ^= 0x55;
    wire.push(ACK);
    let events = FrameParser::new().feed(&wire);
    assert_eq!(
        events,
        [
            ParseEvent::BadChecksum {
                func_id: 0x15,
                received: 0xE9 ^ 0x55,
                computed: 0xE9
            },
            ParseEvent::Frame(Frame::Ack)
        ]
    );
}

#[test]
fn garbage_is_skipped_and_counted() {
    let good = DataFrame::request(FunctionId::GET_VERSION, []).unwrap();
    let mut wire = vec![0xFF, 0x00, 0x42];
    wire.extend(good.encode());
    wire.extend([0x99, 0x98]);
    wire.push(ACK);
    let events = FrameParser::new().feed(&wire);
    assert_eq!(
        events,
        [
            ParseEvent::Discarded { bytes: 3 },
            ParseEvent::Frame(Frame::Data(good)),
            ParseEvent::Discarded { bytes: 2 },
            ParseEvent::Frame(Frame::Ack),
        ]
    );
}

#[test]
fn impossible_length_resyncs_on_the_next_byte() {
    let good = DataFrame::request(FunctionId::MEMORY_GET_ID, []).unwrap();
    // SOF with LEN 2 (too short), then SOF with LEN 1 which is itself an
    // SOF that starts the good frame.
    let mut wire = vec![SOF, 0x02, SOF];
    wire.extend(good.encode());
    let events = FrameParser::new().feed(&wire);
    assert_eq!(
        events,
        [
            ParseEvent::Discarded { bytes: 3 },
            ParseEvent::Frame(Frame::Data(good))
        ]
    );
}

#[test]
fn max_length_limit() {
    let big = DataFrame::request(FunctionId(0x50), vec![0xAB; 40]).unwrap();
    let small = DataFrame::request(FunctionId(0x51), vec![0xCD; 4]).unwrap();
    let mut parser = FrameParser::with_max_length(16);
    let mut wire = big.encode();
    wire.extend(small.encode());
    let events = parser.feed(&wire);
    // The big frame's SOF is rejected and its remaining bytes are noise,
    // except that none of them looks like a frame start here.
    assert_eq!(data(&events), [small]);
    assert!(matches!(events[0], ParseEvent::Discarded { .. }));
    assert_eq!(FrameParser::with_max_length(0).max_length, MIN_LENGTH);
}

#[test]
fn unknown_type_with_good_checksum() {
    let mut wire = vec![SOF, 0x03, 0x07, 0x15];
    wire.push(checksum(&wire[1..]));
    assert_eq!(
        FrameParser::new().feed(&wire),
        [ParseEvent::UnknownType {
            frame_type: 0x07,
            func_id: 0x15
        }]
    );
}

#[test]
fn reset_drops_partial_frame() {
    let mut parser = FrameParser::new();
    assert!(parser.feed(&[SOF, 0x09, 0x00, 0x04]).is_empty());
    assert!(parser.in_frame());
    assert_eq!(parser.reset(), 4);
    assert!(!parser.in_frame());
    let good = DataFrame::request(FunctionId::GET_VERSION, []).unwrap();
    assert_eq!(data(&parser.feed(&good.encode())), [good]);
    assert_eq!(parser.reset(), 0);
}

#[test]
fn random_chunks_with_garbage() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..200 {
        // A stream of frames separated by noise that never contains a
        // frame-start or single-byte frame value.
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut acks = 0;
        for _ in 0..(1 + rng.below(8)) {
            for _ in 0..rng.below(5) {
                let noise = [0x00, 0x02, 0x7F, 0x80, 0xFE, 0xFF][rng.below(6)];
                wire.push(noise);
            }
            if rng.below(4) == 0 {
                wire.push(ACK);
                acks += 1;
            }
            let len = rng.below(30);
            let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let ty = if rng.below(2) == 0 {
                FrameType::Request
            } else {
                FrameType::Response
            };
            let frame = DataFrame::new(ty, FunctionId(rng.next() as u8), payload).unwrap();
            frame.encode_into(&mut wire);
            expected.push(frame);
        }

        let mut parser = FrameParser::new();
        let mut events = Vec::new();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(17));
            parser.feed_into(&rest[..n], &mut events);
            rest = &rest[n..];
        }
        assert_eq!(data(&events), expected, "round {round}");
        let seen_acks = events
            .iter()
            .filter(|e| **e == ParseEvent::Frame(Frame::Ack))
            .count();
        assert_eq!(seen_acks, acks, "round {round}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, ParseEvent::BadChecksum { .. })),
            "round {round}"
        );
        assert!(!parser.in_frame());
    }
}

#[test]
fn function_id_display() {
    assert_eq!(FunctionId::GET_VERSION.to_string(), "GetVersion (0x15)");
    assert_eq!(FunctionId(0xEE).to_string(), "function 0xEE");
    assert_eq!(
        format!("{:?}", FunctionId::SEND_DATA),
        "FunctionId(0x13 SendData)"
    );
}
