//! The byte layout on a plugin's pipes: every message is a 4-byte header
//! and a body. The header is a little-endian `u32`: the low 31 bits are the
//! body's length, the top bit says whether the body is a protocol frame
//! (clear) or a pipe control message (set). Control bodies start with a
//! kind byte: close (code and reason), ping and pong (an 8-byte nonce).
//! `docs/plugins.md` describes the same layout for plugin authors.
//!
//! [`Decoder`] is a state machine over arbitrary chunks of input, so a
//! message may arrive split anywhere; it checks a frame's length against
//! the limit as soon as the header is complete, before buffering the body.

use bytes::{Bytes, BytesMut};

use crate::protocol::CloseCode;

/// Header size in bytes.
pub(crate) const HEADER_LEN: usize = 4;
/// Set in the header for a control message.
pub(crate) const CONTROL_BIT: u32 = 1 << 31;
/// Largest control body (a close reason is cut to fit).
pub(crate) const MAX_CONTROL_LEN: usize = 256;

const KIND_CLOSE: u8 = 1;
const KIND_PING: u8 = 2;
const KIND_PONG: u8 = 3;

/// One decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// A protocol frame (verified later, by the session).
    Frame(Bytes),
    /// The peer's close, with its code and reason.
    Close(u16, String),
    /// The peer asks for a pong with this nonce.
    Ping(u64),
    /// The answer to our ping with this nonce.
    Pong(u64),
}

/// Why the input cannot be decoded; the stream is unusable after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FramingError {
    pub code: CloseCode,
    pub reason: String,
}

enum State {
    Header {
        got: [u8; HEADER_LEN],
        filled: usize,
    },
    Body {
        control: bool,
        body: BytesMut,
        len: usize,
    },
}

/// Splits a byte stream into messages.
pub(crate) struct Decoder {
    max_frame: usize,
    state: State,
}

impl Decoder {
    /// A decoder refusing frames longer than `max_frame` bytes.
    pub(crate) fn new(max_frame: usize) -> Self {
        Self {
            max_frame,
            state: State::Header {
                got: [0; HEADER_LEN],
                filled: 0,
            },
        }
    }

    /// Whether a message has begun but not ended.
    pub(crate) fn mid_message(&self) -> bool {
        !matches!(self.state, State::Header { filled: 0, .. })
    }

    /// Consumes input until one message is complete or the input runs out.
    /// Returns how many bytes were consumed and the message, if one ended.
    pub(crate) fn feed(
        &mut self,
        mut input: &[u8],
    ) -> (usize, Result<Option<Decoded>, FramingError>) {
        let start = input.len();
        loop {
            match &mut self.state {
                State::Header { got, filled } => {
                    if input.is_empty() {
                        return (start, Ok(None));
                    }
                    let take = (HEADER_LEN - *filled).min(input.len());
                    got[*filled..*filled + take].copy_from_slice(&input[..take]);
                    *filled += take;
                    input = &input[take..];
                    if *filled < HEADER_LEN {
                        continue;
                    }
                    let header = u32::from_le_bytes(*got);
                    let control = header & CONTROL_BIT != 0;
                    let len = (header & !CONTROL_BIT) as usize;
                    let limit = if control {
                        MAX_CONTROL_LEN
                    } else {
                        self.max_frame
                    };
                    if len > limit {
                        let what = if control { "control message" } else { "frame" };
                        return (
                            start - input.len(),
                            Err(FramingError {
                                code: if control {
                                    CloseCode::ProtocolError
                                } else {
                                    CloseCode::MessageTooBig
                                },
                                reason: format!(
                                    "{what} of {len} bytes is larger than the limit of {limit} bytes"
                                ),
                            }),
                        );
                    }
                    self.state = State::Body {
                        control,
                        body: BytesMut::with_capacity(len),
                        len,
                    };
                }
                State::Body { control, body, len } => {
                    let take = (*len - body.len()).min(input.len());
                    body.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if body.len() < *len {
                        return (start, Ok(None));
                    }
                    let control = *control;
                    let body = std::mem::take(body).freeze();
                    self.state = State::Header {
                        got: [0; HEADER_LEN],
                        filled: 0,
                    };
                    let consumed = start - input.len();
                    let decoded = if control {
                        decode_control(&body).map(Some)
                    } else {
                        Ok(Some(Decoded::Frame(body)))
                    };
                    return (consumed, decoded);
                }
            }
        }
    }
}

fn decode_control(body: &[u8]) -> Result<Decoded, FramingError> {
    let bad = |what: &str| FramingError {
        code: CloseCode::ProtocolError,
        reason: format!("bad pipe control message: {what}"),
    };
    let (&kind, rest) = body.split_first().ok_or_else(|| bad("empty"))?;
    match kind {
        KIND_CLOSE => {
            let (code, reason) = rest
                .split_at_checked(2)
                .ok_or_else(|| bad("close without a code"))?;
            let code = u16::from_le_bytes([code[0], code[1]]);
            let reason =
                std::str::from_utf8(reason).map_err(|_| bad("close reason is not UTF-8"))?;
            Ok(Decoded::Close(code, reason.to_owned()))
        }
        KIND_PING | KIND_PONG => {
            let nonce: [u8; 8] = rest.try_into().map_err(|_| bad("nonce is not 8 bytes"))?;
            let nonce = u64::from_le_bytes(nonce);
            Ok(if kind == KIND_PING {
                Decoded::Ping(nonce)
            } else {
                Decoded::Pong(nonce)
            })
        }
        other => Err(bad(&format!("unknown kind {other}"))),
    }
}

