//! The three statistical judges — pod health, logs, metrics — and how their findings combine
//! into one verdict. Combination fails closed: a judge that could not decide makes the whole
//! answer undecided, never a pass.

use super::prometheus::{Prometheus, render};
use super::request::{Checked, MetricQuery, Outcome, QueryDirection, QueryKind, prom_duration};
use super::score::{self, Direction, MetricInput, MetricKind, MetricResult, MetricSpec};
use crate::agent::collect::Collector;
use crate::evidence::{EvidenceConfig, LogClass, LogLevel, build_evidence};
use crate::model::workload::POD_TEMPLATE_HASH;
use crate::redact::Redactor;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

pub use super::combine::combine;

/// What a non-metric judge concluded.
#[derive(Debug, Clone)]
pub struct Gate {
    pub outcome: Outcome,
    pub category: &'static str,
    pub reasons: Vec<String>,
    /// Context that did not decide anything (e.g. new warning templates), for the reviewer
    /// only; never part of the answer.
    pub notes: Vec<String>,
}

impl Gate {
    pub fn new(outcome: Outcome, category: &'static str, reasons: Vec<String>) -> Gate {
        Gate {
            outcome,
            category,
            reasons,
            notes: Vec::new(),
        }
    }
    fn pass(category: &'static str, reason: String) -> Gate {
        Gate::new(Outcome::Pass, category, vec![reason])
    }
    fn undecided(category: &'static str, reason: String) -> Gate {
        Gate::new(Outcome::Inconclusive, category, vec![reason])
    }
}

#[derive(Default)]
struct RoleHealth {
    pods: usize,
    not_ready: usize,
    restarts: i64,
    crashing: Vec<String>,
}

/// Canary restarts, crashes and readiness against stable's, from the pods of both hashes.
pub async fn pod_health(client: &kube::Client, ns: &str, canary: &str, stable: &str) -> Gate {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let selector = format!("{POD_TEMPLATE_HASH} in ({canary},{stable})");
    let pods = match api.list(&ListParams::default().labels(&selector)).await {
        Ok(list) => list.items,
        Err(e) => return Gate::undecided("internal", format!("pod health: cannot list pods: {e}")),
    };
    let (mut c, mut s) = (RoleHealth::default(), RoleHealth::default());
    for pod in &pods {
        let hash = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(POD_TEMPLATE_HASH))
            .map(String::as_str);
        let role = match hash {
            Some(h) if h == canary => &mut c,
            Some(h) if h == stable => &mut s,
            _ => continue,
        };
        tally(role, pod);
    }
    if c.pods == 0 {
        return Gate::undecided(
            "no_canary_pods",
            format!("pod health: no pods with {POD_TEMPLATE_HASH}={canary}"),
        );
    }
    if !c.crashing.is_empty() {
        return Gate::new(
            Outcome::Fail,
            "pod_health",
            vec![format!(
                "pod health: canary crashing: {}",
                c.crashing.join(", ")
            )],
        );
    }
    let per_pod = |r: &RoleHealth| r.restarts as f64 / r.pods.max(1) as f64;
    // One restart can be a node event; two or more, and more often than stable, is the version.
    if c.restarts >= 2 && per_pod(&c) > per_pod(&s) {
        let why = format!(
            "pod health: canary restarted {} times over {} pods (stable {} over {})",
            c.restarts, c.pods, s.restarts, s.pods
        );
        return Gate::new(Outcome::Fail, "pod_health", vec![why]);
    }
    let not_ready = |r: &RoleHealth| r.not_ready as f64 / r.pods.max(1) as f64;
    if c.not_ready > 0 && not_ready(&c) > not_ready(&s) {
        return Gate::undecided(
            "pod_health",
            format!(
                "pod health: {} of {} canary pods not ready",
                c.not_ready, c.pods
            ),
        );
    }
    Gate::pass(
        "pod_health",
        format!(
            "pod health: {} canary pods ready, {} restarts",
            c.pods, c.restarts
        ),
    )
}

fn tally(role: &mut RoleHealth, pod: &Pod) {
    role.pods += 1;
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    if !ready {
        role.not_ready += 1;
    }
    for cs in status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
    {
        role.restarts += i64::from(cs.restart_count);
        let waiting = cs
            .state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref());
        if matches!(
            waiting,
            Some(
                "CrashLoopBackOff"
                    | "CreateContainerConfigError"
                    | "ImagePullBackOff"
                    | "ErrImagePull"
            )
        ) {
            let name = pod.metadata.name.as_deref().unwrap_or("?");
            role.crashing.push(format!(
                "{name}/{} {}",
                cs.name,
                waiting.unwrap_or_default()
            ));
        }
    }
}

