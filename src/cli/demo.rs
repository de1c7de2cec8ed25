//! `rollout-doctor demo`: diagnoses a scenario embedded in the binary, so a fresh machine can
//! see the whole pipeline with no cluster, no files and no API key.

use super::diagnose::Output;
use crate::diagnosis::render;
use crate::pipeline::{DiagnoseOptions, run_snapshot};
use crate::redact::Redactor;
use std::process::ExitCode;

const SCENARIO: &str = "canary-python-missing-env-var";

macro_rules! embedded {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/scenarios/canary-python-missing-env-var/", $path)) as &[u8])),*]
    };
}

const FILES: &[(&str, &[u8])] = embedded!(
    "objects.yaml",
    "logs/notifier-6f4fcc5ddc-czm27/app.log",
    "logs/notifier-778d66b9d4-j5l5d/app.log",
    "logs/notifier-778d66b9d4-j5l5d/app.previous.log",
);

pub fn run(output: Output) -> anyhow::Result<ExitCode> {
    // The snapshot reader is the one users run; the demo goes through it unchanged.
    let dir = tempfile_dir()?;
    for (path, bytes) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, bytes)?;
    }
    let result = run_snapshot(&dir, &DiagnoseOptions::default(), &Redactor::default());
    let _ = std::fs::remove_dir_all(&dir);
    let d = result?.diagnosis;
    eprintln!(
        "(embedded demo scenario `{SCENARIO}`; run `rollout-doctor diagnose <snapshot-dir>` on your own)"
    );
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&d)?),
        Output::Text => print!("{}", render::text(&d)),
        Output::Markdown => print!("{}", render::markdown(&d)),
    }
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("rollout-doctor-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
