//! rollout-doctor: makes failed Argo Rollouts explain (and repair) themselves.
//!
//! Data flows one way: [`source`] (snapshot or cluster) → [`evidence`] (one model) →
//! [`analysis`] (pure: spec diff, log templates, rules) → [`diagnosis`] → sinks.

pub mod agent;
pub mod analysis;
pub mod cli;
pub mod diagnosis;
pub mod evidence;
pub mod fix;
pub mod gitops;
pub mod llm;
pub mod mcp;
pub mod model;
pub mod notify;
pub mod pipeline;
pub mod redact;
pub mod repair;
pub mod source;
pub mod telemetry;
pub mod text;
pub mod verdict;