/// New or much more frequent error templates in the canary's logs, via the core's log diff.
pub async fn logs(
    collector: &Collector,
    redactor: &Redactor,
    cfg: &EvidenceConfig,
    ns: &str,
    rollout: &str,
) -> Gate {
    let collection = match collector.collect(ns, rollout).await {
        Ok(c) => c,
        Err(e) => return Gate::undecided("internal", format!("logs: {e}")),
    };
    let ev = build_evidence(
        &collection.rollout,
        &collection.objects,
        &collection.logs,
        redactor,
        cfg,
    );
    let canary_only = || {
        ev.logs.findings.iter().filter(|f| {
            matches!(
                f.class,
                LogClass::NewInCanary | LogClass::MoreFrequentInCanary
            )
        })
    };
    let how = |f: &crate::evidence::LogFinding| {
        if f.class == LogClass::NewInCanary {
            "new"
        } else {
            "more frequent"
        }
    };
    // A real (redacted) line reads better than its template: `KeyError: 'SENDGRID_API_KEY'`
    // names the missing key that `KeyError: '<*>'` masks.
    let bad: Vec<String> = canary_only()
        .filter(|f| matches!(f.level, LogLevel::Fatal | LogLevel::Error))
        .take(3)
        .map(|f| {
            format!(
                "logs: {} in canary ({}× vs {}×): {}",
                how(f),
                f.canary_count,
                f.stable_count,
                if f.example.is_empty() {
                    &f.template
                } else {
                    &f.example
                }
            )
        })
        .collect();
    // Everything the canary logs that stable does not, at any level: what a reviewer may
    // weigh that the error-only rule does not (the templates are redacted already).
    let notes = canary_only()
        .take(8)
        .map(|f| {
            format!(
                "logs: {} {:?} template in canary ({}× vs {}×): {}",
                how(f),
                f.level,
                f.canary_count,
                f.stable_count,
                f.template
            )
        })
        .collect();
    let mut gate = if bad.is_empty() {
        let streams = ev.logs.streams.len();
        Gate::pass(
            "logs",
            format!("logs: no new error templates in canary ({streams} streams read)"),
        )
    } else {
        Gate::new(Outcome::Fail, "logs", bad)
    };
    gate.notes = notes;
    gate
}

/// Every requested metric, canary against stable, judged by the stats.
pub async fn metrics(
    prom: &Prometheus,
    checked: &Checked,
    canary: &str,
    stable: &str,
    end: f64,
    alpha: f64,
) -> Vec<MetricResult> {
    let jobs = checked.req.metrics.iter().map(|m| async move {
        let input = fetch(prom, checked, m, canary, stable, end).await;
        score::judge_metric(&spec(m), &input, alpha)
    });
    futures::future::join_all(jobs).await
}

fn spec(m: &MetricQuery) -> MetricSpec {
    let kind = match m.kind {
        QueryKind::Continuous => MetricKind::Continuous,
        QueryKind::Rate => MetricKind::Rate,
    };
    MetricSpec {
        name: m.name.clone(),
        group: m.group.clone().unwrap_or_else(|| m.name.clone()),
        direction: match m.direction.unwrap_or(QueryDirection::Increase) {
            QueryDirection::Increase => Direction::Increase,
            QueryDirection::Decrease => Direction::Decrease,
            QueryDirection::Either => Direction::Either,
        },
        kind,
        allowed_increase_pct: m.allowed_increase_pct.unwrap_or(10.0),
        critical: m.critical.unwrap_or(false),
        // Points for a continuous metric; requests (the total) for a rate.
        min_samples: m.min_samples.unwrap_or(match m.kind {
            QueryKind::Continuous => 10,
            QueryKind::Rate => 100,
        }),
        weight: m.weight.unwrap_or(1.0),
    }
}

async fn fetch(
    prom: &Prometheus,
    checked: &Checked,
    m: &MetricQuery,
    canary: &str,
    stable: &str,
    end: f64,
) -> MetricInput {
    let window = prom_duration(checked.window);
    let step = prom_duration(checked.step);
    let start = end - checked.window.as_secs_f64();
    let q = |t: &str, h: &str| render(t, h, &window, &step);
    let missing = |reason: String| MetricInput::Missing { reason };
    match m.kind {
        QueryKind::Continuous => {
            let t = m.query.as_deref().unwrap_or_default();
            let (qc, qs) = (q(t, canary), q(t, stable));
            let (c, s) = tokio::join!(
                prom.range(&qc, start, end, checked.step),
                prom.range(&qs, start, end, checked.step)
            );
            match (c, s) {
                (Err(e), _) | (_, Err(e)) => missing(e.to_string()),
                (Ok(c), _) if c.is_empty() => missing("no canary samples".into()),
                (_, Ok(s)) if s.is_empty() => missing("no stable samples".into()),
                (Ok(canary), Ok(stable)) => MetricInput::Continuous { canary, stable },
            }
        }
        QueryKind::Rate => {
            let (e, t) = (
                m.errors_query.as_deref().unwrap_or_default(),
                m.total_query.as_deref().unwrap_or_default(),
            );
            let (qce, qct, qse, qst) = (q(e, canary), q(t, canary), q(e, stable), q(t, stable));
            let (ce, ct, se, st) = tokio::join!(
                prom.instant_sum(&qce, end),
                prom.instant_sum(&qct, end),
                prom.instant_sum(&qse, end),
                prom.instant_sum(&qst, end),
            );
            match (ce, ct, se, st) {
                (Err(x), ..) | (_, Err(x), ..) | (_, _, Err(x), _) | (.., Err(x)) => {
                    missing(x.to_string())
                }
                (_, Ok(None), ..) => missing("no canary traffic (total query empty)".into()),
                (.., Ok(None)) => missing("no stable traffic (total query empty)".into()),
                // A counter of errors that never fired has no series at all: zero events.
                (Ok(ce), Ok(Some(ct)), Ok(se), Ok(Some(st))) => MetricInput::Rate {
                    canary_events: ce.unwrap_or(0.0),
                    canary_total: ct,
                    stable_events: se.unwrap_or(0.0),
                    stable_total: st,
                },
            }
        }
    }
}