/// The header for a frame of `len` bytes; `None` when it is too long for
/// the 31-bit length field.
pub(crate) fn frame_header(len: usize) -> Option<[u8; HEADER_LEN]> {
    let len = u32::try_from(len).ok().filter(|l| l & CONTROL_BIT == 0)?;
    Some(len.to_le_bytes())
}

/// A whole close control message.
pub(crate) fn encode_close(code: u16, reason: &str) -> Bytes {
    let mut end = reason.len().min(MAX_CONTROL_LEN - 3);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut body = vec![KIND_CLOSE];
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&reason.as_bytes()[..end]);
    control(&body)
}

/// A whole ping control message.
pub(crate) fn encode_ping(nonce: u64) -> Bytes {
    let mut body = vec![KIND_PING];
    body.extend_from_slice(&nonce.to_le_bytes());
    control(&body)
}

/// A whole pong control message.
pub(crate) fn encode_pong(nonce: u64) -> Bytes {
    let mut body = vec![KIND_PONG];
    body.extend_from_slice(&nonce.to_le_bytes());
    control(&body)
}

fn control(body: &[u8]) -> Bytes {
    // Bodies here are at most MAX_CONTROL_LEN bytes.
    let header = (body.len() as u32) | CONTROL_BIT;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&header.to_le_bytes());
    out.extend_from_slice(body);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut out = frame_header(body.len()).unwrap().to_vec();
        out.extend_from_slice(body);
        out
    }

    fn decode_all(decoder: &mut Decoder, mut input: &[u8]) -> Vec<Result<Decoded, FramingError>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (used, result) = decoder.feed(input);
            input = &input[used..];
            match result {
                Ok(Some(d)) => out.push(Ok(d)),
                Ok(None) => {}
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn messages_split_anywhere_come_out_whole() {
        let mut stream = framed(b"first");
        stream.extend(encode_ping(7));
        stream.extend(framed(b""));
        stream.extend(encode_close(1000, "bye"));
        let expected = vec![
            Ok(Decoded::Frame(Bytes::from_static(b"first"))),
            Ok(Decoded::Ping(7)),
            Ok(Decoded::Frame(Bytes::new())),
            Ok(Decoded::Close(1000, "bye".into())),
        ];
        for chunk in 1..stream.len() {
            let mut decoder = Decoder::new(64);
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                got.extend(decode_all(&mut decoder, piece));
            }
            assert_eq!(got, expected, "chunk size {chunk}");
            assert!(!decoder.mid_message());
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_from_its_header() {
        let mut decoder = Decoder::new(10);
        // Only the header: the body is never waited for.
        let (used, result) = decoder.feed(&11u32.to_le_bytes());
        assert_eq!(used, 4);
        let error = result.unwrap_err();
        assert_eq!(error.code, CloseCode::MessageTooBig);
        assert!(error.reason.contains("11 bytes"), "{}", error.reason);
        let mut decoder = Decoder::new(10);
        assert_eq!(
            decode_all(&mut decoder, &framed(&[0; 10])),
            vec![Ok(Decoded::Frame(Bytes::from(vec![0; 10])))]
        );
    }

    #[test]
    fn bad_control_messages_are_violations() {
        for body in [
            &[][..],
            &[9],
            &[KIND_PING, 1, 2],
            &[KIND_CLOSE, 1],
            &[KIND_CLOSE, 0, 0, 0xff],
        ] {
            let mut decoder = Decoder::new(64);
            let got = decode_all(&mut decoder, &control(body));
            assert!(
                matches!(
                    &got[..],
                    [Err(FramingError {
                        code: CloseCode::ProtocolError,
                        ..
                    })]
                ),
                "{body:?} gave {got:?}"
            );
        }
        let mut decoder = Decoder::new(64);
        let header = (CONTROL_BIT | (MAX_CONTROL_LEN as u32 + 1)).to_le_bytes();
        assert!(decoder.feed(&header).1.is_err());
    }

    #[test]
    fn long_close_reasons_are_cut_on_a_char_boundary() {
        let reason = "é".repeat(400);
        let mut decoder = Decoder::new(64);
        let got = decode_all(&mut decoder, &encode_close(4000, &reason));
        let [Ok(Decoded::Close(4000, cut))] = &got[..] else {
            panic!("{got:?}");
        };
        assert!(reason.starts_with(cut.as_str()) && cut.len() <= MAX_CONTROL_LEN - 3);
    }

    #[test]
    fn frame_headers_refuse_lengths_past_31_bits() {
        assert_eq!(frame_header(5), Some([5, 0, 0, 0]));
        assert_eq!(frame_header(1 << 31), None);
    }
}
