//! Turns a rules outcome over evidence into the public [`Diagnosis`].

use super::*;
use crate::analysis::rules::RulesOutcome;
use crate::evidence::Evidence;

/// Cited items are resolved against the evidence: an id that names nothing is dropped, so a
/// diagnosis never cites what is not there.
pub fn from_rules(ev: &Evidence, outcome: RulesOutcome) -> Diagnosis {
    let d = outcome.decision;
    let items = ev.items();
    let mut cited: Vec<EvidenceItem> = Vec::new();
    for id in &d.evidence {
        if cited.iter().any(|c| &c.id == id) {
            continue;
        }
        if let Some(item) = items.iter().find(|i| &i.id == id) {
            cited.push(item.clone());
        }
    }
    let inc = &ev.incident;
    Diagnosis {
        schema_version: SCHEMA_VERSION,
        rollout: ev.rollout.clone(),
        category: d.category,
        confidence: (d.confidence * 100.0).round() / 100.0,
        summary: d.summary,
        evidence: cited,
        remediation: Remediation {
            description: describe(&d.action),
            action: d.action,
        },
        engine: Engine::Rules,
        rule: Some(d.rule.to_owned()),
        incident: IncidentSummary {
            phase: inc.phase,
            strategy: inc.strategy,
            message: inc.message.clone(),
            revision: inc.revision.clone(),
            step_index: inc.step_index,
            current_step: inc.current_step.clone(),
            canary_hash: inc.canary_hash.clone(),
            stable_hash: inc.stable_hash.clone(),
            canary_image: inc.canary_image.clone(),
            stable_image: inc.stable_image.clone(),
            logs: ev.logs.coverage.clone(),
        },
        alternatives: outcome
            .alternatives
            .into_iter()
            .map(|f| Alternative {
                category: f.category,
                confidence: (f.confidence * 100.0).round() / 100.0,
                rule: f.rule.to_owned(),
            })
            .collect(),
        gaps: ev.gaps.clone(),
        llm: None,
    }
}

pub fn describe(action: &Action) -> String {
    let or = |s: &Option<String>, d: &str| s.clone().unwrap_or_else(|| d.to_owned());
    // Partial snapshots leave names unknown: say so in words rather than print a blank.
    let named = |kind: &str, name: &str, unknown: &str| match name {
        "" => unknown.to_owned(),
        n => format!("{kind} {n}"),
    };
    let container_ = |c: &str| named("container", c, "the canary container");
    match action {
        Action::RevertImage {
            container,
            canary_image,
            stable_image,
        } => format!(
            "Revert {} from {} to the stable image {}",
            container_(container),
            or(canary_image, "the canary image"),
            or(stable_image, "(unknown)")
        ),
        Action::RestoreEnv {
            container, name, ..
        } if name.is_empty() => {
            format!(
                "Restore the configuration {} needs (compare with the stable template)",
                container_(container)
            )
        }
        Action::RestoreEnv {
            container, name, ..
        } => {
            format!(
                "Restore {name} in {} as the stable template defines it",
                container_(container)
            )
        }
        Action::RaiseMemoryLimit {
            container,
            current,
            suggested,
        } => format!(
            "Raise the memory limit of {} from {} to {}",
            container_(container),
            or(current, "its current value"),
            or(suggested, "a value that covers its peak usage")
        ),
        Action::FixProbe {
            container, probe, ..
        } => {
            format!(
                "Fix {probe} of {} (the stable template's probe passed)",
                container_(container)
            )
        }
        Action::FixAnalysisQuery {
            analysis_run,
            metric,
            provider,
            ..
        } => format!(
            "Fix the {} query of {} ({}); the canary itself may be fine",
            if provider == "unknown" {
                "analysis"
            } else {
                provider
            },
            named("metric", metric, "the erroring metric"),
            named("AnalysisRun", analysis_run, "AnalysisRun unknown")
        ),
        Action::FixScheduling { reason } => format!("Make room for the canary pods: {reason}"),
        Action::CheckDependency { target } => format!(
            "Check that the canary can reach {} (network policy, DNS, credentials, TLS)",
            or(target, "its dependency")
        ),
        Action::InvestigateRegression { metric, .. } => {
            format!(
                "Investigate the regression of {} in the new version before retrying",
                named("metric", metric, "the failing metric")
            )
        }
        Action::FixSpec { message } => format!("Fix the Rollout spec: {message}"),
        Action::Investigate { hint } => format!("Investigate: {hint}"),
        Action::None => "No fix needed: retry the rollout when ready".into(),
    }
}
