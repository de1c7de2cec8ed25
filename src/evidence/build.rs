//! Builds [`Evidence`] for one Rollout from objects and logs. Source-agnostic: the snapshot
//! and the live cluster both hand over an [`ObjectSet`] and a [`LogSource`].

use super::model::*;
use super::resolve::{Versions, resolve_versions};
use crate::analysis::logs::LogConfig;
use crate::analysis::spec_diff::{container_images, diff_templates};
use crate::model::rollout::StrategyKind;
use crate::model::{AnalysisRun, Pod, Rollout, rollout_phase};
use crate::redact::Redactor;
use crate::source::{LogSource, ObjectSet};
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    /// Token budget for rendered evidence (JSON output, LLM prompts).
    pub token_budget: usize,
    pub logs: LogConfig,
    /// Pods per version whose logs are read; crashing pods are chosen first, and a pod with no
    /// log at all gives its turn to the next one.
    pub log_pods_per_role: usize,
    /// Measurements kept per metric, newest last.
    pub measurements_per_metric: usize,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            token_budget: 4000,
            logs: LogConfig::default(),
            log_pods_per_role: 3,
            measurements_per_metric: 5,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("the snapshot holds no Rollout")]
    NoRollout,
    #[error("no Rollout named {name} (found: {})", found.join(", "))]
    NotFound { name: String, found: Vec<String> },
    #[error("several Rollouts ({}); choose one with --rollout", .0.join(", "))]
    Ambiguous(Vec<String>),
}

/// Picks the Rollout to diagnose: by name (`name` or `namespace/name`), or the only one.
pub fn select_rollout<'a>(
    objects: &'a ObjectSet,
    name: Option<&str>,
) -> Result<&'a Rollout, SelectError> {
    let names = || {
        objects
            .rollouts
            .iter()
            .map(|r| format!("{}/{}", r.metadata.namespace_or_default(), r.metadata.name))
            .collect::<Vec<_>>()
    };
    match (name, objects.rollouts.as_slice()) {
        (_, []) => Err(SelectError::NoRollout),
        (None, [one]) => Ok(one),
        (None, _) => Err(SelectError::Ambiguous(names())),
        (Some(wanted), all) => {
            let (ns, n) = match wanted.split_once('/') {
                Some((ns, n)) => (Some(ns), n),
                None => (None, wanted),
            };
            all.iter()
                .find(|r| {
                    r.metadata.name == n
                        && ns.is_none_or(|ns| r.metadata.namespace_or_default() == ns)
                })
                .ok_or_else(|| SelectError::NotFound {
                    name: wanted.to_owned(),
                    found: names(),
                })
        }
    }
}

pub fn build_evidence(
    ro: &Rollout,
    objects: &ObjectSet,
    logs: &dyn LogSource,
    redactor: &Redactor,
    cfg: &EvidenceConfig,
) -> Evidence {
    let ns = ro.metadata.namespace_or_default();
    let v = resolve_versions(ro, objects);
    let mut gaps = Vec::new();
    let spec_diff = diff_templates(v.stable_template(), v.canary_template(ro), redactor);
    let pods: Vec<&Pod> = v.pods(objects, ns);
    let runs = analysis_runs(ro, objects, &v);
    let mut incident = incident(ro, &v, &runs);

    if v.canary_rs.is_none() && v.canary_hash.is_some() {
        gaps.push(Gap::new(
            "replicaset",
            &format!("hash {}", v.canary_hash.as_deref().unwrap_or("")),
            "canary ReplicaSet not found",
        ));
    }
    if v.stable_rs.is_none() && v.stable_hash.is_some() && v.stable_hash != v.canary_hash {
        gaps.push(Gap::new(
            "replicaset",
            &format!("hash {}", v.stable_hash.as_deref().unwrap_or("")),
            "stable ReplicaSet not found",
        ));
    }
    for missing in ro
        .analysis_run_refs()
        .filter(|r| !runs.iter().any(|a| a.metadata.name == r.name))
    {
        let reason = super::partial::missing_run_reason(ns, &ro.metadata.name, &missing.name);
        gaps.push(Gap::new("analysisrun", &missing.name, &reason));
    }

    let pod_facts: Vec<PodFacts> = pods
        .iter()
        .map(|p| super::facts::pod_facts(p, v.role_of_hash(p.pod_template_hash())))
        .collect();
    let mut events = super::facts::events(ro, objects, &v, &pods, &runs, ns);
    super::partial::redact_statuses(&mut incident, &mut events, redactor);
    let analysis = runs
        .iter()
        .map(|r| super::facts::analysis_run(r, cfg.measurements_per_metric, redactor))
        .collect();
    let logs = super::logplan::mine_logs(&pod_facts, logs, redactor, cfg, &mut gaps);

    let mut ev = Evidence {
        rollout: RolloutRef {
            namespace: ns.to_owned(),
            name: ro.metadata.name.clone(),
            uid: ro.metadata.uid.clone(),
        },
        incident,
        analysis,
        spec_diff,
        pods: pod_facts,
        events,
        logs,
        gaps,
        truncation: Truncation::default(),
    };
    let thin = super::partial::thin_snapshot_gaps(&ev);
    ev.gaps.extend(thin);
    ev
}

