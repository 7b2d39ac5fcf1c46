//! The README's Rust code is real code: each Rust block is an example file
//! of this package, quoted verbatim (without the file's `//!` header), so
//! building the examples compiles what the README shows. The Bevy one is
//! also run, to check that it keeps running and serves clients.
#![cfg(feature = "bevy")]

mod common;
#[path = "support/examples.rs"]
mod examples;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use switchboard::client::Client;

/// Example files the README quotes.
const QUOTED: &[&str] = &["examples/bevy_minimal.rs", "examples/host_minimal.rs"];

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The contents of every fenced block whose info string starts with `rust`.
fn rust_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.starts_with("```rust") => current = Some(String::new()),
            None => {}
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "README.md ends inside a code block");
    blocks
}

/// The file without its leading `//!` lines and the blank line after them.
fn without_header(source: &str) -> String {
    let body: Vec<&str> = source
        .lines()
        .skip_while(|line| line.starts_with("//!"))
        .skip_while(|line| line.is_empty())
        .collect();
    body.join("\n") + "\n"
}

#[test]
fn every_rust_block_in_the_readme_is_an_example_file() {
    let blocks = rust_blocks(&read("README.md"));
    let quoted: Vec<String> = QUOTED
        .iter()
        .map(|path| without_header(&read(path)))
        .collect();
    for (path, body) in QUOTED.iter().zip(&quoted) {
        assert!(
            blocks.contains(body),
            "README.md does not quote {path} verbatim; paste it (without its //! header) \
             into a ```rust block:\n{body}"
        );
    }
    for block in &blocks {
        assert!(
            quoted.contains(block),
            "README.md has Rust code that no example compiles; make it an example and add \
             it to QUOTED:\n{block}"
        );
    }
}

#[test]
fn the_readme_bevy_app_keeps_running_and_echoes() {
    common::init_logs();
    let addr = SocketAddr::from(([127, 0, 0, 1], switchboard::DEFAULT_PORT));
    // The example listens on the default port, as the README shows; when
    // something else holds it, the app still has to keep running.
    let port_free = TcpListener::bind(addr).is_ok();
    let mut app = Command::new(examples::example_binary("bevy_minimal"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("example starts");
    let result = std::panic::catch_unwind(|| {
        if port_free {
            let deadline = Instant::now() + common::PATIENCE;
            let mut client = loop {
                match Client::connect(addr, "readme") {
                    Ok(client) => break client,
                    Err(e) if Instant::now() > deadline => panic!("example not listening: {e}"),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            };
            let echo = client.channel_id("echo").expect("echo advertised");
            let answer = client.call(echo, b"ping", common::PATIENCE).unwrap();
            assert_eq!(answer, b"ping");
        } else {
            eprintln!("port {addr} is taken: only checking that the example keeps running");
        }
        // Without a runner the app would have done one frame and exited.
        std::thread::sleep(Duration::from_millis(500));
    });
    let still_running = app.try_wait().expect("wait").is_none();
    let _ = app.kill();
    let _ = app.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert!(still_running, "the README's Bevy app exited by itself");
}
