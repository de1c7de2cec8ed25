//! Evidence: one serializable model of everything known about a Rollout's incident.

mod build;
pub mod budget;
mod items;
mod model;

pub use build::{EvidenceConfig, build_evidence, select_rollout, SelectError};
pub use model::*;