fn incident(ro: &Rollout, v: &Versions, runs: &[&AnalysisRun]) -> Incident {
    let phase = rollout_phase(ro);
    let st = &ro.status;
    let images =
        |t: Option<&crate::model::PodTemplateSpec>| t.map(container_images).unwrap_or_default();
    let mut analysis_refs: Vec<AnalysisRef> = ro
        .analysis_run_refs()
        .map(|r| AnalysisRef {
            name: r.name.clone(),
            status: r.status.clone(),
            message: r.message.clone(),
        })
        .collect();
    // Runs of this revision the status no longer points at still explain an abort.
    for run in runs {
        if !analysis_refs.iter().any(|r| r.name == run.metadata.name) {
            analysis_refs.push(AnalysisRef {
                name: run.metadata.name.clone(),
                status: run.status.phase.clone(),
                message: run.status.message.clone(),
            });
        }
    }
    Incident {
        strategy: match ro.strategy_kind() {
            StrategyKind::Canary => Strategy::Canary,
            StrategyKind::BlueGreen => Strategy::BlueGreen,
            StrategyKind::Unknown => Strategy::Unknown,
        },
        phase: phase.phase,
        phase_derived: phase.derived,
        reported_phase: phase.reported,
        message: phase.message,
        aborted: st.abort,
        aborted_at: st.aborted_at.clone(),
        spec_paused: ro.spec.paused,
        revision: v
            .canary_rs
            .and_then(|rs| rs.revision())
            .map(str::to_owned)
            .or_else(|| {
                ro.metadata
                    .annotations
                    .get("rollout.argoproj.io/revision")
                    .cloned()
            }),
        step_index: st.current_step_index,
        step_count: ro.spec.strategy.canary.as_ref().map(|c| c.steps.len()),
        current_step: ro.current_step(),
        stable_hash: v.stable_hash.clone(),
        canary_hash: v.canary_hash.clone(),
        stable_image: images(v.stable_template()),
        canary_image: images(v.canary_template(ro)),
        conditions: st
            .conditions
            .iter()
            .map(|c| ConditionFact::new(format!("rollout/condition/{}", c.type_), c))
            .collect(),
        pause_reasons: st
            .pause_conditions
            .iter()
            .map(|p| p.reason.clone())
            .collect(),
        analysis_refs,
        progress_deadline_seconds: ro.spec.progress_deadline_seconds,
        progress_deadline_abort: ro.spec.progress_deadline_abort,
    }
}

/// Runs the status points at, then runs of the canary revision owned by the Rollout.
fn analysis_runs<'a>(ro: &Rollout, objects: &'a ObjectSet, v: &Versions) -> Vec<&'a AnalysisRun> {
    let ns = ro.metadata.namespace_or_default();
    let referenced: BTreeSet<&str> = ro.analysis_run_refs().map(|r| r.name.as_str()).collect();
    let mut runs: Vec<&AnalysisRun> = objects
        .analysis_runs
        .iter()
        .filter(|r| r.metadata.namespace_or_default() == ns)
        .filter(|r| {
            referenced.contains(r.metadata.name.as_str())
                || (r.metadata.is_owned_by(
                    "Rollout",
                    &ro.metadata.name,
                    ro.metadata.uid.as_deref(),
                ) && v.canary_hash.is_some()
                    && r.metadata
                        .labels
                        .get(crate::model::workload::POD_TEMPLATE_HASH)
                        == v.canary_hash.as_ref())
        })
        .collect();
    runs.sort_by_key(|r| {
        (
            !referenced.contains(r.metadata.name.as_str()),
            !r.is_unsuccessful(),
            r.metadata.name.clone(),
        )
    });
    runs
}
