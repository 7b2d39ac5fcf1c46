//! `switchboard channels TARGET`: the channels a game offers.

use clap::Args;
use serde_json::json;
use switchboard::protocol::ChannelDescription;
use switchboard::{DeliveryPolicy, Publishers};

use crate::connect::{Common, connect};
use crate::exit::Failure;

/// List the channels a game advertises.
#[derive(Debug, Args)]
pub struct ChannelsArgs {
    #[command(flatten)]
    common: Common,
}

fn delivery(c: &ChannelDescription) -> &'static str {
    if c.delivery == DeliveryPolicy::Latest {
        "latest"
    } else {
        "reliable"
    }
}

fn publishers(c: &ChannelDescription) -> &'static str {
    if c.publishers == Publishers::ClientsAndAgents {
        "clients"
    } else {
        "agents"
    }
}

pub fn run(args: ChannelsArgs) -> Result<(), Failure> {
    let client = connect(&args.common)?;
    let mut channels: Vec<&ChannelDescription> = client.channels().collect();
    channels.sort_by(|a, b| a.name.cmp(&b.name));
    if args.common.json {
        for c in channels {
            let line = json!({
                "id": c.id,
                "name": c.name,
                "encoding": c.encoding,
                "schema": c.schema_name,
                "delivery": delivery(c),
                "publishers": publishers(c),
                "description": c.description,
            });
            println!("{line}");
        }
    } else {
        let width = channels
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        println!(
            "{:>4}  {:width$}  {:11}  {:8}  {:9}  DESCRIPTION",
            "ID", "NAME", "ENCODING", "DELIVERY", "PUBLISH"
        );
        for c in channels {
            println!(
                "{:>4}  {:width$}  {:11}  {:8}  {:9}  {}",
                c.id,
                c.name,
                c.encoding,
                delivery(c),
                publishers(c),
                c.description
            );
        }
    }
    let _ = client.close();
    Ok(())
}
