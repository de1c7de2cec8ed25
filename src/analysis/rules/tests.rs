//! Table tests over hand-built evidence: each case adds facts to a base incident and names
//! the category (and rule) that must decide.

use super::*;
use crate::evidence::testing::*;
use crate::evidence::*;

pub(super) struct Case {
    pub name: &'static str,
    pub build: fn(&mut Evidence),
    pub category: Category,
    pub action: &'static str,
}

#[test]
fn rules_table() {
    let cases = [
        Case {
            name: "OOM beats the crash loop it causes",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("OOMKilled", 137)),
                    4,
                ));
                e.spec_diff.changes.push(change(
                    "resources.limits.memory",
                    ChangeKind::Changed,
                    "512Mi",
                    "256Mi",
                ));
            },
            category: Category::OomKilled,
            action: "raise_memory_limit",
        },
        Case {
            name: "image pull",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("ImagePullBackOff"),
                    None,
                    0,
                ));
                e.spec_diff
                    .changes
                    .push(change("image", ChangeKind::Changed, "app:1", "app:2"));
            },
            category: Category::ImagePull,
            action: "revert_image",
        },
        Case {
            name: "CreateContainerConfigError with the lost env var",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CreateContainerConfigError"),
                    None,
                    0,
                ));
                e.events.push(event(
                    1,
                    Role::Canary,
                    "Warning",
                    "Failed",
                    "Error: secret \"db\" not found",
                    5,
                ));
                e.spec_diff
                    .changes
                    .push(change("env.DB_PASSWORD", ChangeKind::Changed, "", ""));
            },
            category: Category::ConfigMissing,
            action: "restore_env",
        },
        Case {
            name: "app reports a missing env var in its previous log",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("Error", 1)),
                    3,
                ));
                e.logs.findings.push(log(
                    1,
                    LogClass::NewInCanary,
                    LogLevel::Fatal,
                    "FATAL: environment variable PAYMENTS_URL is not set",
                    3,
                    0,
                    true,
                ));
                e.spec_diff.changes.push(change(
                    "env.PAYMENTS_URL",
                    ChangeKind::Removed,
                    "http://payments",
                    "",
                ));
            },
            category: Category::ConfigMissing,
            action: "restore_env",
        },
        Case {
            name: "panic with a new image",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("Error", 2)),
                    5,
                ));
                e.logs.findings.push(log(
                    1,
                    LogClass::NewInCanary,
                    LogLevel::Fatal,
                    "panic: runtime error: invalid memory address or nil pointer dereference",
                    5,
                    0,
                    true,
                ));
                e.spec_diff
                    .changes
                    .push(change("image", ChangeKind::Changed, "app:1", "app:2"));
            },
            category: Category::CrashLoop,
            action: "revert_image",
        },
        Case {
            name: "persistent readiness failures after a probe change",
            build: |e| {
                e.pods.push(pod(Role::Canary, false, running(), None, 0));
                e.events.push(event(
                    1,
                    Role::Canary,
                    "Warning",
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 404",
                    40,
                ));
                e.spec_diff.changes.push(change(
                    "readinessProbe",
                    ChangeKind::Changed,
                    "/healthz",
                    "/health",
                ));
            },
            category: Category::ProbeFailure,
            action: "fix_probe",
        },
        Case {
            name: "one warm-up probe failure does not hide a measured regression",
            build: |e| {
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.events.push(event(
                    1,
                    Role::Canary,
                    "Warning",
                    "Unhealthy",
                    "Readiness probe failed: connection refused",
                    1,
                ));
                e.analysis
                    .push(metric("Failed", &["[0.21]", "[0.19]"], "prometheus"));
            },
            category: Category::MetricRegression,
            action: "investigate_regression",
        },
        Case {
            name: "NaN measurements are an analysis error",
            build: |e| {
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.analysis
                    .push(metric("Failed", &["[NaN]", "[]"], "prometheus"));
            },
            category: Category::AnalysisError,
            action: "fix_analysis_query",
        },
        Case {
            name: "a crashing canary explains the broken analysis",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("Error", 1)),
                    6,
                ));
                e.analysis.push(metric("Error", &[""], "prometheus"));
            },
            category: Category::CrashLoop,
            action: "investigate",
        },
        Case {
            name: "new connection errors in the canary only",
            build: |e| {
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.logs.streams.extend([stable_logs(), canary_logs()]);
                e.logs.findings.push(log(
                    1,
                    LogClass::NewInCanary,
                    LogLevel::Error,
                    "dial tcp 10.0.4.2:5432: connect: connection refused",
                    120,
                    0,
                    false,
                ));
                e.analysis.push(metric("Failed", &["[0.3]"], "prometheus"));
            },
            category: Category::DependencyFailure,
            action: "check_dependency",
        },
        Case {
            name: "the same connection errors in stable are noise",
            build: |e| {
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.logs.streams.push(stable_logs());
                e.logs.findings.push(log(
                    1,
                    LogClass::Error,
                    LogLevel::Error,
                    "dial tcp 10.0.4.2:5432: connect: connection refused",
                    3,
                    4,
                    false,
                ));
                e.analysis.push(metric("Failed", &["[0.3]"], "prometheus"));
            },
            category: Category::MetricRegression,
            action: "investigate_regression",
        },
        Case {
            name: "aborted with a healthy canary",
            build: |e| {
                e.incident
                    .conditions
                    .push(condition("RolloutAborted", "Progressing"));
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
            },
            category: Category::ManualAbort,
            action: "none",
        },
        Case {
            name: "deadline with nothing more specific",
            build: |e| {
                e.incident.aborted = false;
                e.incident
                    .conditions
                    .push(condition("ProgressDeadlineExceeded", "Progressing"));
            },
            category: Category::ProgressDeadline,
            action: "investigate",
        },
        Case {
            name: "invalid spec",
            build: |e| {
                e.incident.conditions.push(ConditionFact {
                    status: "True".into(),
                    ..condition("InvalidSpec", "InvalidSpec")
                })
            },
            category: Category::InvalidSpec,
            action: "fix_spec",
        },
        Case {
            name: "unschedulable",
            build: |e| {
                let mut p = pod(Role::Canary, false, waiting("ContainerCreating"), None, 0);
                p.phase = Some("Pending".into());
                e.pods.push(p);
                e.events.push(event(
                    1,
                    Role::Canary,
                    "Warning",
                    "FailedScheduling",
                    "0/3 nodes are available: 3 Insufficient memory.",
                    12,
                ));
            },
            category: Category::Unschedulable,
            action: "fix_scheduling",
        },
        Case {
            name: "stale FailedScheduling on a running canary is not the cause",
            build: |e| {
                e.incident.aborted = false;
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.events.push(event(
                    1,
                    Role::Canary,
                    "Warning",
                    "FailedScheduling",
                    "0/3 nodes are available",
                    1,
                ));
            },
            category: Category::Unknown,
            action: "investigate",
        },
        Case {
            name: "a dry-run metric failing decides nothing",
            build: |e| {
                e.incident.aborted = false;
                let mut run = metric("Failed", &["[0.5]"], "prometheus");
                run.metrics[0].dry_run = true;
                e.analysis.push(run);
            },
            category: Category::Unknown,
            action: "investigate",
        },
        Case {
            name: "problems of the stable version are not the canary's",
            build: |e| {
                e.incident.aborted = false;
                e.pods.push(pod(
                    Role::Stable,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("OOMKilled", 137)),
                    9,
                ));
            },
            category: Category::Unknown,
            action: "investigate",
        },
    ];
    check(cases);
}

