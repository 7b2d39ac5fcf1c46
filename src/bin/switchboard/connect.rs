//! The options every talking subcommand shares, connecting to a target,
//! and what each client error means as an exit code.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use switchboard::client::{Client, ClientError, ClientOptions};

use crate::exit::{Failure, Kind};
use crate::target::{self, Target};

/// Options of every subcommand that talks to a game.
#[derive(Debug, Args)]
pub struct Common {
    /// The game: a ws:// or wss:// URL (ws://127.0.0.1:9001/), its process
    /// id (reached over its message queues) or its name (switchboard ls).
    pub target: String,
    /// CA certificate (PEM) to trust for a wss:// target, instead of the
    /// system's CA bundle.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Token for the game's Hello, if it requires one.
    #[arg(long, value_name = "SECRET")]
    pub token: Option<String>,
    /// Seconds to wait for the game at each step (connect, Welcome, an
    /// answer).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// One JSON object per line instead of readable text.
    #[arg(long)]
    pub json: bool,
    /// Prefix of the game's message queue names (/PREFIXIn.PID,
    /// /PREFIXOut.PID), when it is not the default.
    #[arg(long, value_name = "NAME", default_value = "Switchboard")]
    pub queue_prefix: String,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!("{text:?}: give between 0 and 86400 seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Connects and says Hello.
pub fn connect(common: &Common) -> Result<Client, Failure> {
    let target = target::parse(&common.target)?;
    let mut options = ClientOptions::new("switchboard-cli");
    options.token = common.token.clone();
    options.timeout = common.timeout;
    let connected = match &target {
        Target::WebSocket { addr, .. } => Client::connect_with(addr.as_str(), options),
        Target::SecureWebSocket {
            addr, server_name, ..
        } => over_tls(addr, server_name, common.ca.as_deref(), options)?,
        Target::Process(pid) => over_queues(*pid, &common.queue_prefix, options),
    };
    connected.map_err(|e| match (&target, e) {
        // Nobody took the pair: the process is not a game with queues on.
        (Target::Process(pid), ClientError::Timeout) => Failure::new(
            Kind::Unreachable,
            format!(
                "process {pid} did not answer over its message queues within {:?}: \
                 is it a Switchboard game with message queues on?",
                common.timeout
            ),
        ),
        (target, e) => failure(target, e),
    })
}

/// `wss://`: the server's certificate checked against `--ca` or the
/// system's CA bundle. A CA that cannot be read is a usage error, before
/// anything is sent.
#[cfg(feature = "tls")]
fn over_tls(
    addr: &str,
    server_name: &str,
    ca: Option<&std::path::Path>,
    options: ClientOptions,
) -> Result<Result<Client, ClientError>, Failure> {
    let tls = match ca {
        Some(path) => switchboard::DialTlsConfig::from_ca_pem_file(path),
        None => switchboard::DialTlsConfig::system_roots(),
    }
    .map_err(|e| Failure::new(Kind::Usage, format!("--ca: {e}")))?;
    Ok(Client::connect_tls_with(addr, server_name, &tls, options))
}

#[cfg(not(feature = "tls"))]
fn over_tls(
    addr: &str,
    _server_name: &str,
    _ca: Option<&std::path::Path>,
    _options: ClientOptions,
) -> Result<Result<Client, ClientError>, Failure> {
    Err(Failure::new(
        Kind::Usage,
        format!(
            "wss://{addr}: this switchboard was built without the tls feature; use ws:// or a process id"
        ),
    ))
}

#[cfg(all(feature = "mqueue", target_os = "linux"))]
fn over_queues(pid: u32, prefix: &str, options: ClientOptions) -> Result<Client, ClientError> {
    let queues = switchboard::MqueueConfig::default().prefix(prefix);
    Client::over_queues(pid, &queues, options)
}

#[cfg(not(all(feature = "mqueue", target_os = "linux")))]
fn over_queues(pid: u32, _prefix: &str, _options: ClientOptions) -> Result<Client, ClientError> {
    Err(ClientError::Io(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("process {pid}: message queues need Linux and the mqueue feature"),
    )))
}

/// A client error as a failure of talking to `target`.
pub fn failure(target: &Target, error: ClientError) -> Failure {
    let kind = match &error {
        ClientError::Timeout => Kind::Timeout,
        ClientError::Refused { .. } | ClientError::Failed(_) | ClientError::QueueRefused { .. } => {
            Kind::Refused
        }
        // The certificate was refused: talking would not have been safe.
        ClientError::Tls(_) => Kind::Refused,
        // 4003: the token was refused.
        ClientError::Closed { code: 4003, .. } => Kind::Refused,
        ClientError::Closed { .. } => Kind::Unreachable,
        ClientError::Io(e) if unreachable(e.kind()) => Kind::Unreachable,
        _ => Kind::Failed,
    };
    let message = match &error {
        ClientError::Timeout => format!("{target}: no answer in time (--timeout)"),
        other => format!("{target}: {other}"),
    };
    Failure::new(kind, message)
}

fn unreachable(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NotFound
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::AddrInUse
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::Unsupported
            | io::ErrorKind::BrokenPipe
    )
}

/// Content as text when it is UTF-8, else as hex, for output.
pub fn content_json(content: &[u8]) -> (&'static str, serde_json::Value) {
    match std::str::from_utf8(content) {
        Ok(text) => ("content", serde_json::Value::from(text)),
        Err(_) => ("content_hex", serde_json::Value::from(hex(content))),
    }
}

pub fn content_text(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) => text.to_owned(),
        Err(_) => format!("({} bytes) {}", content.len(), hex(content)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads CONTENT: the text itself, or standard input for `-`.
pub fn read_content(text: &str) -> Result<Vec<u8>, Failure> {
    if text != "-" {
        return Ok(text.as_bytes().to_vec());
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut io::stdin(), &mut bytes)
        .map_err(|e| Failure::failed(format!("reading standard input: {e}")))?;
    Ok(bytes)
}

/// A channel's id from its name (or its number).
pub fn channel_id(client: &Client, target: &str, channel: &str) -> Result<u32, Failure> {
    if let Some(id) = client.channel_id(channel) {
        return Ok(id);
    }
    if let Ok(id) = channel.parse::<u32>() {
        if client.channels().any(|c| c.id == id) {
            return Ok(id);
        }
    }
    Err(Failure::failed(format!(
        "{target} has no channel {channel:?} (`switchboard channels {target}` lists them)"
    )))
}
