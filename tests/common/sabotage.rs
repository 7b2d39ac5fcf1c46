//! Ways a test client breaks its own connection: closing with an RST
//! instead of a FIN, and stopping partway through a message.

use std::io::{self, Write};
use std::net::TcpStream;

use switchboard::ChannelId;
use switchboard::protocol::encode_data;

use super::raw_ws::{MASK, frame};

/// Makes closing `stream` send an RST instead of a FIN (SO_LINGER with a
/// zero timeout). std has `set_linger` only on nightly, so this calls
/// `setsockopt` itself; std links the C library anyway.
pub fn reset_on_drop(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    use std::os::raw::{c_int, c_void};

    #[repr(C)]
    struct Linger {
        l_onoff: c_int,
        l_linger: c_int,
    }
    unsafe extern "C" {
        fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
    }
    // Linux values on x86, ARM and RISC-V (asm-generic/socket.h).
    const SOL_SOCKET: c_int = 1;
    const SO_LINGER: c_int = 13;
    let linger = Linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized `struct linger`
    // that outlives the call.
    let rc = unsafe {
        setsockopt(
            stream.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<Linger>() as u32,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER: {}", io::Error::last_os_error());
}

/// One masked client frame.
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    frame(first, payload, Some(MASK))
}

/// A `Data` frame whose content is `len` bytes, so the frame itself is a
/// bit longer.
fn data_frame(channel: ChannelId, len: usize) -> Vec<u8> {
    encode_data(channel.0, 0, 0, 0, &vec![0xAB; len]).to_vec()
}

/// Where the connection dies.
#[derive(Debug, Clone, Copy)]
pub enum Cut {
    /// A header announcing a ~1000-byte binary frame, then 100 bytes of it.
    InPayload,
    /// Three bytes of an eight-byte header.
    InHeader,
    /// A complete first fragment (FIN clear), then a continuation frame cut
    /// in its payload: the message was never finished.
    BetweenFragments,
    /// A 1 MiB frame announced, 64 KiB of it sent.
    InLargePayload,
}

/// Writes the first part of a message and nothing more.
pub fn write_partial(stream: &mut TcpStream, channel: ChannelId, cut: Cut) {
    let bytes = match cut {
        Cut::InPayload => {
            let frame = client_frame(0x82, &data_frame(channel, 1000));
            // 2 bytes + 2 length bytes + 4 mask bytes, then 100 of payload.
            frame[..8 + 100].to_vec()
        }
        Cut::InHeader => client_frame(0x82, &data_frame(channel, 1000))[..3].to_vec(),
        Cut::BetweenFragments => {
            let message = data_frame(channel, 1000);
            let (head, tail) = message.split_at(500);
            let mut bytes = client_frame(0x02, head); // binary, FIN clear
            let continuation = client_frame(0x80, tail); // continuation, FIN
            bytes.extend_from_slice(&continuation[..8 + 50]);
            bytes
        }
        Cut::InLargePayload => {
            let frame = client_frame(0x82, &data_frame(channel, 1 << 20));
            frame[..14 + (64 << 10)].to_vec()
        }
    };
    stream.write_all(&bytes).unwrap();
    stream.flush().unwrap();
}
