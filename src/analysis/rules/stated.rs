//! Rules that read what the controller stated (conditions, `status.message`, run summaries,
//! events on the Rollout) when the objects that would show it are missing or trimmed. A
//! statement is weaker than the object it speaks for: each kind of evidence that could have
//! contradicted it and is absent from the snapshot lowers the confidence.

use super::Finding;
use super::signals::{canary_pods, canary_troubled};
use super::workload::images_of;
use crate::diagnosis::{Action, Category};
use crate::evidence::stated::{Claim, Statement, statements};
use crate::evidence::status_text::{MetricAssessment, Outcome, WorkloadCause};
use crate::evidence::*;

/// Confidence lost for each kind of object the snapshot lacks.
fn unseen(ev: &Evidence) -> f64 {
    let pods = if ev.pods.iter().any(|p| p.role == Role::Canary) {
        0.0
    } else {
        0.1
    };
    let events = if ev.events.is_empty() { 0.05 } else { 0.0 };
    pods + events
}

/// Confidence lost when the AnalysisRun a statement is about is not in the snapshot.
fn run_unseen(ev: &Evidence, run: Option<&str>) -> f64 {
    let present = match run {
        Some(r) => ev.analysis.iter().any(|a| a.name == r),
        None => !ev.analysis.is_empty(),
    };
    if present { 0.0 } else { 0.1 }
}

fn round(x: f64) -> f64 {
    (x.clamp(0.05, 0.95) * 100.0).round() / 100.0
}

/// The Rollout said why it aborted (an analysis, a deadline, a workload failure): the abort is
/// not an operator's.
pub fn abort_explained(ev: &Evidence) -> bool {
    !statements(ev).is_empty()
}

/// `InvalidSpec: …` in `status.message` when the condition itself was trimmed.
pub fn spec(ev: &Evidence) -> Option<Finding> {
    let has_condition = ev
        .incident
        .conditions
        .iter()
        .any(|c| c.type_ == "InvalidSpec");
    let (s, message) = statements(ev).into_iter().find_map(|s| match &s.claim {
        Claim::InvalidSpec { message } if !has_condition => Some((s.clone(), message.clone())),
        _ => None,
    })?;
    Some(Finding {
        category: Category::InvalidSpec,
        confidence: 0.9,
        rule: "stated-invalid-spec",
        summary: format!("The Argo controller rejected the Rollout spec: {message}"),
        evidence: vec![s.id],
        action: Action::FixSpec { message },
    })
}

/// Pods that could not be created (quota, admission, ...) or a workload failure named in words.
pub fn workload(ev: &Evidence) -> Option<Finding> {
    let (s, cause, message) = statements(ev).into_iter().find_map(|s| match &s.claim {
        Claim::Workload { cause, message } => Some((s.clone(), *cause, message.clone())),
        _ => None,
    })?;
    let serving = canary_pods(ev).any(|p| p.ready);
    let base = match cause {
        WorkloadCause::CannotCreate
        | WorkloadCause::Unschedulable
        | WorkloadCause::InvalidObject => 0.85,
        WorkloadCause::ImagePull => 0.8,
        WorkloadCause::OutOfMemory | WorkloadCause::ConfigMissing => 0.75,
    };
    // A canary that is up and ready contradicts a creation failure: it is likely stale.
    let confidence = round(base - unseen(ev) - if serving { 0.3 } else { 0.0 });
    let short: String = message.chars().take(200).collect();
    let (category, action) = match cause {
        WorkloadCause::CannotCreate | WorkloadCause::Unschedulable => (
            Category::Unschedulable,
            Action::FixScheduling {
                reason: message.clone(),
            },
        ),
        WorkloadCause::InvalidObject => (
            Category::InvalidSpec,
            Action::FixSpec {
                message: message.clone(),
            },
        ),
        WorkloadCause::ImagePull => {
            let (canary_image, stable_image) = images_of(ev, None);
            (
                Category::ImagePull,
                Action::RevertImage {
                    container: String::new(),
                    canary_image,
                    stable_image,
                },
            )
        }
        WorkloadCause::OutOfMemory => (
            Category::OomKilled,
            Action::RaiseMemoryLimit {
                container: String::new(),
                current: None,
                suggested: None,
            },
        ),
        WorkloadCause::ConfigMissing => (
            Category::ConfigMissing,
            Action::RestoreEnv {
                container: String::new(),
                name: String::new(),
                stable: None,
                canary: None,
            },
        ),
    };
    Some(Finding {
        category,
        confidence,
        rule: "stated-workload-failure",
        summary: format!("The Rollout status says the canary failed: {short}"),
        evidence: vec![s.id],
        action,
    })
}

