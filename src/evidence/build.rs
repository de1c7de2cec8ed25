//! Builds [`Evidence`] for one Rollout from objects and logs.
use super::model::*;
use crate::source::{LogSource, ObjectSet};
use crate::model::Rollout;

#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    pub token_budget: usize,
    pub logs: crate::analysis::logs::LogConfig,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            token_budget: 4000,
            logs: Default::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("the snapshot holds no Rollout")]
    NoRollout,
    #[error("no Rollout named {0}")]
    NotFound(String),
    #[error("several Rollouts ({}); choose one with --rollout", .0.join(", "))]
    Ambiguous(Vec<String>),
}

pub fn select_rollout<'a>(_objects: &'a ObjectSet, _name: Option<&str>) -> Result<&'a Rollout, SelectError> {
    Err(SelectError::NoRollout)
}

pub fn build_evidence(_ro: &Rollout, _objects: &ObjectSet, _logs: &dyn LogSource, _cfg: &EvidenceConfig) -> Evidence {
    unimplemented!()
}
