//! `switchboard sub TARGET PATTERN`: print what a game publishes on the
//! channels a pattern matches, until interrupted (or `--count`).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use serde_json::json;
use switchboard::client::{ClientError, Incoming};

use crate::connect::{Common, connect, content_json, content_text, failure};
use crate::exit::{Failure, Kind};
use crate::target;

/// Subscribe to channels by pattern (`telemetry/*`, `scene/**`, a name)
/// and print each message.
#[derive(Debug, Args)]
pub struct SubArgs {
    #[command(flatten)]
    common: Common,
    /// Which channels: a name or a pattern (`*` within a level, `**` across).
    pattern: String,
    /// Stop after this many messages.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

pub fn run(args: SubArgs) -> Result<(), Failure> {
    let target = target::parse(&args.common.target)?;
    let mut client = connect(&args.common)?;
    client
        .subscribe(&[], &[args.pattern.as_str()])
        .map_err(|e| failure(&target, e))?;
    let mut seen = 0u64;
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    while args.count.is_none_or(|n| seen < n) {
        let incoming = match client.recv(Duration::from_secs(3600)) {
            Ok(incoming) => incoming,
            Err(ClientError::Timeout) => continue,
            Err(e) => return Err(failure(&target, e)),
        };
        match incoming {
            Incoming::Data {
                channel,
                sequence,
                timestamp_ns,
                content,
                ..
            } => {
                seen += 1;
                let name = names
                    .entry(channel)
                    .or_insert_with(|| {
                        client
                            .channels()
                            .find(|c| c.id == channel)
                            .map_or_else(|| channel.to_string(), |c| c.name.clone())
                    })
                    .clone();
                if args.common.json {
                    let (key, value) = content_json(&content);
                    let mut line = json!({
                        "channel": name,
                        "id": channel,
                        "sequence": sequence,
                        "timestamp_ns": timestamp_ns,
                    });
                    line[key] = value;
                    println!("{line}");
                } else {
                    println!("{name} #{sequence}: {}", content_text(&content));
                }
            }
            Incoming::Closed { code, reason } => {
                return Err(Failure::new(
                    Kind::Unreachable,
                    format!("{target} closed the connection ({code} {reason})"),
                ));
            }
            Incoming::Error { message, .. } => {
                return Err(Failure::new(Kind::Refused, format!("{target}: {message}")));
            }
            _ => {}
        }
    }
    let _ = client.close();
    Ok(())
}
