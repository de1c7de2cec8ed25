//! `rollout-doctor diagnose` and `rollout-doctor evidence`: the offline pipeline on a snapshot.

use crate::diagnosis::render;
use crate::evidence::budget;
use crate::pipeline::{DiagnoseOptions, run_snapshot, run_snapshot_all};
use crate::redact::Redactor;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Snapshot directory: objects.yaml plus logs/<pod>/<container>[.previous].log
    pub snapshot: PathBuf,
    /// Rollout to diagnose when the snapshot holds several (`name` or `namespace/name`).
    #[arg(long)]
    pub rollout: Option<String>,
    /// Evidence budget in tokens (rendered evidence, LLM prompts).
    #[arg(long, default_value_t = 4000, env = "ROLLOUT_DOCTOR_EVIDENCE_BUDGET")]
    pub budget: usize,
}

impl SnapshotArgs {
    fn options(&self) -> DiagnoseOptions {
        let mut opts = DiagnoseOptions {
            rollout: self.rollout.clone(),
            ..Default::default()
        };
        opts.evidence.token_budget = self.budget;
        opts
    }
}

/// `all`: every Rollout in the snapshot; JSON output is then an array.
pub fn diagnose(args: SnapshotArgs, output: Output, all: bool) -> anyhow::Result<ExitCode> {
    let redactor = Redactor::default();
    let reports = if all {
        run_snapshot_all(&args.snapshot, &args.options(), &redactor)?
    } else {
        vec![run_snapshot(&args.snapshot, &args.options(), &redactor)?]
    };
    if let Some(first) = reports.first() {
        for w in &first.warnings {
            eprintln!("warning: {w}");
        }
    }
    let diagnoses: Vec<_> = reports.into_iter().map(|r| r.diagnosis).collect();
    match output {
        Output::Json if all => println!("{}", serde_json::to_string_pretty(&diagnoses)?),
        Output::Json => println!("{}", serde_json::to_string_pretty(&diagnoses[0])?),
        Output::Text => print!("{}", diagnoses.iter().map(render::text).collect::<Vec<_>>().join("\n")),
        Output::Markdown => print!("{}", diagnoses.iter().map(render::markdown).collect::<Vec<_>>().join("\n---\n\n")),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the evidence as it would be handed to an LLM or a sink: within the budget, with
/// what was cut counted.
pub fn evidence(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let opts = args.options();
    let report = run_snapshot(&args.snapshot, &opts, &Redactor::default())?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let keep: Vec<String> = report
        .diagnosis
        .evidence
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let fitted = budget::fit(report.evidence, opts.evidence.token_budget, &keep);
    println!("{}", serde_json::to_string_pretty(&fitted)?);
    Ok(ExitCode::SUCCESS)
}
