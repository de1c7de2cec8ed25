//! What the controller stated about a failure, as claims with the id of the field that says
//! it. Read from the Rollout alone (conditions, `status.message`, the AnalysisRun summaries it
//! keeps, pause reasons) and from whatever else the snapshot holds (AnalysisRun messages,
//! events on the Rollout and its runs), so a cause the objects name in words is evidence
//! even when the objects it refers to are missing.

use super::model::*;
use super::status_text::*;

/// Where `status.message`, the run summaries and pause reasons are cited from.
pub const MESSAGE_ID: &str = "rollout/message";

pub fn analysis_ref_id(name: &str) -> String {
    format!("rollout/analysis/{name}")
}

pub fn pause_id(reason: &str) -> String {
    format!("rollout/pause/{reason}")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    InvalidSpec {
        message: String,
    },
    /// The progress deadline passed; the ReplicaSet that timed out when named.
    Deadline {
        replica_set: Option<String>,
    },
    Metric {
        run: Option<String>,
        assessment: MetricAssessment,
    },
    /// An analysis did not pass, without saying which metric.
    Analysis {
        run: Option<String>,
        outcome: Outcome,
    },
    Workload {
        cause: WorkloadCause,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Evidence id of the field that says it.
    pub id: String,
    pub claim: Claim,
}

/// Every claim, the Rollout's own fields first; a claim repeated by a later field is kept once.
pub fn statements(ev: &Evidence) -> Vec<Statement> {
    let mut out = Vec::new();
    let inc = &ev.incident;
    for c in &inc.conditions {
        let msg = c.message.as_deref().unwrap_or("");
        if c.type_ == crate::model::phase::CONDITION_INVALID_SPEC
            && !c.status.eq_ignore_ascii_case("false")
        {
            push(
                &mut out,
                &c.id,
                Claim::InvalidSpec {
                    message: msg.to_owned(),
                },
            );
            continue;
        }
        match c.reason.as_deref() {
            Some("ProgressDeadlineExceeded") => push(
                &mut out,
                &c.id,
                Claim::Deadline {
                    replica_set: deadline_text(msg).flatten(),
                },
            ),
            Some("RolloutAborted") => abort_claims(&mut out, &c.id, msg, inc),
            Some("ReplicaSetCreateError" | "FailedCreate") => {
                workload_claim(&mut out, &c.id, msg, true)
            }
            _ if c.type_ == "ReplicaFailure" && c.status.eq_ignore_ascii_case("true") => {
                workload_claim(&mut out, &c.id, msg, true)
            }
            _ => {}
        }
    }
    if let Some(msg) = inc.message.as_deref() {
        message_claims(&mut out, msg, inc);
    }
    for r in &inc.analysis_refs {
        let Some(outcome) = r.status.as_deref().and_then(Outcome::parse) else {
            continue;
        };
        let id = analysis_ref_id(&r.name);
        if metric_claims(
            &mut out,
            &id,
            Some(&r.name),
            r.message.as_deref().unwrap_or(""),
        ) {
            continue;
        }
        // The abort named the metric; the summary names the run.
        let unnamed = out.iter_mut().find_map(|s| match &mut s.claim {
            Claim::Metric {
                run: run @ None,
                assessment,
            } if assessment.outcome == outcome => Some(run),
            _ => None,
        });
        match unnamed {
            Some(run) => *run = Some(r.name.clone()),
            None => push(
                &mut out,
                &id,
                Claim::Analysis {
                    run: Some(r.name.clone()),
                    outcome,
                },
            ),
        }
    }
    for reason in &inc.pause_reasons {
        if reason.starts_with("Inconclusive") || reason.ends_with("Inconclusive") {
            push(
                &mut out,
                &pause_id(reason),
                Claim::Analysis {
                    run: None,
                    outcome: Outcome::Inconclusive,
                },
            );
        }
    }
    for run in &ev.analysis {
        metric_claims(
            &mut out,
            &run.id,
            Some(&run.name),
            run.message.as_deref().unwrap_or(""),
        );
    }
    for e in ev
        .events
        .iter()
        .filter(|e| matches!(e.object_kind.as_str(), "Rollout" | "AnalysisRun"))
    {
        let msg = e.message.as_deref().unwrap_or("");
        let run = (e.object_kind == "AnalysisRun").then_some(e.object_name.as_str());
        if !metric_claims(&mut out, &e.id, run, msg)
            // 1.x writes the deadline sentence as a RolloutAborted event; older controllers
            // wrote it under the condition's reason.
            && matches!(e.reason.as_deref(), Some("RolloutAborted" | "ProgressDeadlineExceeded"))
            && let Some(rs) = deadline_text(msg)
        {
            push(&mut out, &e.id, Claim::Deadline { replica_set: rs });
        }
    }
    out
}

/// `status.message` repeats a condition in most versions; it is the only statement left when a
/// snapshot trimmed the conditions.
fn message_claims(out: &mut Vec<Statement>, msg: &str, inc: &Incident) {
    if let Some(rest) = msg.strip_prefix("InvalidSpec:") {
        push(
            out,
            MESSAGE_ID,
            Claim::InvalidSpec {
                message: rest.trim().to_owned(),
            },
        );
    } else if msg.starts_with("ProgressDeadlineExceeded") {
        push(
            out,
            MESSAGE_ID,
            Claim::Deadline {
                replica_set: deadline_text(msg).flatten(),
            },
        );
    } else if abort_text(msg).is_some() {
        abort_claims(out, MESSAGE_ID, msg, inc);
    } else {
        metric_claims(out, MESSAGE_ID, None, msg);
    }
}

fn abort_claims(out: &mut Vec<Statement>, id: &str, msg: &str, inc: &Incident) {
    let Some(abort) = abort_text(msg) else {
        metric_claims(out, id, None, msg);
        return;
    };
    // An abort that says nothing after the revision is an operator's: no claim.
    let Some(detail) = abort.detail.as_deref() else {
        if abort.origin.is_some() {
            // "Step-based analysis phase error/failed" with the run's message left empty.
            let failed = inc
                .analysis_refs
                .iter()
                .find(|r| r.status.as_deref().and_then(Outcome::parse).is_some());
            let outcome = failed
                .and_then(|r| r.status.as_deref())
                .and_then(Outcome::parse)
                .unwrap_or(Outcome::Failed);
            push(
                out,
                id,
                Claim::Analysis {
                    run: failed.map(|r| r.name.clone()),
                    outcome,
                },
            );
        }
        return;
    };
    if metric_claims(out, id, None, detail) {
        return;
    }
    if let Some(rs) = deadline_text(detail) {
        push(out, id, Claim::Deadline { replica_set: rs });
    } else if abort.origin.is_some() {
        push(
            out,
            id,
            Claim::Analysis {
                run: None,
                outcome: Outcome::Failed,
            },
        );
    } else {
        workload_claim(out, id, detail, false);
    }
}

/// Claims a metric verdict per metric the text names; false when it names none.
fn metric_claims(out: &mut Vec<Statement>, id: &str, run: Option<&str>, text: &str) -> bool {
    let found = metric_assessments(text);
    for assessment in &found {
        let known = out.iter_mut().find_map(|s| match &mut s.claim {
            Claim::Metric {
                run: r,
                assessment: a,
            } if a.metric == assessment.metric && a.outcome == assessment.outcome => Some((r, a)),
            _ => None,
        });
        match known {
            // A later field may name the run or carry the provider's message.
            Some((r, a)) => {
                if r.is_none() {
                    *r = run.map(str::to_owned);
                }
                a.limit = a.limit.take().or(assessment.limit.clone());
                a.provider_message = a
                    .provider_message
                    .take()
                    .or(assessment.provider_message.clone());
            }
            None => out.push(Statement {
                id: id.to_owned(),
                claim: Claim::Metric {
                    run: run.map(str::to_owned),
                    assessment: assessment.clone(),
                },
            }),
        }
    }
    !found.is_empty()
}

fn workload_claim(out: &mut Vec<Statement>, id: &str, msg: &str, creating: bool) {
    let cause = workload_cause(msg).or(creating.then_some(WorkloadCause::CannotCreate));
    if let Some(cause) = cause {
        push(
            out,
            id,
            Claim::Workload {
                cause,
                message: msg.to_owned(),
            },
        );
    }
}

fn push(out: &mut Vec<Statement>, id: &str, claim: Claim) {
    for s in out.iter_mut() {
        match (&mut s.claim, &claim) {
            (Claim::InvalidSpec { .. }, Claim::InvalidSpec { .. }) => return,
            (Claim::Deadline { replica_set: known }, Claim::Deadline { replica_set: named }) => {
                if known.is_none() {
                    known.clone_from(named);
                }
                return;
            }
            (a, b) if a == b => return,
            _ => {}
        }
    }
    out.push(Statement {
        id: id.to_owned(),
        claim,
    });
}

#[cfg(test)]
#[path = "stated_tests.rs"]
mod tests;
