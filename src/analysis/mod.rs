//! Pure analysis over evidence: spec diff, log templates, rules.

pub mod logs;
pub mod rules;
pub mod spec_diff;
