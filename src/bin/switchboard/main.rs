//! `switchboard`: the command-line program for Switchboard hosts and their
//! plugins.
//!
//! Each subcommand is a module with an `Args` (clap) and a `run` that
//! returns a [`Failure`] on error; this file only lists them. A new
//! subcommand is a module plus one variant and one match arm here.
//!
//! Exit codes, the same for every subcommand, so scripts can rely on them:
//! see [`exit`].

mod exit;
mod fleet;

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
        Command::Fleet(args) => fleet::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
