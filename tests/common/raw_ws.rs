//! WebSocket spoken by hand, for tests that must send what no WebSocket
//! library will: unmasked or reserved frames, half a frame, then silence.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use switchboard::protocol::{HelloArgs, PROTOCOL_VERSION, encode_hello, verify_frame};

use super::PATIENCE;

/// The example key from RFC 6455, section 1.3, and its accept value.
pub const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// One frame as a client would send it. `first` holds FIN, RSV and the
/// opcode; client frames must be masked, so `mask: None` breaks the
/// protocol.
pub fn frame(first: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut out = vec![first];
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A hand-spoken WebSocket connection that has said Hello.
pub struct RawWs {
    stream: TcpStream,
    inbox: Vec<u8>,
}

impl RawWs {
    /// Upgrades a fresh TCP connection and says Hello.
    pub fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {WS_KEY}\r\n\r\n"
        )
        .unwrap();
        let mut ws = Self {
            stream,
            inbox: Vec::new(),
        };
        let head_len = loop {
            if let Some(i) = ws.inbox.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(ws.inbox.len() < 16 << 10, "no end to the response head");
            let want = ws.inbox.len() + 1;
            ws.fill(want);
        };
        let head = String::from_utf8_lossy(&ws.inbox[..head_len]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.contains(WS_ACCEPT), "{head}");
        ws.inbox.drain(..head_len);

        let hello = encode_hello(&HelloArgs {
            client_name: "raw",
            protocol_versions: &[PROTOCOL_VERSION],
            token: None,
        });
        ws.write_frame(0x82, &hello, Some(MASK));
        let (first, payload) = ws.read_frame();
        assert_eq!(first, 0x82, "Welcome comes in one binary frame");
        let frame = verify_frame(&payload).unwrap();
        assert!(frame.body_as_welcome().is_some());
        ws
    }

    /// Writes one frame; see [`frame`].
    pub fn write_frame(&mut self, first: u8, payload: &[u8], mask: Option<[u8; 4]>) {
        self.stream.write_all(&frame(first, payload, mask)).unwrap();
    }

    /// Reads one frame from the host: (first byte, payload).
    pub fn read_frame(&mut self) -> (u8, Vec<u8>) {
        self.fill(2);
        let (first, second) = (self.inbox[0], self.inbox[1]);
        assert_eq!(second & 0x80, 0, "frames from the host are never masked");
        let (header, len) = match second & 0x7F {
            126 => {
                self.fill(4);
                (
                    4,
                    usize::from(u16::from_be_bytes([self.inbox[2], self.inbox[3]])),
                )
            }
            127 => {
                self.fill(10);
                let mut len = [0u8; 8];
                len.copy_from_slice(&self.inbox[2..10]);
                (10, usize::try_from(u64::from_be_bytes(len)).unwrap())
            }
            n => (2, usize::from(n)),
        };
        self.fill(header + len);
        let payload = self.inbox[header..header + len].to_vec();
        self.inbox.drain(..header + len);
        (first, payload)
    }

    /// Reads frames until a close frame; returns its code and reason.
    pub fn read_close(&mut self) -> (u16, String) {
        for _ in 0..1000 {
            let (first, payload) = self.read_frame();
            if first & 0x0F == 0x8 {
                assert!(payload.len() >= 2, "close frame without a code");
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
        panic!("no close frame among 1000 frames");
    }

    /// Reads until `inbox` holds `n` bytes (each read waits at most PATIENCE).
    fn fill(&mut self, n: usize) {
        while self.inbox.len() < n {
            let mut chunk = [0u8; 4096];
            let got = self.stream.read(&mut chunk).expect("read from the host");
            assert!(got > 0, "the host closed the connection");
            self.inbox.extend_from_slice(&chunk[..got]);
        }
    }
}