/// A metric verdict or failed analysis the Rollout (or an event) states, when the AnalysisRun
/// that would show it is missing or holds no result for that metric.
pub fn analysis(ev: &Evidence) -> Option<Finding> {
    let all = statements(ev);
    // A run in the snapshot that holds the metric is the better witness (a dry run included:
    // it decides nothing, whatever a message says).
    let judged_here = |metric: &str| {
        ev.analysis
            .iter()
            .flat_map(|r| &r.metrics)
            .any(|m| m.name == metric)
    };
    let metric = all.iter().find_map(|s| match &s.claim {
        Claim::Metric { run, assessment } if !judged_here(&assessment.metric) => {
            Some((s, run, assessment))
        }
        _ => None,
    });
    if let Some((s, run, a)) = metric {
        return Some(metric_finding(ev, s, run.as_deref(), a, &all));
    }
    // A failed run with no metric named, and no metric of it in the snapshot either.
    let (s, run, outcome) = all.iter().find_map(|s| match &s.claim {
        Claim::Analysis { run, outcome }
            if !ev
                .analysis
                .iter()
                .any(|r| Some(&r.name) == run.as_ref() && !r.metrics.is_empty()) =>
        {
            Some((s, run.clone(), *outcome))
        }
        _ => None,
    })?;
    let run_name = run.clone().unwrap_or_default();
    let (category, base, what) = match outcome {
        Outcome::Error => (Category::AnalysisError, 0.6, "could not measure"),
        Outcome::Failed => (Category::MetricRegression, 0.6, "failed"),
        Outcome::Inconclusive => (Category::MetricRegression, 0.4, "was inconclusive"),
    };
    let troubled = if canary_troubled(ev) { 0.15 } else { 0.0 };
    Some(Finding {
        category,
        confidence: round(base - unseen(ev) - run_unseen(ev, run.as_deref()) - troubled),
        rule: "stated-analysis-failure",
        summary: format!(
            "The Rollout status says the analysis{} {what}; which metric is not in the snapshot",
            run.as_deref().map(|r| format!(" {r}")).unwrap_or_default()
        ),
        evidence: with_run_summary(ev, vec![s.id.clone()], run.as_deref()),
        action: match outcome {
            Outcome::Error => Action::FixAnalysisQuery {
                analysis_run: run_name,
                metric: String::new(),
                provider: "unknown".into(),
                query: None,
            },
            _ => Action::InvestigateRegression {
                analysis_run: run_name,
                metric: String::new(),
            },
        },
    })
}

fn witness(id: &str) -> &'static str {
    match id.split('/').next() {
        Some("event") => "an event",
        Some("rollout") => "the Rollout status",
        _ => "the AnalysisRun",
    }
}

/// The Rollout's own summary of the run (`currentStepAnalysisRunStatus` and kin) says which run
/// and how it ended: cite it beside the sentence that made the claim.
fn with_run_summary(ev: &Evidence, mut ids: Vec<String>, run: Option<&str>) -> Vec<String> {
    let summary = run
        .filter(|r| ev.incident.analysis_refs.iter().any(|a| a.name == *r))
        .map(crate::evidence::stated::analysis_ref_id);
    ids.extend(summary.filter(|id| !ids.contains(id)));
    ids
}

