//! Deterministic rules: evidence → exactly one category of the taxonomy, with the evidence ids
//! that support it and a structured remediation. No LLM, no I/O.
//!
//! Every rule runs; each returns at most one [`Finding`]. The decision prefers the most
//! specific cause among confident findings (root causes before their symptoms: an OOM before
//! the CrashLoopBackOff it causes, a crash before the failed analysis it causes), so the
//! rule order below is the specificity order.

mod abort;
mod analysis;
mod attribution;
mod crash;
mod signals;
mod stated;
mod workload;

use crate::diagnosis::{Action, Category};
use crate::evidence::Evidence;

pub use signals::is_empty_or_nan;

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub category: Category,
    pub confidence: f64,
    pub rule: &'static str,
    pub summary: String,
    /// Evidence ids, strongest first.
    pub evidence: Vec<String>,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub struct RulesOutcome {
    pub decision: Finding,
    /// Other findings, strongest first.
    pub alternatives: Vec<Finding>,
}

/// A finding below this confidence does not decide unless nothing else is found.
pub const DECISIVE: f64 = 0.5;

type Rule = fn(&Evidence) -> Option<Finding>;

/// In specificity order.
/// What the controller stated follows what the objects show: a statement speaks for objects
/// the snapshot lacks, and an object that is there is the better witness.
const RULES: &[Rule] = &[
    workload::invalid_spec,
    stated::spec,
    workload::unschedulable,
    workload::image_pull,
    workload::config_missing,
    workload::oom_killed,
    analysis::dependency_failure,
    crash::crash_loop,
    crash::probe_failure,
    stated::workload,
    analysis::analysis_error,
    analysis::metric_regression,
    stated::analysis,
    stated::deadline,
    abort::manual_abort,
    abort::progress_deadline,
];

pub fn classify(ev: &Evidence) -> RulesOutcome {
    let found: Vec<(usize, Finding)> = RULES
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| rule(ev).map(|f| (i, f)))
        .collect();
    let pick = found
        .iter()
        .position(|(_, f)| f.confidence >= DECISIVE)
        .or_else(|| {
            found
                .iter()
                .enumerate()
                .max_by(|(_, a), (_, b)| a.1.confidence.total_cmp(&b.1.confidence))
                .map(|(i, _)| i)
        });
    let mut found: Vec<Finding> = found.into_iter().map(|(_, f)| f).collect();
    let decision = match pick {
        Some(i) => found.remove(i),
        None => unknown(ev),
    };
    found.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    // A statement and the object it speaks for may both find a category: one is enough.
    let mut seen = vec![decision.category];
    found.retain(|f| {
        let new = !seen.contains(&f.category);
        seen.push(f.category);
        new
    });
    RulesOutcome {
        decision,
        alternatives: found,
    }
}

/// The finding the rules hold for one category, if any: how a category chosen elsewhere (the
/// LLM) gets a remediation derived from evidence rather than from free text.
pub fn finding_for(ev: &Evidence, category: Category) -> Option<Finding> {
    if category == Category::Unknown {
        return Some(unknown(ev));
    }
    RULES
        .iter()
        .filter_map(|rule| rule(ev))
        .find(|f| f.category == category)
}

fn unknown(ev: &Evidence) -> Finding {
    let evidence: Vec<String> = ev
        .incident
        .conditions
        .iter()
        .filter(|c| {
            c.reason
                .as_deref()
                .is_some_and(|r| r.contains("Abort") || r.contains("Deadline"))
                || c.type_ == "Progressing"
        })
        .map(|c| c.id.clone())
        .take(1)
        .collect();
    Finding {
        category: Category::Unknown,
        confidence: 0.2,
        rule: "no-supporting-evidence",
        summary: format!(
            "Rollout is {:?} but no collected evidence points at a cause{}",
            ev.incident.phase,
            if ev.gaps.is_empty() {
                String::new()
            } else {
                format!(" ({} sources could not be read)", ev.gaps.len())
            }
        ),
        evidence,
        action: Action::Investigate {
            hint:
                "inspect the canary pods and the AnalysisRun by hand; collect their logs if missing"
                    .into(),
        },
    }
}

/// Raises confidence for corroborating facts without ever reaching certainty.
pub(crate) fn boost(base: f64, supports: usize) -> f64 {
    (base + 0.05 * supports as f64).min(0.98)
}

#[cfg(test)]
mod attribution_tests;
#[cfg(test)]
mod tests;
