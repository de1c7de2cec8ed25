//! Builders of hand-made evidence for unit tests of the pure layers.

use super::model::*;
use crate::model::Phase;

pub fn base() -> Evidence {
    Evidence {
        rollout: RolloutRef {
            namespace: "shop".into(),
            name: "checkout".into(),
            uid: None,
        },
        incident: Incident {
            strategy: Strategy::Canary,
            phase: Phase::Degraded,
            phase_derived: false,
            reported_phase: None,
            message: None,
            aborted: true,
            aborted_at: None,
            spec_paused: false,
            revision: Some("2".into()),
            step_index: Some(1),
            step_count: Some(4),
            current_step: None,
            stable_hash: Some("s".into()),
            canary_hash: Some("c".into()),
            stable_image: vec!["app:1".into()],
            canary_image: vec!["app:2".into()],
            conditions: vec![],
            pause_reasons: vec![],
            analysis_refs: vec![],
            progress_deadline_seconds: Some(600),
            progress_deadline_abort: false,
        },
        analysis: vec![],
        spec_diff: SpecDiff {
            compared: true,
            note: None,
            changes: vec![],
        },
        pods: vec![],
        events: vec![],
        logs: LogEvidence::default(),
        gaps: vec![],
        truncation: Truncation::default(),
    }
}

pub fn condition(reason: &str, type_: &str) -> ConditionFact {
    ConditionFact {
        id: format!("rollout/condition/{type_}"),
        type_: type_.into(),
        status: "False".into(),
        reason: Some(reason.into()),
        message: Some("m".into()),
    }
}

pub fn pod(
    role: Role,
    ready: bool,
    state: ContainerStateFact,
    last: Option<ContainerStateFact>,
    restarts: i64,
) -> PodFacts {
    let name = format!(
        "checkout-{}-1",
        if role == Role::Canary { "c" } else { "s" }
    );
    PodFacts {
        id: format!("pod/{name}"),
        name: name.clone(),
        role,
        hash: None,
        phase: Some(
            if matches!(state, ContainerStateFact::Waiting { .. }) && restarts == 0 {
                "Pending"
            } else {
                "Running"
            }
            .into(),
        ),
        ready,
        node: None,
        conditions: vec![],
        containers: vec![ContainerFacts {
            id: format!("pod/{name}/app"),
            name: "app".into(),
            init: false,
            image: None,
            ready,
            restart_count: restarts,
            state,
            last_state: last,
            memory_limit: Some("256Mi".into()),
            sidecar: false,
        }],
    }
}

pub fn waiting(reason: &str) -> ContainerStateFact {
    ContainerStateFact::Waiting {
        reason: Some(reason.into()),
        message: None,
    }
}

pub fn terminated(reason: &str, code: i64) -> ContainerStateFact {
    ContainerStateFact::Terminated {
        reason: Some(reason.into()),
        exit_code: Some(code),
        signal: None,
        message: None,
    }
}

pub fn running() -> ContainerStateFact {
    ContainerStateFact::Running { started_at: None }
}

pub fn event(
    n: usize,
    role: Role,
    type_: &str,
    reason: &str,
    message: &str,
    count: i64,
) -> EventFact {
    EventFact {
        id: format!("event/{n}"),
        object_kind: "Pod".into(),
        object_name: "checkout-c-1".into(),
        role: Some(role),
        type_: Some(type_.into()),
        reason: Some(reason.into()),
        message: Some(message.into()),
        count,
        last_seen: None,
    }
}

pub fn metric(phase: &str, values: &[&str], provider: &str) -> AnalysisRunFacts {
    AnalysisRunFacts {
        id: "analysis/run".into(),
        name: "run".into(),
        phase: phase.into(),
        message: Some("metric \"errors\" assessed Failed".into()),
        metrics: vec![MetricFacts {
            id: "analysis/run/errors".into(),
            name: "errors".into(),
            provider: provider.into(),
            query: Some("sum(rate(x[5m]))".into()),
            phase: phase.into(),
            message: None,
            success_condition: Some("result[0] < 0.05".into()),
            failure_condition: None,
            failure_limit: Some("1".into()),
            inconclusive_limit: None,
            consecutive_error_limit: None,
            count: values.len() as i64,
            successful: 0,
            failed: values.len() as i64,
            inconclusive: 0,
            error: 0,
            consecutive_error: 0,
            dry_run: false,
            measurements: values
                .iter()
                .map(|v| MeasurementFact {
                    phase: phase.into(),
                    value: Some((*v).into()),
                    message: None,
                    started_at: None,
                })
                .collect(),
            dropped_measurements: 0,
        }],
    }
}

pub fn log(
    n: usize,
    class: LogClass,
    level: LogLevel,
    line: &str,
    canary: u64,
    stable: u64,
    previous: bool,
) -> LogFinding {
    LogFinding {
        id: format!("log/{n}"),
        class,
        level,
        template: line.into(),
        example: line.into(),
        canary_count: canary,
        stable_count: stable,
        streams: vec!["checkout-c-1/app".into()],
        previous,
    }
}

pub fn stable_logs() -> LogStream {
    LogStream {
        pod: "checkout-s-1".into(),
        container: "app".into(),
        role: Role::Stable,
        previous: false,
        lines: 500,
        bytes: 50_000,
        truncated_lines: 0,
        invalid_utf8_lines: 0,
        binary: false,
        capped: false,
        skipped_lines: 0,
        tail_lines: 0,
        rest_unread: false,
    }
}

/// A canary log as long as `stable_logs()`: a line the canary logs often would show there too.
pub fn canary_logs() -> LogStream {
    LogStream {
        pod: "checkout-c-1".into(),
        role: Role::Canary,
        ..stable_logs()
    }
}

pub fn change(field: &str, kind: ChangeKind, stable: &str, canary: &str) -> SpecChange {
    let v = |s: &str| (!s.is_empty()).then(|| serde_json::Value::String(s.into()));
    SpecChange {
        id: format!("spec/app/{field}"),
        container: Some("app".into()),
        field: field.into(),
        kind,
        stable: v(stable),
        canary: v(canary),
    }
}
