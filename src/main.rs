use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = rollout_doctor::cli::Cli::parse();
    match rollout_doctor::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
