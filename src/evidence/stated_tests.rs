use super::*;
use crate::evidence::testing::base;

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> ConditionFact {
    ConditionFact {
        id: format!("rollout/condition/{type_}"),
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
    }
}

fn claims(ev: &Evidence) -> Vec<Claim> {
    statements(ev).into_iter().map(|s| s.claim).collect()
}

fn metric(c: &Claim) -> (&str, Outcome, Option<&str>) {
    match c {
        Claim::Metric { run, assessment } => (
            assessment.metric.as_str(),
            assessment.outcome,
            run.as_deref(),
        ),
        other => panic!("not a metric claim: {other:?}"),
    }
}

#[test]
fn abort_condition_naming_a_metric_with_the_run_from_the_summary() {
    let mut ev = base();
    ev.incident.conditions.push(cond(
        "Progressing",
        "False",
        "RolloutAborted",
        r#"Rollout aborted update to revision 4: Step-based analysis phase error/failed: Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)"#,
    ));
    ev.incident.message = Some(format!(
        "RolloutAborted: {}",
        ev.incident.conditions[0].message.clone().unwrap()
    ));
    ev.incident.analysis_refs.push(AnalysisRef {
        name: "web-7d-4-1".into(),
        status: Some("Failed".into()),
        message: None,
    });
    let all = statements(&ev);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].id, "rollout/condition/Progressing");
    assert_eq!(
        metric(&all[0].claim),
        ("error-rate", Outcome::Failed, Some("web-7d-4-1"))
    );
}

#[test]
fn operator_abort_claims_nothing() {
    let mut ev = base();
    ev.incident.conditions.push(cond(
        "Progressing",
        "False",
        "RolloutAborted",
        "Rollout aborted update to revision 7",
    ));
    ev.incident.message = Some("RolloutAborted: Rollout aborted update to revision 7".into());
    assert!(claims(&ev).is_empty());
}

#[test]
fn deadline_abort_names_the_replica_set() {
    let mut ev = base();
    ev.incident.message = Some(r#"RolloutAborted: Rollout aborted update to revision 3: ReplicaSet "api-5f7" has timed out progressing."#.into());
    assert_eq!(
        claims(&ev),
        vec![Claim::Deadline {
            replica_set: Some("api-5f7".into())
        }]
    );
    assert_eq!(statements(&ev)[0].id, MESSAGE_ID);
}

#[test]
fn deadline_condition_and_message_are_one_claim() {
    let mut ev = base();
    ev.incident.conditions.push(cond(
        "Progressing",
        "False",
        "ProgressDeadlineExceeded",
        r#"ReplicaSet "api-5f7" has timed out progressing."#,
    ));
    ev.incident.message =
        Some(r#"ProgressDeadlineExceeded: ReplicaSet "api-5f7" has timed out progressing."#.into());
    assert_eq!(
        claims(&ev),
        vec![Claim::Deadline {
            replica_set: Some("api-5f7".into())
        }]
    );
}

#[test]
fn invalid_spec_from_the_message_alone() {
    let mut ev = base();
    ev.incident.message = Some("InvalidSpec: The Rollout \"web\" is invalid: spec.strategy.canary.steps[0].setWeight: Invalid value: 120".into());
    match &claims(&ev)[..] {
        [Claim::InvalidSpec { message }] => assert!(message.starts_with("The Rollout")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn old_invalid_spec_reasons_count_by_type() {
    let mut ev = base();
    ev.incident.conditions.push(cond(
        "InvalidSpec",
        "True",
        "SameService",
        "This rollout uses the same service for the active and preview services",
    ));
    assert!(matches!(&claims(&ev)[..], [Claim::InvalidSpec { .. }]));
}

#[test]
fn replica_failure_copied_onto_the_rollout() {
    let mut ev = base();
    ev.incident.conditions.push(cond(
        "ReplicaFailure",
        "True",
        "FailedCreate",
        r#"pods "api-5f7-" is forbidden: exceeded quota: team-a, requested: limits.cpu=2, used: limits.cpu=7, limited: limits.cpu=8"#,
    ));
    match &claims(&ev)[..] {
        [
            Claim::Workload {
                cause: WorkloadCause::CannotCreate,
                message,
            },
        ] => assert!(message.contains("exceeded quota")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn analysis_summary_without_a_message() {
    let mut ev = base();
    ev.incident.analysis_refs.push(AnalysisRef {
        name: "web-pre".into(),
        status: Some("Error".into()),
        message: None,
    });
    ev.incident.analysis_refs.push(AnalysisRef {
        name: "web-bg".into(),
        status: Some("Successful".into()),
        message: None,
    });
    assert_eq!(
        claims(&ev),
        vec![Claim::Analysis {
            run: Some("web-pre".into()),
            outcome: Outcome::Error
        }]
    );
}

#[test]
fn inconclusive_pause() {
    let mut ev = base();
    ev.incident.aborted = false;
    ev.incident
        .pause_reasons
        .push("InconclusiveAnalysisRun".into());
    let all = statements(&ev);
    assert_eq!(all[0].id, "rollout/pause/InconclusiveAnalysisRun");
    assert_eq!(
        all[0].claim,
        Claim::Analysis {
            run: None,
            outcome: Outcome::Inconclusive
        }
    );
}

#[test]
fn events_on_the_rollout_and_its_runs() {
    let mut ev = base();
    let mut e = crate::evidence::testing::event(
        1,
        Role::Other,
        "Warning",
        "MetricFailed",
        "Metric 'p95' Completed. Result: Failed",
        1,
    );
    e.object_kind = "AnalysisRun".into();
    e.object_name = "web-9-1".into();
    e.role = None;
    ev.events.push(e);
    let all = statements(&ev);
    assert_eq!(all[0].id, "event/1");
    assert_eq!(
        metric(&all[0].claim),
        ("p95", Outcome::Failed, Some("web-9-1"))
    );
}

#[test]
fn a_healthy_rollout_states_nothing() {
    let mut ev = base();
    ev.incident.aborted = false;
    ev.incident.conditions.push(cond(
        "Progressing",
        "True",
        "NewReplicaSetAvailable",
        r#"ReplicaSet "api-5f7" has successfully progressed."#,
    ));
    ev.incident.conditions.push(cond(
        "Available",
        "True",
        "AvailableReason",
        "Rollout has minimum availability",
    ));
    ev.incident.pause_reasons.push("CanaryPauseStep".into());
    assert!(claims(&ev).is_empty());
}
