use super::*;

fn one(text: &str) -> MetricAssessment {
    let all = metric_assessments(text);
    assert_eq!(all.len(), 1, "{text}: {all:?}");
    all.into_iter().next().unwrap()
}

#[test]
fn v0_lower_case_metric_failed() {
    let a = one(r#"metric "web" assessed Failed due to failed (1) > failureLimit (0)"#);
    assert_eq!((a.metric.as_str(), a.outcome), ("web", Outcome::Failed));
    assert_eq!(a.limit, Some(("failed".into(), 1, 0)));
    assert_eq!(a.provider_message, None);
}

#[test]
fn v1_capitalised_metric_failed_inside_an_abort() {
    let text = r#"RolloutAborted: Rollout aborted update to revision 4: Metric "error-rate" assessed Failed due to failed (3) > failureLimit (2)"#;
    let a = one(text);
    assert_eq!(
        (a.metric.as_str(), a.outcome),
        ("error-rate", Outcome::Failed)
    );
    assert_eq!(a.limit, Some(("failed".into(), 3, 2)));
}

#[test]
fn consecutive_errors_with_the_provider_message() {
    let text = r#"Metric "success-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): "Error Message: reflect: slice index out of range""#;
    let a = one(text);
    assert_eq!(a.outcome, Outcome::Error);
    assert_eq!(a.limit, Some(("consecutiveErrors".into(), 5, 4)));
    assert_eq!(
        a.provider_message.as_deref(),
        Some("reflect: slice index out of range")
    );
}

#[test]
fn inconclusive_limit() {
    let a = one(
        r#"Metric "latency" assessed Inconclusive due to inconclusive (2) > inconclusiveLimit (1)"#,
    );
    assert_eq!(a.outcome, Outcome::Inconclusive);
    assert_eq!(a.limit, Some(("inconclusive".into(), 2, 1)));
}

#[test]
fn json_escaped_quotes_and_truncated_sentences() {
    let a = one(
        r#"Rollout aborted update to revision 26: Step-based analysis phase error/failed: Metric \"canary-p95\" assessed Failed due to failed (2) > failureLim…"#,
    );
    assert_eq!(
        (a.metric.as_str(), a.outcome),
        ("canary-p95", Outcome::Failed)
    );
    let bare = one(r#"Metric "health-probe" assessed Error"#);
    assert_eq!((bare.outcome, bare.limit), (Outcome::Error, None));
}

#[test]
fn analysis_run_events() {
    let a = one("Metric 'canary-error-rate' Completed. Result: Failed");
    assert_eq!(
        (a.metric.as_str(), a.outcome),
        ("canary-error-rate", Outcome::Failed)
    );
    assert!(metric_assessments("Metric 'x' Completed. Result: Successful").is_empty());
}

#[test]
fn dry_run_and_unrelated_text_name_no_metric() {
    assert!(
        metric_assessments("Metric assessed Failed due to failed (1) > failureLimit (0)")
            .is_empty()
    );
    assert!(metric_assessments("Rollout aborted update to revision 3").is_empty());
    assert!(metric_assessments("").is_empty());
}

#[test]
fn the_same_verdict_twice_is_one() {
    let text = "Metric \"e\" assessed Failed\nRolloutAborted: Metric \"e\" assessed Failed due to failed (1) > failureLimit (0)";
    assert_eq!(one(text).limit, Some(("failed".into(), 1, 0)));
}

#[test]
fn abort_shapes() {
    let op = abort_text("RolloutAborted: Rollout aborted update to revision 7").unwrap();
    assert_eq!(
        (op.revision.as_deref(), op.origin, op.detail),
        (Some("7"), None, None)
    );

    let step = abort_text(r#"Rollout aborted update to revision 3: Step-based analysis phase error/failed: Metric "cpu" assessed Failed due to failed (1) > failureLimit (0)"#).unwrap();
    assert_eq!(step.origin, Some(AnalysisOrigin::Step));
    assert!(step.detail.unwrap().starts_with("Metric \"cpu\""));

    let bg = abort_text(
        "Rollout aborted update to revision 2:\nBackground analysis phase error/failed: x",
    )
    .unwrap();
    assert_eq!(bg.origin, Some(AnalysisOrigin::Background));
    let pre = abort_text("Rollout aborted update to revision 11: Blue/green pre-promotion analysis phase error/failed:").unwrap();
    assert_eq!(
        (pre.origin, pre.detail),
        (Some(AnalysisOrigin::PrePromotion), None)
    );
    let post = abort_text("Rollout aborted update to revision 11: Blue/green post-promotion analysis phase error/failed: y").unwrap();
    assert_eq!(post.origin, Some(AnalysisOrigin::PostPromotion));

    let deadline = abort_text(
        r#"Rollout aborted update to revision 5: ReplicaSet "api-7f9c" has timed out progressing."#,
    )
    .unwrap();
    assert_eq!(
        deadline_text(deadline.detail.as_deref().unwrap()),
        Some(Some("api-7f9c".into()))
    );

    assert_eq!(
        abort_text("Rollout is aborted").map(|a| a.detail),
        Some(None)
    );
    assert!(abort_text("Rollout is paused").is_none());
}

#[test]
fn deadline_shapes() {
    assert_eq!(
        deadline_text(r#"ReplicaSet "web-5d9f" has timed out progressing."#),
        Some(Some("web-5d9f".into()))
    );
    assert_eq!(
        deadline_text(r#"Rollout "web" has timed out progressing."#),
        Some(None)
    );
    assert_eq!(deadline_text("ProgressDeadlineExceeded: "), Some(None));
    assert_eq!(
        deadline_text(r#"ReplicaSet "web-5d9f" has successfully progressed."#),
        None
    );
}

#[test]
fn workload_causes() {
    let cases = [
        (
            r#"pods "api-6b7d-" is forbidden: exceeded quota: team-a, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi"#,
            WorkloadCause::CannotCreate,
        ),
        (
            r#"admission webhook "validate.kyverno.svc-fail" denied the request: require-requests-limits"#,
            WorkloadCause::CannotCreate,
        ),
        (
            r#"pods "web-1" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true"#,
            WorkloadCause::CannotCreate,
        ),
        (
            r#"pods "web-" is forbidden: error looking up service account shop/web-sa: serviceaccount "web-sa" not found"#,
            WorkloadCause::CannotCreate,
        ),
        (
            "0/3 nodes are available: 3 Insufficient memory.",
            WorkloadCause::Unschedulable,
        ),
        (
            "Back-off pulling image \"registry.example.com/api:2.0\": ErrImagePull",
            WorkloadCause::ImagePull,
        ),
        (
            "Failed to pull image \"x\": rpc error: code = NotFound desc = manifest unknown",
            WorkloadCause::ImagePull,
        ),
        (
            r#"Error: secret "db-creds" not found"#,
            WorkloadCause::ConfigMissing,
        ),
        (
            r#"ReplicaSet.apps "web-5d9f" is invalid: spec.template.spec.containers[0].image: Required value"#,
            WorkloadCause::InvalidObject,
        ),
        ("Container app was OOMKilled", WorkloadCause::OutOfMemory),
    ];
    for (text, want) in cases {
        assert_eq!(workload_cause(text), Some(want), "{text}");
    }
    assert_eq!(workload_cause("Rollout is paused"), None);
    assert_eq!(
        workload_cause(r#"ReplicaSet "web-5d9f" is progressing."#),
        None
    );
}
