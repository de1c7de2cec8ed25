//! The offline pipeline: snapshot → evidence → rules → diagnosis.

use crate::diagnosis::Diagnosis;
use crate::evidence::{EvidenceConfig, SelectError};
use crate::source::SnapshotError;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// Which Rollout, when the snapshot holds several.
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

pub fn diagnose_snapshot(_dir: &Path, _opts: &DiagnoseOptions) -> Result<Diagnosis, DiagnoseError> {
    unimplemented!("wired by the pipeline work")
}
