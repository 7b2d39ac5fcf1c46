//! `switchboard call TARGET CHANNEL CONTENT`: one request, its answer.

use clap::Args;
use serde_json::json;

use crate::connect::{
    Common, channel_id, connect, content_json, content_text, failure, read_content,
};
use crate::exit::Failure;
use crate::target;

/// Send a request on a channel and print the answer.
#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    common: Common,
    /// The channel's name (or id).
    channel: String,
    /// What to send; `-` reads standard input.
    content: String,
}

pub fn run(args: CallArgs) -> Result<(), Failure> {
    let content = read_content(&args.content)?;
    let target = target::parse(&args.common.target)?;
    let mut client = connect(&args.common)?;
    let channel = channel_id(&client, &args.common.target, &args.channel)?;
    let answer = client
        .call(channel, &content, args.common.timeout)
        .map_err(|e| failure(&target, e))?;
    if args.common.json {
        let (key, value) = content_json(&answer);
        let mut line = json!({ "channel": args.channel, "id": channel });
        line[key] = value;
        println!("{line}");
    } else {
        println!("{}", content_text(&answer));
    }
    let _ = client.close();
    Ok(())
}
