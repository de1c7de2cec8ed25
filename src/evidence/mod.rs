//! Evidence: one serializable model of everything known about a Rollout's incident.

pub mod budget;
mod build;
mod facts;
mod items;
mod model;
mod partial;
pub mod stated;
pub mod status_text;
#[cfg(test)]
pub(crate) mod testing;
mod resolve;

pub use build::{EvidenceConfig, LogRequest, SelectError, build_evidence, log_plan, log_plan_for, select_rollout};
pub use model::*;
