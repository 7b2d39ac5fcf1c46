//! How the program ends: one error type whose kind picks the exit code.

use std::fmt;
use std::process::ExitCode;

/// What `switchboard exit-codes` prints.
pub const TABLE: &str = "\
0  success
1  the operation failed (the message says why)
2  bad command line (clap's usage errors use it too)
3  the target could not be reached or found
4  timed out waiting for an answer
5  the host or plugin refused (an error answer, access denied)
";

/// Why a subcommand failed; the kind chooses the exit code.
#[derive(Debug)]
#[allow(dead_code)] // kinds are used as subcommands arrive
pub enum Kind {
    /// Anything else that went wrong.
    Failed,
    /// Arguments clap accepted but the subcommand cannot use.
    Usage,
    /// No such game, URL unreachable, queue missing.
    Unreachable,
    /// No answer in time.
    Timeout,
    /// An error answer from the other side.
    Refused,
}

/// A failed subcommand: a kind and a message for stderr.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

#[allow(dead_code)] // constructors are used as subcommands arrive
impl Failure {
    pub fn new(kind: Kind, message: impl fmt::Display) -> Self {
        Failure {
            kind,
            message: message.to_string(),
        }
    }

    pub fn failed(message: impl fmt::Display) -> Self {
        Self::new(Kind::Failed, message)
    }

    /// Prints the message and gives the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("switchboard: {}", self.message);
        ExitCode::from(match self.kind {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::Unreachable => 3,
            Kind::Timeout => 4,
            Kind::Refused => 5,
        })
    }
}
