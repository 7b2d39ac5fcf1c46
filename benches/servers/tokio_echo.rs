//! The usual Rust choice, for comparison: a tokio-tungstenite echo server,
//! echoing every message. It runs tokio's current-thread runtime: the
//! benchmark pins each server to one core, where a multi-threaded runtime's
//! workers would only contend with each other (measured: about 8 us of
//! server CPU per message instead of well under 1).
//!
//! ```text
//! cargo run --release --example tokio_echo -- [PORT]
//! ```

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ws://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() {
                    return;
                }
                if (message.is_binary() || message.is_text()) && ws.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
}
