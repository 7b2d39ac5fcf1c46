//! `switchboard`: the command-line program for Switchboard hosts and their
//! plugins.
//!
//! Each subcommand is a module with an `Args` (clap) and a `run` that
//! returns a [`Failure`] on error; this file only lists them. A new
//! subcommand is a module plus one variant and one match arm here.
//!
//! Exit codes, the same for every subcommand, so scripts can rely on them:
//! see [`exit`].

mod call;
mod channels;
mod connect;
mod exit;
mod fleet;
mod ls;
#[cfg(feature = "packages")]
mod plugins;
mod publish;
mod sub;
mod target;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::Failure;

/// Talk to running Switchboard hosts and manage their plugins.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the exit codes every subcommand uses.
    ExitCodes,
    /// List the games running on this machine (from discovery).
    Ls(ls::Args),
    /// List the channels a game advertises.
    Channels(channels::ChannelsArgs),
    /// Print what a game publishes on channels matching a pattern.
    Sub(sub::SubArgs),
    /// Send a request on a channel and print the answer.
    Call(call::CallArgs),
    /// Publish one message on a channel.
    #[command(name = "pub")]
    Pub(publish::PubArgs),
    /// Manage plugin packages (.lamp files): pack, install, upgrade, list,
    /// configure, enable, disable, remove.
    #[cfg(feature = "packages")]
    Plugins(plugins::Args),
    /// Run the fleet gateway: every game instance on NATS under fleet/<instance>/ (needs the nats feature).
    Fleet(fleet::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome: Result<(), Failure> = match cli.command {
        Command::ExitCodes => {
            print!("{}", exit::TABLE);
            Ok(())
        }
        Command::Ls(args) => ls::run(&args),
        Command::Channels(args) => channels::run(args),
        Command::Sub(args) => sub::run(args),
        Command::Call(args) => call::run(args),
        Command::Pub(args) => publish::run(args),
        #[cfg(feature = "packages")]
        Command::Plugins(args) => plugins::run(args),
        Command::Fleet(args) => fleet::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
