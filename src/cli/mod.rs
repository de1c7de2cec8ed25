//! Command-line interface. `main` only parses and dispatches here.

pub mod diagnose;
pub mod logs;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rollout-doctor",
    version,
    about = "Explains why an Argo Rollout failed"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnoses a failed Rollout from a snapshot directory.
    Diagnose {
        #[command(flatten)]
        snapshot: diagnose::SnapshotArgs,
        #[arg(long, value_enum, default_value = "text")]
        output: diagnose::Output,
        /// Diagnose every Rollout in the snapshot (JSON output becomes an array).
        #[arg(long, conflicts_with = "rollout")]
        all: bool,
    },
    /// Prints the evidence a diagnosis rests on, fitted to the token budget, as JSON.
    Evidence {
        #[command(flatten)]
        snapshot: diagnose::SnapshotArgs,
    },
    /// Log tooling: template mining and canary-vs-stable comparison.
    #[command(subcommand)]
    Logs(logs::LogsCommand),
}

/// Runs the command; the returned code is the process exit status.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Diagnose { snapshot, output, all } => diagnose::diagnose(snapshot, output, all),
        Command::Evidence { snapshot } => diagnose::evidence(snapshot),
        Command::Logs(cmd) => logs::run(cmd),
    }
}
