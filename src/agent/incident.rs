//! When a Rollout has an incident, and which one: pure functions over the Rollout and its
//! AnalysisRuns, so the watch loop, restarts and replicas all agree on the same key.
//!
//! One incident per (Rollout uid, canary pod-template hash, revision): a Rollout that stays
//! Degraded or flaps keeps its key; a new revision that fails again gets a new one.

use crate::model::workload::POD_TEMPLATE_HASH;
use crate::model::{AnalysisRun, Phase, Rollout, rollout_phase};
use std::fmt;

const REVISION: &str = "rollout.argoproj.io/revision";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentKey {
    pub rollout_uid: String,
    pub canary_hash: String,
    pub revision: String,
}

/// Where the Rollout of an incident lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RolloutName {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for RolloutName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `status.abort` or a RolloutAborted condition.
    Aborted,
    /// Degraded for another reason (ProgressDeadlineExceeded, InvalidSpec).
    Degraded(String),
    /// An AnalysisRun of the canary ended Failed or Error before the abort landed.
    AnalysisFailed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub key: IncidentKey,
    pub rollout: RolloutName,
    pub trigger: Trigger,
}

impl IncidentKey {
    /// A DNS-1123 name for the durable record: readable, and unique per incident because
    /// the hash and revision are in it (the uid hash keeps recreated Rollouts apart).
    pub fn record_name(&self, rollout: &str) -> String {
        let uid_tag: String = self
            .rollout_uid
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(6)
            .collect();
        let suffix = format!(
            "-r{}-{}-{}",
            sanitize(&self.revision),
            sanitize(&self.canary_hash),
            uid_tag.to_lowercase()
        );
        let room = 253usize.saturating_sub(suffix.len()).min(63);
        let mut base = sanitize(rollout);
        base.truncate(room);
        format!("{}{suffix}", base.trim_end_matches('-'))
    }
}

fn sanitize(s: &str) -> String {
    let mapped: String = s
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = mapped.trim_matches('-');
    if trimmed.is_empty() {
        "x".into()
    } else {
        trimmed.to_owned()
    }
}

/// The incident a Rollout is in, if any.
pub fn from_rollout(ro: &Rollout) -> Option<Incident> {
    let phase = rollout_phase(ro);
    let aborted = ro.status.abort
        || ro
            .status
            .conditions
            .iter()
            .any(|c| c.reason.as_deref() == Some("RolloutAborted"));
    let failed_run = ro
        .analysis_run_refs()
        .find(|r| matches!(r.status.as_deref(), Some("Failed" | "Error")))
        .map(|r| r.name.clone());
    let trigger = if aborted {
        Trigger::Aborted
    } else if phase.phase == Phase::Degraded {
        Trigger::Degraded(phase.message.unwrap_or_default())
    } else if let Some(run) = failed_run {
        Trigger::AnalysisFailed(run)
    } else {
        return None;
    };
    Some(Incident {
        key: IncidentKey {
            rollout_uid: ro.metadata.uid.clone().unwrap_or_default(),
            canary_hash: ro.canary_hash().unwrap_or("none").to_owned(),
            revision: ro
                .metadata
                .annotations
                .get(REVISION)
                .cloned()
                .unwrap_or_else(|| "0".into()),
        },
        rollout: RolloutName {
            namespace: ro.metadata.namespace_or_default().to_owned(),
            name: ro.metadata.name.clone(),
        },
        trigger,
    })
}

