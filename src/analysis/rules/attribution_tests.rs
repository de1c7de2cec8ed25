//! Whose evidence decides: sidecars against the app container, noise the stable version
//! shares, and who aborted the rollout.

use super::tests::{Case, check};
use crate::diagnosis::Category;
use crate::evidence::testing::*;
use crate::evidence::*;

/// A canary pod whose app container is in `state` beside a running, ready istio-proxy.
fn meshed_canary(
    e: &mut Evidence,
    state: ContainerStateFact,
    last: Option<ContainerStateFact>,
    restarts: i64,
) {
    let mut p = pod(Role::Canary, false, state, last, restarts);
    let mut proxy = p.containers[0].clone();
    proxy.id = format!("{}/istio-proxy", p.id);
    proxy.name = "istio-proxy".into();
    proxy.ready = true;
    proxy.restart_count = 0;
    proxy.state = running();
    proxy.last_state = None;
    proxy.sidecar = true;
    p.containers.insert(0, proxy);
    e.pods.push(p);
}

fn proxy_log(n: usize, line: &str) -> LogFinding {
    let mut f = log(
        n,
        LogClass::NewInCanary,
        LogLevel::Error,
        line,
        40,
        0,
        false,
    );
    f.streams = vec!["checkout-c-1/istio-proxy".into()];
    f
}

#[test]
fn attribution_table() {
    check([
        Case {
            name: "a proxy refused by the app's own port is the app's start error",
            build: |e| {
                e.logs.streams.push(stable_logs());
                let start_error = ContainerStateFact::Terminated {
                    reason: Some("StartError".into()),
                    exit_code: Some(128),
                    signal: None,
                    message: None,
                };
                meshed_canary(e, waiting("CrashLoopBackOff"), Some(start_error), 4);
                e.logs.findings.push(proxy_log(1, "error\tRequest to probe app failed: Get \"http://localhost:8080/ready\": dial tcp 127.0.0.1:8080: connect: connection refused"));
                e.spec_diff
                    .changes
                    .push(change("image", ChangeKind::Changed, "app:1", "app:2"));
            },
            category: Category::CrashLoop,
            action: "revert_image",
        },
        Case {
            name: "envoy's inbound 503s while a startup probe on the old port fails",
            build: |e| {
                e.logs.streams.push(stable_logs());
                meshed_canary(e, running(), None, 0);
                e.logs.findings.push(proxy_log(1, "\"GET /api HTTP/1.1\" 503 UF upstream connect error or disconnect/reset before headers \"10.244.1.7:8080\" inbound|8080|| 127.0.0.6:41234"));
                e.events.push(event(1, Role::Canary, "Warning", "Unhealthy", "Startup probe failed: Get \"http://10.244.1.7:8080/startup\": dial tcp 10.244.1.7:8080: connect: connection refused", 30));
            },
            category: Category::ProbeFailure,
            action: "fix_probe",
        },
        Case {
            name: "a proxy that cannot reach a remote dependency beside a healthy app still names it",
            build: |e| {
                e.incident.aborted = false;
                e.logs.streams.extend([stable_logs(), canary_logs()]);
                meshed_canary(e, running(), None, 0);
                e.pods[0].ready = true;
                e.pods[0].containers[1].ready = true;
                e.logs.findings.push(proxy_log(1, "upstream connect error to payments.prod.svc.cluster.local:8443: connection refused"));
                e.analysis.push(metric("Failed", &["[0.3]"], "prometheus"));
            },
            category: Category::DependencyFailure,
            action: "check_dependency",
        },
        Case {
            name: "a dependency line absent from a thin stable sample does not beat a measured regression",
            build: |e| {
                let mut thin = stable_logs();
                thin.lines = 20;
                let mut canary = canary_logs();
                canary.lines = 600;
                e.logs.streams.extend([thin, canary]);
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.logs.findings.push(log(
                    1,
                    LogClass::NewInCanary,
                    LogLevel::Warn,
                    "recommendations: read ECONNRESET",
                    30,
                    0,
                    false,
                ));
                e.analysis.push(metric("Failed", &["[0.91]"], "prometheus"));
            },
            category: Category::MetricRegression,
            action: "investigate_regression",
        },
        Case {
            name: "without stable logs, the dependency error a crashed instance died of decides",
            build: |e| {
                e.pods.push(pod(
                    Role::Canary,
                    false,
                    waiting("CrashLoopBackOff"),
                    Some(terminated("Error", 1)),
                    5,
                ));
                e.logs.findings.push(log(
                    1,
                    LogClass::Error,
                    LogLevel::Fatal,
                    "FATAL: could not connect to orders-db.shop.svc:5432: connection refused",
                    5,
                    0,
                    true,
                ));
            },
            category: Category::DependencyFailure,
            action: "check_dependency",
        },
        Case {
            name: "a dependency error the stable version logs at the same rate is noise",
            build: |e| {
                e.logs.streams.push(stable_logs());
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
                e.logs.findings.push(log(
                    1,
                    LogClass::Error,
                    LogLevel::Error,
                    "read tcp 10.0.0.4:4312->10.96.0.9:8080: read: connection reset by peer",
                    6,
                    11,
                    false,
                ));
                e.analysis.push(metric("Failed", &["[0.91]"], "prometheus"));
            },
            category: Category::MetricRegression,
            action: "investigate_regression",
        },
    ]);
}

