//! The offline pipeline: snapshot → evidence → rules → diagnosis.

use crate::analysis::rules;
use crate::diagnosis::{self, Diagnosis};
use crate::evidence::{Evidence, EvidenceConfig, SelectError, build_evidence, select_rollout};
use crate::model::Rollout;
use crate::redact::Redactor;
use crate::source::{Snapshot, SnapshotError};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// Which Rollout, when the snapshot holds several (`name` or `namespace/name`).
    pub rollout: Option<String>,
    pub evidence: EvidenceConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Select(#[from] SelectError),
}

/// What one run of the pipeline produced: the diagnosis, the evidence it rests on, and
/// warnings about input that was skipped.
pub struct Report {
    pub diagnosis: Diagnosis,
    pub evidence: Evidence,
    pub warnings: Vec<String>,
}

pub fn diagnose_snapshot(dir: &Path, opts: &DiagnoseOptions) -> Result<Diagnosis, DiagnoseError> {
    Ok(run_snapshot(dir, opts, &Redactor::default())?.diagnosis)
}

pub fn run_snapshot(
    dir: &Path,
    opts: &DiagnoseOptions,
    redactor: &Redactor,
) -> Result<Report, DiagnoseError> {
    let snapshot = Snapshot::load(dir)?;
    let ro = select_rollout(&snapshot.objects, opts.rollout.as_deref())?;
    Ok(report(&snapshot, ro, redactor, opts))
}

/// Every Rollout in the snapshot, in file order.
pub fn run_snapshot_all(
    dir: &Path,
    opts: &DiagnoseOptions,
    redactor: &Redactor,
) -> Result<Vec<Report>, DiagnoseError> {
    let snapshot = Snapshot::load(dir)?;
    if snapshot.objects.rollouts.is_empty() {
        return Err(SelectError::NoRollout.into());
    }
    let all = &snapshot.objects.rollouts;
    Ok(all
        .iter()
        .map(|ro| report(&snapshot, ro, redactor, opts))
        .collect())
}

fn report(
    snapshot: &Snapshot,
    ro: &Rollout,
    redactor: &Redactor,
    opts: &DiagnoseOptions,
) -> Report {
    let evidence = build_evidence(ro, &snapshot.objects, snapshot, redactor, &opts.evidence);
    Report {
        diagnosis: diagnose(&evidence),
        evidence,
        warnings: snapshot.objects.warnings.clone(),
    }
}

/// Pure: evidence in, diagnosis out. The live agent calls this too.
pub fn diagnose(evidence: &Evidence) -> Diagnosis {
    diagnosis::from_rules(evidence, rules::classify(evidence))
}
