//! `rollout-doctor logs templates|diff`. OWNED BY THE LOGS WORK.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Mines templates from one log file.
    Templates {
        file: PathBuf,
        #[arg(long, default_value = "text")]
        output: String,
    },
}

pub fn run(_cmd: LogsCommand) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("not wired yet")
}
