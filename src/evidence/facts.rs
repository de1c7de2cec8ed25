//! Object → fact conversions: pods, events and AnalysisRuns as the evidence model holds them.

use super::model::*;
use super::resolve::Versions;
use crate::model::workload::{ContainerState, ContainerStatus};
use crate::model::{AnalysisRun, Event, Pod, Rollout};
use crate::redact::Redactor;
use crate::source::ObjectSet;

pub fn pod_facts(pod: &Pod, role: Role) -> PodFacts {
    let name = &pod.metadata.name;
    let status_of = |c: &str, init: bool| {
        let list = if init {
            &pod.status.init_container_statuses
        } else {
            &pod.status.container_statuses
        };
        list.iter().find(|s| s.name == c)
    };
    let specs = pod
        .spec
        .init_containers
        .iter()
        .map(|c| (c, true))
        .chain(pod.spec.containers.iter().map(|c| (c, false)));
    let mut containers: Vec<ContainerFacts> = specs
        .map(|(c, init)| {
            container_facts(
                name,
                &c.name,
                init,
                c.image.clone(),
                c.resources.limits.get("memory").cloned(),
                status_of(&c.name, init),
            )
        })
        .collect();
    // Statuses for containers the spec did not list (a trimmed snapshot) are still facts.
    for (s, init) in pod
        .status
        .init_container_statuses
        .iter()
        .map(|s| (s, true))
        .chain(pod.status.container_statuses.iter().map(|s| (s, false)))
    {
        if !containers.iter().any(|c| c.name == s.name) {
            containers.push(container_facts(
                name,
                &s.name,
                init,
                s.image.clone(),
                None,
                Some(s),
            ));
        }
    }
    let annotated = pod
        .metadata
        .annotations
        .get(super::sidecar::DEFAULT_CONTAINER);
    super::sidecar::mark_sidecars(&mut containers, annotated.map(String::as_str));
    PodFacts {
        id: format!("pod/{name}"),
        name: name.clone(),
        role,
        hash: pod.pod_template_hash().map(str::to_owned),
        phase: pod.status.phase.clone(),
        ready: pod
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.is_true()),
        node: pod.spec.node_name.clone(),
        conditions: pod
            .status
            .conditions
            .iter()
            .filter(|c| !c.is_true())
            .map(|c| ConditionFact::new(format!("pod/{name}/condition/{}", c.type_), c))
            .collect(),
        containers,
    }
}

fn container_facts(
    pod: &str,
    name: &str,
    init: bool,
    image: Option<String>,
    memory_limit: Option<String>,
    status: Option<&ContainerStatus>,
) -> ContainerFacts {
    ContainerFacts {
        id: format!("pod/{pod}/{name}"),
        name: name.to_owned(),
        init,
        image: status.and_then(|s| s.image.clone()).or(image),
        ready: status.is_some_and(|s| s.ready),
        restart_count: status.map_or(0, |s| s.restart_count),
        state: status.map_or(ContainerStateFact::Unknown, |s| state_fact(&s.state)),
        last_state: status
            .map(|s| state_fact(&s.last_state))
            .filter(|s| *s != ContainerStateFact::Unknown),
        memory_limit,
        sidecar: false,
    }
}

fn state_fact(s: &ContainerState) -> ContainerStateFact {
    if let Some(t) = &s.terminated {
        ContainerStateFact::Terminated {
            reason: t.reason.clone(),
            exit_code: t.exit_code,
            signal: t.signal,
            message: t.message.clone(),
        }
    } else if let Some(w) = &s.waiting {
        ContainerStateFact::Waiting {
            reason: w.reason.clone(),
            message: w.message.clone(),
        }
    } else if let Some(r) = &s.running {
        ContainerStateFact::Running {
            started_at: r.started_at.clone(),
        }
    } else {
        ContainerStateFact::Unknown
    }
}

