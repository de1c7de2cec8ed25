//! Rollout phase as the Argo controller computes it (`CalculateRolloutPhase`), for statuses
//! that predate `status.phase` (v0.x) or carry a stale one.

use super::rollout::{Rollout, StrategyKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Phase {
    Healthy,
    Progressing,
    Paused,
    Degraded,
}

impl Phase {
    fn parse(s: &str) -> Option<Phase> {
        match s {
            "Healthy" => Some(Phase::Healthy),
            "Progressing" => Some(Phase::Progressing),
            "Paused" => Some(Phase::Paused),
            "Degraded" => Some(Phase::Degraded),
            _ => None,
        }
    }
}

/// Condition reasons that make the controller call a Rollout Degraded.
pub const REASON_ABORTED: &str = "RolloutAborted";
pub const REASON_DEADLINE: &str = "ProgressDeadlineExceeded";
pub const CONDITION_INVALID_SPEC: &str = "InvalidSpec";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseReport {
    pub phase: Phase,
    pub message: Option<String>,
    /// The phase the status printed, when it differs from (or is missing beside) the derived one.
    pub reported: Option<String>,
    pub derived: bool,
}

pub fn rollout_phase(ro: &Rollout) -> PhaseReport {
    let (phase, message) = derive(ro);
    let reported = ro.status.phase.as_deref();
    match reported.and_then(Phase::parse) {
        // A printed phase is trusted unless the conditions prove it stale: a Degraded
        // condition always wins, as it does on the controller's next reconcile.
        Some(p) if p == phase || phase != Phase::Degraded => PhaseReport {
            phase: p,
            message: ro
                .status
                .message
                .clone()
                .filter(|m| !m.is_empty())
                .or(message),
            reported: None,
            derived: false,
        },
        _ => PhaseReport {
            phase,
            message,
            reported: reported.map(str::to_owned),
            derived: true,
        },
    }
}

fn derive(ro: &Rollout) -> (Phase, Option<String>) {
    let (phase, msg) = base_phase(ro);
    if matches!(phase, Phase::Progressing | Phase::Healthy) {
        if ro.spec.paused {
            return (Phase::Paused, Some("manually paused".into()));
        }
        if let Some(pc) = ro.status.pause_conditions.first() {
            return (Phase::Paused, Some(pc.reason.clone()));
        }
    }
    (phase, msg)
}

fn base_phase(ro: &Rollout) -> (Phase, Option<String>) {
    let st = &ro.status;
    for c in &st.conditions {
        if c.type_ == CONDITION_INVALID_SPEC {
            return (
                Phase::Degraded,
                Some(prefixed(CONDITION_INVALID_SPEC, &c.message)),
            );
        }
        if let Some(reason @ (REASON_ABORTED | REASON_DEADLINE)) = c.reason.as_deref() {
            return (Phase::Degraded, Some(prefixed(reason, &c.message)));
        }
    }
    let observed = st
        .observed_generation
        .as_deref()
        .and_then(|g| g.parse::<i64>().ok());
    if let (Some(gen_), Some(obs)) = (ro.metadata.generation, observed)
        && gen_ != obs
    {
        return progressing("waiting for rollout spec update to be observed");
    }
    let desired = ro.spec.replicas.unwrap_or(1);
    let updated = st.updated_replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    if updated < desired {
        return progressing("more replicas need to be updated");
    }
    if available < updated {
        return progressing("updated replicas are still becoming available");
    }
    match ro.strategy_kind() {
        StrategyKind::BlueGreen => {
            if st.blue_green.active_selector.is_none()
                || st.blue_green.active_selector != st.current_pod_hash
            {
                return progressing("active service cutover pending");
            }
        }
        StrategyKind::Canary => {
            if st.replicas.unwrap_or(0) > updated {
                return progressing("old replicas are pending termination");
            }
            if st.stable_rs.is_none() || st.stable_rs != st.current_pod_hash {
                return progressing("waiting for all steps to complete");
            }
        }
        StrategyKind::Unknown => {}
    }
    (Phase::Healthy, None)
}

fn progressing(msg: &str) -> (Phase, Option<String>) {
    (Phase::Progressing, Some(msg.to_owned()))
}

fn prefixed(prefix: &str, message: &Option<String>) -> String {
    format!("{prefix}: {}", message.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::meta::Condition;

    fn rollout(yaml: &str) -> Rollout {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    fn cond(type_: &str, reason: &str, msg: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: "False".into(),
            reason: Some(reason.into()),
            message: Some(msg.into()),
            ..Default::default()
        }
    }

    const CANARY: &str = "spec: {replicas: 2, strategy: {canary: {steps: [{setWeight: 20}]}}}\n";

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            edit: fn(&mut Rollout),
            phase: Phase,
            msg: Option<&'static str>,
        }
        let cases = [
            Case {
                name: "aborted condition",
                edit: |r| {
                    r.status
                        .conditions
                        .push(cond("Progressing", "RolloutAborted", "metric failed"))
                },
                phase: Phase::Degraded,
                msg: Some("RolloutAborted: metric failed"),
            },
            Case {
                name: "deadline",
                edit: |r| {
                    r.status.conditions.push(cond(
                        "Progressing",
                        "ProgressDeadlineExceeded",
                        "too slow",
                    ))
                },
                phase: Phase::Degraded,
                msg: Some("ProgressDeadlineExceeded: too slow"),
            },
            Case {
                name: "invalid spec beats everything",
                edit: |r| {
                    r.spec.paused = true;
                    r.status
                        .conditions
                        .push(cond("InvalidSpec", "InvalidSpec", "bad selector"));
                },
                phase: Phase::Degraded,
                msg: Some("InvalidSpec: bad selector"),
            },
            Case {
                name: "pause condition",
                edit: |r| {
                    r.status
                        .pause_conditions
                        .push(crate::model::rollout::PauseCondition {
                            reason: "CanaryPauseStep".into(),
                            start_time: None,
                        })
                },
                phase: Phase::Paused,
                msg: Some("CanaryPauseStep"),
            },
            Case {
                name: "spec paused",
                edit: |r| r.spec.paused = true,
                phase: Phase::Paused,
                msg: Some("manually paused"),
            },
            Case {
                name: "not all updated",
                edit: |r| r.status.updated_replicas = Some(1),
                phase: Phase::Progressing,
                msg: Some("more replicas need to be updated"),
            },
            Case {
                name: "healthy",
                edit: |r| {
                    r.status.updated_replicas = Some(2);
                    r.status.available_replicas = Some(2);
                    r.status.replicas = Some(2);
                    r.status.stable_rs = Some("abc".into());
                    r.status.current_pod_hash = Some("abc".into());
                },
                phase: Phase::Healthy,
                msg: None,
            },
            Case {
                name: "stale printed phase loses to abort condition",
                edit: |r| {
                    r.status.phase = Some("Progressing".into());
                    r.status
                        .conditions
                        .push(cond("Progressing", "RolloutAborted", "x"));
                },
                phase: Phase::Degraded,
                msg: Some("RolloutAborted: x"),
            },
        ];
        for case in cases {
            let mut r = rollout(CANARY);
            (case.edit)(&mut r);
            let got = rollout_phase(&r);
            assert_eq!(got.phase, case.phase, "{}", case.name);
            assert_eq!(got.message.as_deref(), case.msg, "{}", case.name);
        }
    }

    #[test]
    fn printed_phase_is_trusted_when_consistent() {
        let mut r = rollout(CANARY);
        r.status.phase = Some("Paused".into());
        r.status.message = Some("CanaryPauseStep".into());
        let got = rollout_phase(&r);
        assert_eq!((got.phase, got.derived), (Phase::Paused, false));
    }
}
