//! The server a user would write instead of Switchboard, for comparison:
//! tokio-tungstenite on a current-thread runtime, verifying each client's
//! `Data` frame (the same FlatBuffers verifier), handing it to a separate
//! "game" thread through a bounded channel, and answering from there with a
//! `Data` frame on the same channel, as the host does for `send_to`. Each
//! connection's writer feeds the answers and flushes when its queue is
//! empty. No handshake and no routing: clients connect in raw mode.
//!
//! ```text
//! cargo run --release --example tokio_game -- [PORT]
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use switchboard::protocol::{encode_data, verify_frame};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What a connection hands the game: its answer queue and the verified
/// message's channel and content (a slice of the frame, not a copy).
struct Incoming {
    reply: mpsc::Sender<Bytes>,
    channel: u32,
    content: Bytes,
}

/// Messages waiting for the game, and answers waiting for one connection.
const QUEUE: usize = 8192;

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let (to_game, from_clients) = mpsc::channel::<Incoming>(QUEUE);
    std::thread::Builder::new()
        .name("game".to_owned())
        .spawn(move || game(from_clients))?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(serve(port, to_game))
}

/// The game's loop: take what arrived, answer each message.
fn game(mut from_clients: mpsc::Receiver<Incoming>) {
    while let Some(message) = from_clients.blocking_recv() {
        let answer = encode_data(message.channel, 0, 0, now_ns(), &message.content);
        // A connection that is gone has dropped its receiver.
        let _ = message.reply.blocking_send(answer);
    }
}

async fn serve(port: u16, to_game: mpsc::Sender<Incoming>) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ws://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let to_game = to_game.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut write, mut read) = ws.split();
            let (reply, mut answers) = mpsc::channel::<Bytes>(QUEUE);
            let writer = tokio::spawn(async move {
                while let Some(answer) = answers.recv().await {
                    if write.feed(Message::Binary(answer)).await.is_err() {
                        return;
                    }
                    while let Ok(more) = answers.try_recv() {
                        if write.feed(Message::Binary(more)).await.is_err() {
                            return;
                        }
                    }
                    if write.flush().await.is_err() {
                        return;
                    }
                }
            });
            while let Some(Ok(message)) = read.next().await {
                let Message::Binary(frame) = message else {
                    continue;
                };
                // Verified here as the host verifies on its network thread;
                // only a valid Data frame reaches the game.
                let (channel, content) = match verify_frame(&frame).map(|f| f.body_as_data()) {
                    Ok(Some(data)) => (
                        data.channel(),
                        data.content()
                            .map(|c| frame.slice_ref(c.bytes()))
                            .unwrap_or_default(),
                    ),
                    _ => continue,
                };
                let incoming = Incoming {
                    reply: reply.clone(),
                    channel,
                    content,
                };
                if to_game.send(incoming).await.is_err() {
                    break;
                }
            }
            drop(reply);
            let _ = writer.await;
        });
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