/// Events on the Rollout, its ReplicaSets, its pods and its AnalysisRuns; Warnings first,
/// then newest first, so a budget cut drops old Normal events.
pub fn events(
    ro: &Rollout,
    objects: &ObjectSet,
    v: &Versions,
    pods: &[&Pod],
    runs: &[&AnalysisRun],
    ns: &str,
) -> Vec<EventFact> {
    // Objects the snapshot lacks still belong to a version the status names by hash.
    let by_name = |e: &Event| {
        super::partial::role_by_name(
            &ro.metadata.name,
            v,
            &e.involved_object.kind,
            &e.involved_object.name,
        )
    };
    let role_of = |e: &Event| -> Option<Role> {
        let name = e.involved_object.name.as_str();
        match e.involved_object.kind.as_str() {
            "Pod" => pods
                .iter()
                .find(|p| p.metadata.name == name)
                .map(|p| v.role_of_hash(p.pod_template_hash())),
            "ReplicaSet" => v
                .all_rs
                .iter()
                .find(|rs| rs.metadata.name == name)
                .map(|rs| v.role_of_hash(rs.pod_template_hash())),
            _ => None,
        }
    };
    let concerns = |e: &Event| -> bool {
        let o = &e.involved_object;
        let name = o.name.as_str();
        match o.kind.as_str() {
            "Rollout" => name == ro.metadata.name,
            "AnalysisRun" => runs.iter().any(|r| r.metadata.name == name) || by_name(e).is_some(),
            // Pods may be gone (an aborted canary is scaled to zero) while their events remain:
            // a pod name is its ReplicaSet's name plus a suffix.
            "Pod" => {
                pods.iter().any(|p| p.metadata.name == name)
                    || v.all_rs.iter().any(|rs| {
                        name.strip_prefix(rs.metadata.name.as_str())
                            .is_some_and(|s| s.starts_with('-'))
                    })
                    || by_name(e).is_some()
            }
            "ReplicaSet" => {
                v.all_rs.iter().any(|rs| rs.metadata.name == name) || by_name(e).is_some()
            }
            _ => false,
        }
    };
    let mut picked: Vec<&Event> = objects
        .events
        .iter()
        .filter(|e| {
            e.involved_object
                .namespace
                .as_deref()
                .or(e.metadata.namespace.as_deref())
                .unwrap_or("default")
                == ns
        })
        .filter(|e| concerns(e))
        .collect();
    picked.sort_by(|a, b| {
        b.is_warning()
            .cmp(&a.is_warning())
            .then_with(|| b.last_seen().cmp(&a.last_seen()))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    picked
        .into_iter()
        .enumerate()
        .map(|(i, e)| EventFact {
            id: format!("event/{}", i + 1),
            object_kind: e.involved_object.kind.clone(),
            object_name: e.involved_object.name.clone(),
            role: role_of(e)
                .or_else(|| {
                    // A gone pod's role follows from the ReplicaSet its name extends.
                    (e.involved_object.kind == "Pod").then(|| {
                        v.all_rs
                            .iter()
                            .find(|rs| {
                                e.involved_object
                                    .name
                                    .starts_with(&format!("{}-", rs.metadata.name))
                            })
                            .map(|rs| v.role_of_hash(rs.pod_template_hash()))
                    })?
                })
                .or_else(|| by_name(e)),
            type_: e.type_.clone(),
            reason: e.reason.clone(),
            message: e.message.clone(),
            count: e.occurrences(),
            last_seen: e.last_seen().map(str::to_owned),
        })
        .collect()
}

pub fn analysis_run(run: &AnalysisRun, keep: usize, redactor: &Redactor) -> AnalysisRunFacts {
    let name = &run.metadata.name;
    let unsuccessful: Vec<_> = run
        .status
        .metric_results
        .iter()
        .filter(|m| {
            !matches!(
                m.phase.as_deref(),
                Some("Successful") | Some("Running") | Some("Pending")
            )
        })
        .collect();
    let shown: Vec<_> = if unsuccessful.is_empty() {
        run.status.metric_results.iter().collect()
    } else {
        unsuccessful
    };
    let clean = |s: &Option<String>| s.as_deref().map(|s| redactor.line(s).into_owned());
    AnalysisRunFacts {
        id: format!("analysis/{name}"),
        name: name.clone(),
        phase: run.phase().to_owned(),
        message: clean(&run.status.message),
        metrics: shown
            .into_iter()
            .map(|m| {
                let spec = run.metric(&m.name);
                let skip = m.measurements.len().saturating_sub(keep);
                MetricFacts {
                    id: format!("analysis/{name}/{}", m.name),
                    name: m.name.clone(),
                    provider: spec.map_or("unknown", |s| s.provider_kind()).to_owned(),
                    query: spec
                        .and_then(|s| s.provider_query())
                        .map(|q| redactor.line(&q).into_owned()),
                    phase: m.phase.clone().unwrap_or_else(|| "Unknown".into()),
                    message: clean(&m.message),
                    success_condition: spec.and_then(|s| s.success_condition.clone()),
                    failure_condition: spec.and_then(|s| s.failure_condition.clone()),
                    failure_limit: spec.and_then(|s| s.failure_limit.clone()),
                    inconclusive_limit: spec.and_then(|s| s.inconclusive_limit.clone()),
                    consecutive_error_limit: spec.and_then(|s| s.consecutive_error_limit.clone()),
                    count: m.count,
                    successful: m.successful,
                    failed: m.failed,
                    inconclusive: m.inconclusive,
                    error: m.error,
                    consecutive_error: m.consecutive_error,
                    dry_run: m.dry_run,
                    measurements: m.measurements[skip..]
                        .iter()
                        .map(|x| MeasurementFact {
                            phase: x.phase.clone().unwrap_or_else(|| "Unknown".into()),
                            value: x.value.clone(),
                            message: clean(&x.message),
                            started_at: x.started_at.clone(),
                        })
                        .collect(),
                    dropped_measurements: skip,
                }
            })
            .collect(),
    }
}