#[test]
fn abort_provenance_table() {
    check([
        Case {
            name: "progressDeadlineAbort, a generic abort and a canary that never got ready",
            build: |e| {
                e.incident.progress_deadline_abort = true;
                e.incident
                    .conditions
                    .push(condition("RolloutAborted", "Progressing"));
                e.pods.push(pod(Role::Canary, false, running(), None, 0));
            },
            category: Category::ProgressDeadline,
            action: "investigate",
        },
        Case {
            name: "progressDeadlineAbort but a healthy canary: the operator aborted",
            build: |e| {
                e.incident.progress_deadline_abort = true;
                e.incident
                    .conditions
                    .push(condition("RolloutAborted", "Progressing"));
                e.pods.push(pod(Role::Canary, true, running(), None, 0));
            },
            category: Category::ManualAbort,
            action: "none",
        },
        Case {
            name: "the deadline sentence as a RolloutAborted event",
            build: |e| {
                e.incident
                    .conditions
                    .push(condition("RolloutAborted", "Progressing"));
                e.pods.push(pod(Role::Canary, false, running(), None, 0));
                let mut ev = event(
                    1,
                    Role::Canary,
                    "Warning",
                    "RolloutAborted",
                    "ReplicaSet \"checkout-c\" has timed out progressing.",
                    1,
                );
                ev.object_kind = "Rollout".into();
                ev.object_name = "checkout".into();
                e.events.push(ev);
            },
            category: Category::ProgressDeadline,
            action: "investigate",
        },
        Case {
            name: "an operator abort without progressDeadlineAbort stays manual",
            build: |e| {
                e.incident
                    .conditions
                    .push(condition("RolloutAborted", "Progressing"));
                e.pods.push(pod(Role::Canary, false, running(), None, 0));
            },
            category: Category::ManualAbort,
            action: "none",
        },
    ]);
}

#[test]
fn a_probe_left_on_a_port_the_canary_moved_away_from_is_named() {
    let mut e = base();
    e.pods.push(pod(Role::Canary, false, running(), None, 0));
    e.events.push(event(1, Role::Canary, "Warning", "Unhealthy", "Startup probe failed: Get \"http://10.0.0.7:8080/startup\": dial tcp 10.0.0.7:8080: connect: connection refused", 40));
    let mut ports = change("ports", ChangeKind::Changed, "", "");
    ports.stable = Some(serde_json::json!([{"containerPort": 8080, "name": "http"}]));
    ports.canary = Some(serde_json::json!([{"containerPort": 9090, "name": "http"}]));
    e.spec_diff.changes.push(ports);
    let d = super::classify(&e).decision;
    assert_eq!(d.category, Category::ProbeFailure);
    assert!(
        d.summary.contains("no longer exposes port 8080"),
        "{}",
        d.summary
    );
    assert!(
        d.evidence.contains(&"spec/app/ports".to_owned()),
        "{:?}",
        d.evidence
    );
    assert!(d.confidence >= 0.9, "{}", d.confidence);
}

#[test]
fn without_pods_the_backoff_event_names_the_crashing_container() {
    let mut e = base();
    e.incident.aborted = false;
    e.events.push(event(
        1,
        Role::Canary,
        "Warning",
        "BackOff",
        "Back-off restarting failed container worker in pod checkout-c-1_shop(0b1f)",
        12,
    ));
    let d = super::classify(&e).decision;
    assert_eq!(d.category, Category::CrashLoop);
    assert_eq!(d.summary, "Canary container worker keeps crashing");
}
