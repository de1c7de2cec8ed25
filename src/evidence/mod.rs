//! Evidence: one serializable model of everything known about a Rollout's incident.

pub mod budget;
mod build;
mod facts;
mod items;
mod logplan;
mod model;
mod partial;
mod resolve;
pub mod sidecar;
pub mod stated;
pub mod status_text;
#[cfg(test)]
pub(crate) mod testing;

pub use build::{EvidenceConfig, SelectError, build_evidence, select_rollout};
pub use items::DEADLINE_ABORT_ID;
pub use logplan::{LogRequest, log_plan, log_plan_for, pods_still_wanted};
pub use model::*;
