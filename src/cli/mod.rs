//! Command-line interface. `main` only parses and dispatches here.

pub mod logs;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "rollout-doctor", version, about = "Explains why an Argo Rollout failed")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log tooling: template mining and canary-vs-stable comparison.
    #[command(subcommand)]
    Logs(logs::LogsCommand),
}

/// Runs the command; the returned code is the process exit status.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Logs(cmd) => logs::run(cmd),
    }
}
