//! A bounded soak of the host over loopback: clients publishing, requesting
//! and answering on reliable channels while a game loop drains, echoes and
//! broadcasts, every message numbered and checked at the other end (see
//! `tests/support/soak/`, which `tests/soak_smoke.rs` runs for a few
//! seconds).
//!
//! ```sh
//! cargo run --release --example soak -- --seconds 60
//! ```
//!
//! Options: `--seconds N` (default 60), `--clients N` (8), `--window N`
//! (32 publishes unanswered per client), `--rpc-window N` (8 requests in
//! flight per client), `--broadcast-per-frame N` (4), `--ask-every N` (the
//! game asks each client something every N frames; 5), `--max-content N`
//! (512 bytes). Prints one line of JSON on stdout and exits with 1 when
//! anything was lost, duplicated, reordered, corrupted, or a client was
//! disconnected unexpectedly (the problems also go to stderr), 2 on bad
//! arguments.

#[path = "../tests/support/soak/mod.rs"]
mod soak;

use std::process::ExitCode;
use std::time::Duration;

fn parse_args() -> Result<soak::Options, String> {
    let mut options = soak::Options::for_duration(Duration::from_secs(60));
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--seconds" => options.duration = Duration::from_secs(number()?),
            "--clients" => options.clients = number()? as usize,
            "--window" => options.window = number()?.max(1),
            "--rpc-window" => options.rpc_window = number()? as usize,
            "--broadcast-per-frame" => options.broadcast_per_frame = number()?,
            "--ask-every" => options.ask_every = number()?.max(1),
            "--max-content" => options.max_content = number()? as usize,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.clients == 0 {
        return Err("--clients must be at least 1".to_owned());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("soak: {message}");
            }
            eprintln!(
                "usage: soak [--seconds N] [--clients N] [--window N] [--rpc-window N] \
                 [--broadcast-per-frame N] [--ask-every N] [--max-content N]"
            );
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "soak: {} clients for {:?} on loopback",
        options.clients, options.duration
    );
    let summary = soak::run(&options);
    println!("{}", summary.to_json());
    if summary.ok() {
        ExitCode::SUCCESS
    } else {
        for problem in &summary.problems {
            eprintln!("soak: {problem}");
        }
        ExitCode::FAILURE
    }
}