/// Runs a table: every case must decide its category and action and cite only real evidence.
pub(super) fn check(cases: impl IntoIterator<Item = Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let mut ev = base();
        (case.build)(&mut ev);
        let out = classify(&ev);
        let d = &out.decision;
        if d.category != case.category || d.action.name() != case.action {
            failures.push(format!(
                "{}: expected {}/{}, got {}/{} ({})",
                case.name,
                case.category,
                case.action,
                d.category,
                d.action.name(),
                d.rule
            ));
        }
        assert!((0.0..=1.0).contains(&d.confidence), "{}", case.name);
        let ids: Vec<String> = ev.items().into_iter().map(|i| i.id).collect();
        for id in &d.evidence {
            assert!(ids.contains(id), "{}: cites missing {id}", case.name);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn decision_and_alternatives_are_disjoint_and_ordered() {
    let mut ev = base();
    ev.pods.push(pod(
        Role::Canary,
        false,
        waiting("CrashLoopBackOff"),
        Some(terminated("OOMKilled", 137)),
        4,
    ));
    ev.incident
        .conditions
        .push(condition("ProgressDeadlineExceeded", "Progressing"));
    let out = classify(&ev);
    assert_eq!(out.decision.category, Category::OomKilled);
    let alts: Vec<Category> = out.alternatives.iter().map(|f| f.category).collect();
    assert!(
        alts.contains(&Category::CrashLoop) && alts.contains(&Category::ProgressDeadline),
        "{alts:?}"
    );
    assert!(!alts.contains(&Category::OomKilled));
    assert!(
        out.alternatives
            .windows(2)
            .all(|w| w[0].confidence >= w[1].confidence)
    );
}

#[test]
fn memory_suggestion_restores_a_lowered_limit_or_grows_by_half() {
    let mut ev = base();
    ev.pods.push(pod(
        Role::Canary,
        false,
        waiting("CrashLoopBackOff"),
        Some(terminated("OOMKilled", 137)),
        4,
    ));
    let suggested = |ev: &Evidence| match classify(ev).decision.action {
        Action::RaiseMemoryLimit { suggested, .. } => suggested,
        other => panic!("{other:?}"),
    };
    assert_eq!(suggested(&ev).as_deref(), Some("384Mi"));
    ev.spec_diff.changes.push(change(
        "resources.limits.memory",
        ChangeKind::Changed,
        "1Gi",
        "256Mi",
    ));
    assert_eq!(suggested(&ev).as_deref(), Some("1Gi"));
}