fn metric_finding(
    ev: &Evidence,
    s: &Statement,
    run: Option<&str>,
    a: &MetricAssessment,
    all: &[Statement],
) -> Finding {
    let (category, base, rule) = match a.outcome {
        Outcome::Error => (Category::AnalysisError, 0.85, "stated-metric-error"),
        Outcome::Failed => (Category::MetricRegression, 0.85, "stated-metric-failed"),
        Outcome::Inconclusive => (
            Category::MetricRegression,
            0.45,
            "stated-metric-inconclusive",
        ),
    };
    // A crashing canary explains failed measurements better than the metric does.
    let troubled = if canary_troubled(ev) { 0.3 } else { 0.0 };
    let mut ids = vec![s.id.clone()];
    // Other fields that say the same (the run summary, a copied event) corroborate it.
    ids.extend(
        all.iter()
            .filter(|o| {
                o.id != s.id
                    && matches!(&o.claim, Claim::Analysis { run: r, .. } if r.as_deref() == run)
            })
            .map(|o| o.id.clone()),
    );
    ids.extend(
        run.and_then(|r| ev.analysis.iter().find(|x| x.name == r))
            .map(|x| x.id.clone()),
    );
    let why = match (&a.limit, &a.provider_message) {
        (_, Some(m)) => format!(": {}", m.chars().take(200).collect::<String>()),
        (Some((kind, n, limit)), None) => format!(" ({kind} {n} > limit {limit})"),
        (None, None) => String::new(),
    };
    let run_name = run.unwrap_or_default().to_owned();
    let provider = run
        .and_then(|r| ev.analysis.iter().find(|x| x.name == r))
        .and_then(|x| x.metrics.first())
        .map_or_else(|| "unknown".to_owned(), |m| m.provider.clone());
    Finding {
        category,
        confidence: round(base - unseen(ev) - run_unseen(ev, run) - troubled),
        rule,
        summary: format!(
            "Analysis metric {} was assessed {} on the canary{why}, as {} states",
            a.metric,
            a.outcome.as_str(),
            witness(&s.id)
        ),
        evidence: ids,
        action: match a.outcome {
            Outcome::Error => Action::FixAnalysisQuery {
                analysis_run: run_name,
                metric: a.metric.clone(),
                provider,
                query: None,
            },
            _ => Action::InvestigateRegression {
                analysis_run: run_name,
                metric: a.metric.clone(),
            },
        },
    }
}

/// The progress deadline, named by a condition, the message, or an abort it caused
/// (`progressDeadlineAbort`).
pub fn deadline(ev: &Evidence) -> Option<Finding> {
    let (s, replica_set) = statements(ev).into_iter().find_map(|s| match &s.claim {
        Claim::Deadline { replica_set } => Some((s.clone(), replica_set.clone())),
        _ => None,
    })?;
    let mut ids = vec![s.id];
    if ev.incident.aborted && ev.incident.progress_deadline_abort {
        ids.push(DEADLINE_ABORT_ID.to_owned());
    }
    ids.extend(
        canary_pods(ev)
            .filter(|p| !p.ready)
            .take(1)
            .map(|p| p.id.clone()),
    );
    let deadline = ev
        .incident
        .progress_deadline_seconds
        .map(|s| format!(" ({s}s)"))
        .unwrap_or_default();
    Some(Finding {
        category: Category::ProgressDeadline,
        confidence: round(0.6 - unseen(ev).min(0.1)),
        rule: "stated-progress-deadline",
        summary: format!(
            "{} did not become available within the progress deadline{deadline}{}",
            replica_set.as_deref().map_or("The canary".to_owned(), |rs| format!("Canary ReplicaSet {rs}")),
            if ev.incident.aborted { ", and the controller aborted the update" } else { "" }
        ),
        evidence: ids,
        action: Action::Investigate {
            hint: "check why canary pods are not becoming available (readiness, slow start, image, quota), or raise progressDeadlineSeconds".into(),
        },
    })
}
