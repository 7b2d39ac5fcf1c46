//! The `pipe_framing` target: what the host does with the bytes a plugin
//! writes to its pipe.

use crate::net::transport::pipe::framing::{
    Decoded, Decoder, encode_close, encode_ping, encode_pong, frame_header,
};

/// Largest frame the decoder takes here: small, so the size check is hit.
const MAX_FRAME: usize = 1024;

/// The first byte picks a chunk size; the rest is the stream, fed in those
/// chunks. Decoding must agree with decoding it in one piece, never yield a
/// frame above the limit or take more than it was given, and every message
/// decoded must encode back to bytes that decode to the same message.
pub fn pipe_framing(bytes: &[u8]) {
    let Some((&chunk, stream)) = bytes.split_first() else {
        return;
    };
    let whole = decode(stream, stream.len().max(1));
    let chunked = decode(stream, usize::from(chunk).max(1));
    assert_eq!(whole, chunked, "chunking changed the decoding");
    for message in whole.iter().filter_map(|m| m.as_ref().ok()) {
        let encoded = match message {
            Decoded::Frame(frame) => {
                assert!(
                    frame.len() <= MAX_FRAME,
                    "a frame above the limit got through"
                );
                let mut out = frame_header(frame.len()).expect("fits").to_vec();
                out.extend_from_slice(frame);
                out
            }
            Decoded::Close(code, reason) => encode_close(*code, reason).to_vec(),
            Decoded::Ping(nonce) => encode_ping(*nonce).to_vec(),
            Decoded::Pong(nonce) => encode_pong(*nonce).to_vec(),
        };
        let again = decode(&encoded, encoded.len());
        assert_eq!(
            again,
            vec![Ok(message.clone())],
            "re-encoding changed the message"
        );
    }
}

/// Every message in `stream`, fed `chunk` bytes at a time, up to the first
/// error (after which the host reads nothing more from the plugin).
fn decode(stream: &[u8], chunk: usize) -> Vec<Result<Decoded, String>> {
    let mut decoder = Decoder::new(MAX_FRAME);
    let mut out = Vec::new();
    for mut piece in stream.chunks(chunk) {
        while !piece.is_empty() {
            let (used, result) = decoder.feed(piece);
            assert!(used <= piece.len(), "consumed more than it was given");
            piece = &piece[used..];
            match result {
                Ok(Some(message)) => out.push(Ok(message)),
                Ok(None) => assert!(piece.is_empty(), "stopped before the input ran out"),
                Err(e) => {
                    out.push(Err(e.reason));
                    return out;
                }
            }
        }
    }
    out
}
