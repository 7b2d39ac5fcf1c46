//! The usual Rust choice, for comparison: a tokio-tungstenite echo server
//! written the way tokio-tungstenite's own echo example writes it: split
//! the stream, keep text and binary messages, `forward` them to the sink
//! (which feeds each message and flushes only when the read side has
//! nothing more for now). It runs tokio's current-thread runtime: the
//! benchmark pins each server to one core, where a multi-threaded runtime's
//! workers would only contend with each other.
//!
//! ```text
//! cargo run --release --example tokio_echo -- [PORT]
//! ```

use futures_util::{StreamExt, TryStreamExt, future};
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
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (write, read) = ws.split();
            let _ = read
                .try_filter(|message| future::ready(message.is_text() || message.is_binary()))
                .forward(write)
                .await;
        });
    }
}
