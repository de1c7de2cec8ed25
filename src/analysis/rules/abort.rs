//! Aborts: an operator's, or the controller's own at the progress deadline.

use super::Finding;
use super::analysis::failed_metrics;
use super::signals::*;
use crate::diagnosis::{Action, Category};
use crate::evidence::*;

fn abort_condition(ev: &Evidence) -> Option<&ConditionFact> {
    ev.incident
        .conditions
        .iter()
        .find(|c| c.reason.as_deref() == Some("RolloutAborted"))
}

/// An abort no analysis, condition or message explains: the operator's, or the controller's
/// own deadline abort after a reconcile replaced the deadline condition with the generic one.
fn unexplained_abort(ev: &Evidence) -> bool {
    let aborted = ev.incident.aborted || abort_condition(ev).is_some();
    let analysis_failed = failed_metrics(ev).next().is_some()
        || ev.incident.analysis_refs.iter().any(|r| {
            matches!(
                r.status.as_deref(),
                Some("Failed" | "Error" | "Inconclusive")
            )
        })
        || ev
            .analysis
            .iter()
            .any(|r| matches!(r.phase.as_str(), "Failed" | "Error"));
    aborted && !analysis_failed && !super::stated::abort_explained(ev)
}

/// With `progressDeadlineAbort` the controller aborts a canary that never became available and
/// keeps only "Rollout aborted update to revision N" one reconcile later; a healthy canary
/// cannot have timed out, so only then is the operator the likelier author.
fn deadline_abort_likely(ev: &Evidence) -> bool {
    ev.incident.progress_deadline_abort && !canary_healthy(ev)
}

pub fn manual_abort(ev: &Evidence) -> Option<Finding> {
    if !unexplained_abort(ev) {
        return None;
    }
    let aborted = abort_condition(ev);
    let troubled = canary_troubled(ev);
    let confidence = match (troubled, canary_healthy(ev)) {
        (true, _) => 0.3,
        _ if deadline_abort_likely(ev) => 0.3,
        (false, true) => 0.85,
        // No canary pod seen: nothing shows the canary was fine, only nothing shows otherwise.
        _ if canary_pods(ev).next().is_none() => 0.5,
        (false, false) => 0.7,
    };
    let mut ids: Vec<String> = aborted.map(|c| c.id.clone()).into_iter().collect();
    ids.extend(
        canary_pods(ev)
            .filter(|p| p.ready)
            .take(1)
            .map(|p| p.id.clone()),
    );
    Some(Finding {
        category: Category::ManualAbort,
        confidence,
        rule: "aborted-without-failed-analysis",
        summary: format!(
            "The rollout was aborted{} with no failed analysis and {}",
            ev.incident
                .aborted_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default(),
            if canary_healthy(ev) {
                "a healthy canary"
            } else {
                "no sign of a canary fault"
            }
        ),
        evidence: ids,
        action: Action::None,
    })
}

pub fn progress_deadline(ev: &Evidence) -> Option<Finding> {
    let stated = ev
        .incident
        .conditions
        .iter()
        .find(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    let Some(c) = stated else {
        return inferred_deadline_abort(ev);
    };
    let mut ids = vec![c.id.clone()];
    ids.extend(
        canary_pods(ev)
            .filter(|p| !p.ready)
            .take(1)
            .map(|p| p.id.clone()),
    );
    Some(Finding {
        category: Category::ProgressDeadline,
        confidence: 0.6,
        rule: "progress-deadline-exceeded",
        summary: format!(
            "The canary did not become available within the progress deadline{}",
            ev.incident.progress_deadline_seconds.map(|s| format!(" ({s}s)")).unwrap_or_default()
        ),
        evidence: ids,
        action: Action::Investigate {
            hint: "check why canary pods are not becoming available (readiness, slow start), or raise progressDeadlineSeconds".into(),
        },
    })
}

/// The abort names no cause, `progressDeadlineAbort` is set and the canary never became healthy.
fn inferred_deadline_abort(ev: &Evidence) -> Option<Finding> {
    if !unexplained_abort(ev) || !deadline_abort_likely(ev) {
        return None;
    }
    let pods_known = canary_pods(ev).next().is_some();
    let mut ids: Vec<String> = vec![DEADLINE_ABORT_ID.to_owned()];
    ids.extend(abort_condition(ev).map(|c| c.id.clone()));
    ids.extend(
        canary_pods(ev)
            .filter(|p| !p.ready)
            .take(1)
            .map(|p| p.id.clone()),
    );
    Some(Finding {
        category: Category::ProgressDeadline,
        confidence: if pods_known { 0.55 } else { 0.45 },
        rule: "deadline-abort-inferred",
        summary: format!(
            "The rollout was aborted without a stated cause while progressDeadlineAbort is set and the canary {}: most likely the controller's own abort at the progress deadline{}",
            if pods_known { "was not available" } else { "is not known to be available" },
            ev.incident.progress_deadline_seconds.map(|s| format!(" ({s}s)")).unwrap_or_default()
        ),
        evidence: ids,
        action: Action::Investigate {
            hint: "check why canary pods are not becoming available (readiness, slow start, image, quota); the Rollout's RolloutAborted events say whether the deadline aborted it".into(),
        },
    })
}