/// An AnalysisRun that failed before its Rollout noticed: keyed like the Rollout's own
/// incident (owner uid, the run's pod-template hash and revision) so the abort that follows
/// is the same incident.
pub fn from_analysis_run(run: &AnalysisRun) -> Option<Incident> {
    if !matches!(run.phase(), "Failed" | "Error")
        || run
            .metadata
            .labels
            .get("rollout-type")
            .is_some_and(|t| t == "Experiment")
    {
        return None;
    }
    let owner = run
        .metadata
        .owner_references
        .iter()
        .find(|o| o.kind == "Rollout")?;
    Some(Incident {
        key: IncidentKey {
            rollout_uid: owner.uid.clone().unwrap_or_default(),
            canary_hash: run.metadata.labels.get(POD_TEMPLATE_HASH)?.clone(),
            revision: run.metadata.annotations.get(REVISION)?.clone(),
        },
        rollout: RolloutName {
            namespace: run.metadata.namespace_or_default().to_owned(),
            name: owner.name.clone(),
        },
        trigger: Trigger::AnalysisFailed(run.metadata.name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(status: &str) -> Rollout {
        let yaml = format!(
            "metadata: {{name: checkout, namespace: shop, uid: 1234-abcd, annotations: {{rollout.argoproj.io/revision: '7'}}}}\nspec: {{strategy: {{canary: {{}}}}}}\nstatus: {status}\n"
        );
        serde_yaml_ng::from_str(&yaml).unwrap()
    }

    #[test]
    fn triggers() {
        let healthy = rollout("{currentPodHash: aaa, stableRS: aaa, phase: Healthy}");
        assert_eq!(from_rollout(&healthy), None);
        let aborted = rollout("{currentPodHash: bbb, stableRS: aaa, abort: true}");
        let i = from_rollout(&aborted).unwrap();
        assert_eq!(i.trigger, Trigger::Aborted);
        assert_eq!(
            i.key,
            IncidentKey {
                rollout_uid: "1234-abcd".into(),
                canary_hash: "bbb".into(),
                revision: "7".into()
            }
        );
        let deadline = rollout(
            "{currentPodHash: bbb, stableRS: aaa, conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded, message: slow}]}",
        );
        assert_eq!(
            from_rollout(&deadline).unwrap().trigger,
            Trigger::Degraded("ProgressDeadlineExceeded: slow".into())
        );
        let run_failed = rollout(
            "{currentPodHash: bbb, stableRS: aaa, canary: {currentStepAnalysisRunStatus: {name: run-1, status: Failed}}}",
        );
        assert_eq!(
            from_rollout(&run_failed).unwrap().trigger,
            Trigger::AnalysisFailed("run-1".into())
        );
        let paused = rollout(
            "{currentPodHash: bbb, stableRS: aaa, pauseConditions: [{reason: CanaryPauseStep}]}",
        );
        assert_eq!(from_rollout(&paused), None);
    }

    #[test]
    fn the_same_failure_seen_twice_or_after_the_abort_keeps_its_key() {
        let before = from_rollout(&rollout("{currentPodHash: bbb, stableRS: aaa, canary: {currentStepAnalysisRunStatus: {name: run-1, status: Failed}}}")).unwrap();
        let after = from_rollout(&rollout(
            "{currentPodHash: bbb, stableRS: aaa, abort: true, phase: Degraded}",
        ))
        .unwrap();
        assert_eq!(before.key, after.key);
        let run: AnalysisRun = serde_yaml_ng::from_str(
            "metadata: {name: run-1, namespace: shop, labels: {rollouts-pod-template-hash: bbb}, annotations: {rollout.argoproj.io/revision: '7'}, ownerReferences: [{kind: Rollout, name: checkout, uid: 1234-abcd}]}\nstatus: {phase: Failed}\n",
        )
        .unwrap();
        assert_eq!(from_analysis_run(&run).unwrap().key, after.key);
        let next_revision = rollout("{currentPodHash: ccc, stableRS: aaa, abort: true}");
        assert_ne!(from_rollout(&next_revision).unwrap().key, after.key);
    }

    #[test]
    fn record_names_are_valid_and_distinct() {
        let k = IncidentKey {
            rollout_uid: "1234-ABCD-ef".into(),
            canary_hash: "6d8f7c9b5".into(),
            revision: "12".into(),
        };
        assert_eq!(k.record_name("checkout"), "checkout-r12-6d8f7c9b5-1234ab");
        let long = "a".repeat(300);
        let name = k.record_name(&long);
        assert!(
            name.len() <= 253 && name.ends_with("-r12-6d8f7c9b5-1234ab"),
            "{name}"
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        let other = IncidentKey {
            revision: "13".into(),
            ..k.clone()
        };
        assert_ne!(other.record_name("checkout"), k.record_name("checkout"));
    }
}
