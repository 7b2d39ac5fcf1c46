//! `switchboard pub TARGET CHANNEL CONTENT`: one message, no answer
//! expected; a refusal (a channel only agents publish on) is an error.

use std::time::Duration;

use clap::Args;
use serde_json::json;
use switchboard::client::Incoming;

use crate::connect::{Common, channel_id, connect, failure, read_content};
use crate::exit::{Failure, Kind};
use crate::target;

/// Publish a message on a channel.
#[derive(Debug, Args)]
pub struct PubArgs {
    #[command(flatten)]
    common: Common,
    /// The channel's name (or id).
    channel: String,
    /// What to send; `-` reads standard input.
    content: String,
}

pub fn run(args: PubArgs) -> Result<(), Failure> {
    let content = read_content(&args.content)?;
    let target = target::parse(&args.common.target)?;
    let mut client = connect(&args.common)?;
    let channel = channel_id(&client, &args.common.target, &args.channel)?;
    client
        .publish(channel, &content)
        .map_err(|e| failure(&target, e))?;
    // The game answers frames in order: once an empty subscription is
    // confirmed, any refusal of the message has arrived before it.
    client
        .subscribe(&[], &[])
        .map_err(|e| failure(&target, e))?;
    while let Ok(incoming) = client.recv(Duration::ZERO) {
        if let Incoming::Error {
            message,
            channel: c,
            ..
        } = incoming
        {
            if c == channel || c == 0 {
                return Err(Failure::new(Kind::Refused, format!("{target}: {message}")));
            }
        }
    }
    if args.common.json {
        println!(
            "{}",
            json!({ "channel": args.channel, "id": channel, "bytes": content.len() })
        );
    } else {
        println!("published {} bytes on {}", content.len(), args.channel);
    }
    let _ = client.close();
    Ok(())
}
