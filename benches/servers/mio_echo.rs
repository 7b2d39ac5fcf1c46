//! The minimal server our network layer is measured against: one thread,
//! one `mio::Poll`, a tungstenite `WebSocket` per non-blocking socket,
//! echoing every message, written the plain way mio's and tungstenite's
//! docs suggest (read until `WouldBlock`, write, flush), with tungstenite's
//! default settings. No protocol, no limits, no game thread.
//!
//! ```text
//! cargo run --release --example mio_echo -- [PORT]
//! ```

use std::collections::HashMap;
use std::io;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use tungstenite::handshake::server::{NoCallback, ServerHandshake};
use tungstenite::handshake::{HandshakeError, MidHandshake};
use tungstenite::{Error, Message, WebSocket};

const LISTENER: Token = Token(0);

enum Conn {
    Handshaking(MidHandshake<ServerHandshake<TcpStream, NoCallback>>),
    Open(WebSocket<TcpStream>),
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("ws://{}", listener.local_addr()?);
    let mut conns: HashMap<Token, Conn> = HashMap::new();
    let mut next = 1;
    let mut events = Events::with_capacity(1024);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    let _ = stream.set_nodelay(true);
                    let token = Token(next);
                    next += 1;
                    poll.registry().register(
                        &mut stream,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    match tungstenite::accept(stream) {
                        Ok(ws) => {
                            conns.insert(token, Conn::Open(ws));
                        }
                        Err(HandshakeError::Interrupted(mid)) => {
                            conns.insert(token, Conn::Handshaking(mid));
                        }
                        Err(HandshakeError::Failure(_)) => {}
                    }
                }
                continue;
            }
            let token = event.token();
            let Some(conn) = conns.remove(&token) else {
                continue;
            };
            let conn = match conn {
                Conn::Handshaking(mid) => match mid.handshake() {
                    Ok(ws) => Conn::Open(ws),
                    Err(HandshakeError::Interrupted(mid)) => {
                        conns.insert(token, Conn::Handshaking(mid));
                        continue;
                    }
                    Err(HandshakeError::Failure(_)) => continue,
                },
                open => open,
            };
            let Conn::Open(mut ws) = conn else { continue };
            if echo(&mut ws) {
                conns.insert(token, Conn::Open(ws));
            }
        }
    }
}

/// Echoes what can be read now; false when the connection is finished.
fn echo(ws: &mut WebSocket<TcpStream>) -> bool {
    loop {
        match ws.read() {
            Ok(message @ (Message::Binary(_) | Message::Text(_))) => {
                if let Err(e) = ws.write(message) {
                    if !would_block(&e) {
                        return false;
                    }
                }
            }
            Ok(_) => {}
            Err(e) if would_block(&e) => break,
            Err(_) => return false,
        }
    }
    match ws.flush() {
        Ok(()) => true,
        Err(e) => would_block(&e),
    }
}

fn would_block(error: &Error) -> bool {
    matches!(error, Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}
