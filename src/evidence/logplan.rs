//! Which container logs the evidence reads, and what the reading covered. A snapshot often
//! holds logs for only some pods, and a live pod may be gone: a pod with no log gives its turn
//! to the next candidate of the same version, so the stable side of the comparison is never
//! empty just because the first pods by name had nothing.

use super::EvidenceConfig;
use super::model::*;
use super::resolve::resolve_versions;
use crate::analysis::logs::{LogMiner, StreamMeta};
use crate::model::Rollout;
use crate::redact::Redactor;
use crate::source::{LogSource, ObjectSet};
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// Pods tried per pod wanted before a version is declared without logs: bounds the reads a
/// large ReplicaSet costs when its logs were not collected.
pub const CANDIDATES_PER_POD: usize = 3;

/// One container log the evidence wants: which instance, and whether its absence is a gap
/// (a container that has run should have a log; a never-started one cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    pub pod: String,
    pub container: String,
    pub role: Role,
    pub previous: bool,
    pub expected: bool,
    /// The pod's place among its version's candidates, best first.
    pub rank: usize,
}

/// Crashing pods first (their previous logs hold the cause), then pods that are not ready,
/// then by name so the choice never depends on listing order.
fn priority(p: &PodFacts) -> (Reverse<i64>, bool, String) {
    let restarts = p.containers.iter().map(|c| c.restart_count).sum::<i64>();
    (Reverse(restarts), p.ready, p.name.clone())
}

/// The logs worth reading, canary then stable, best candidates first: `per_role` pods per
/// version are read, the rest stand in for pods that have no log.
pub fn log_plan(pods: &[PodFacts], per_role: usize) -> Vec<LogRequest> {
    let mut plan = Vec::new();
    for role in [Role::Canary, Role::Stable] {
        let mut chosen: Vec<&PodFacts> = pods.iter().filter(|p| p.role == role).collect();
        chosen.sort_by_key(|p| priority(p));
        let candidates = per_role.saturating_mul(CANDIDATES_PER_POD);
        for (rank, pod) in chosen.into_iter().take(candidates).enumerate() {
            for c in &pod.containers {
                let has_run = !matches!(
                    c.state,
                    ContainerStateFact::Waiting { .. } | ContainerStateFact::Unknown
                ) || c.restart_count > 0;
                let previous = c.restart_count > 0 || c.last_state.is_some();
                for prev in [false, true].into_iter().filter(|p| !p || previous) {
                    plan.push(LogRequest {
                        pod: pod.name.clone(),
                        container: c.name.clone(),
                        role,
                        previous: prev,
                        expected: has_run && !prev,
                        rank,
                    });
                }
            }
        }
    }
    plan
}

/// The log plan for a Rollout straight from objects, for collectors that fetch logs before
/// evidence is built.
pub fn log_plan_for(ro: &Rollout, objects: &ObjectSet, cfg: &EvidenceConfig) -> Vec<LogRequest> {
    let v = resolve_versions(ro, objects);
    let pods: Vec<PodFacts> = v
        .pods(objects, ro.metadata.namespace_or_default())
        .iter()
        .map(|p| super::facts::pod_facts(p, v.role_of_hash(p.pod_template_hash())))
        .collect();
    log_plan(&pods, cfg.log_pods_per_role)
}

/// Per version, the pods a reader still has to find logs for: `per_role` minus the pods that
/// gave one. A live collector fetches rank by rank while this is not zero.
pub fn pods_still_wanted(per_role: usize, read: &BTreeSet<(Role, String)>, role: Role) -> usize {
    per_role.saturating_sub(read.iter().filter(|(r, _)| *r == role).count())
}

pub fn mine_logs(
    pods: &[PodFacts],
    source: &dyn LogSource,
    redactor: &Redactor,
    cfg: &EvidenceConfig,
    gaps: &mut Vec<Gap>,
) -> LogEvidence {
    let per_role = cfg.log_pods_per_role;
    let plan = log_plan(pods, per_role);
    let mut miner = LogMiner::new(cfg.logs.clone());
    let mut read: BTreeSet<(Role, String)> = BTreeSet::new();
    let mut empty: Vec<(Role, String)> = Vec::new();
    let mut i = 0;
    while i < plan.len() {
        let pod_end = plan[i..]
            .iter()
            .position(|r| r.pod != plan[i].pod || r.role != plan[i].role)
            .map_or(plan.len(), |n| i + n);
        let (role, pod) = (plan[i].role, plan[i].pod.clone());
        if pods_still_wanted(per_role, &read, role) > 0 {
            let mut missing = Vec::new();
            let mut any = false;
            for req in &plan[i..pod_end] {
                any |= read_one(&mut miner, source, req, gaps, &mut missing);
            }
            if any {
                read.insert((role, pod));
                gaps.extend(missing);
            } else if plan[i..pod_end].iter().any(|r| r.expected) {
                empty.push((role, pod));
            }
        }
        i = pod_end;
    }
    let mut ev = miner.finish(redactor);
    ev.coverage = coverage(pods, &read, &ev.streams);
    gaps.extend(unread_gaps(&empty, &ev.coverage));
    ev
}

/// Mines one log; true when it had lines (an empty log, rotated away or never written,
/// compares nothing). A missing log that was expected becomes a gap only if its pod is read
/// at all (a pod with no log at all is reported once, by version).
fn read_one(
    miner: &mut LogMiner,
    source: &dyn LogSource,
    req: &LogRequest,
    gaps: &mut Vec<Gap>,
    missing: &mut Vec<Gap>,
) -> bool {
    let what = format!(
        "{}/{}{}",
        req.pod,
        req.container,
        if req.previous { " (previous)" } else { "" }
    );
    match source.open(&req.pod, &req.container, req.previous) {
        Ok(Some(mut reader)) => {
            let meta = StreamMeta {
                pod: req.pod.clone(),
                container: req.container.clone(),
                role: req.role,
                previous: req.previous,
            };
            if let Err(e) = miner.add_stream(meta, &mut reader) {
                gaps.push(Gap::new(
                    "log",
                    &what,
                    &format!("read failed part-way: {e}"),
                ));
            }
            // What was not mined is missing evidence, said in every rendering.
            if let Some(note) = miner.last_stream().and_then(|s| s.cut_note()) {
                gaps.push(Gap::new("log", &what, &note));
            }
            miner.last_stream().is_some_and(|s| s.lines > 0)
        }
        Ok(None) if req.expected => {
            missing.push(Gap::new("log", &what, "no log collected"));
            false
        }
        Ok(None) => false,
        Err(e) => {
            gaps.push(Gap::new("log", &what, &e.to_string()));
            false
        }
    }
}

fn coverage(
    pods: &[PodFacts],
    read: &BTreeSet<(Role, String)>,
    streams: &[LogStream],
) -> Vec<LogCoverage> {
    [Role::Canary, Role::Stable]
        .into_iter()
        .map(|role| LogCoverage {
            role,
            pods: pods.iter().filter(|p| p.role == role).count(),
            pods_read: read.iter().filter(|(r, _)| *r == role).count(),
            lines: streams
                .iter()
                .filter(|s| s.role == role)
                .map(|s| s.lines)
                .sum(),
        })
        .filter(|c| c.pods > 0)
        .collect()
}

/// One gap per version for the pods whose logs were wanted and absent, saying what was read
/// instead, so a thin comparison is visible.
fn unread_gaps(empty: &[(Role, String)], coverage: &[LogCoverage]) -> Vec<Gap> {
    let mut out = Vec::new();
    for c in coverage {
        let names: Vec<&str> = empty
            .iter()
            .filter(|(r, _)| *r == c.role)
            .map(|(_, p)| p.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        let role = if c.role == Role::Canary {
            "canary"
        } else {
            "stable"
        };
        let instead = match c.pods_read {
            0 => format!("no {role} log was read, so nothing can be compared against it"),
            n => format!("read {n} other {role} pod(s) instead"),
        };
        out.push(Gap::new(
            "log",
            &format!("{role} pods"),
            &format!(
                "no log lines collected for {} {role} pod(s) ({}); {instead}",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
#[path = "logplan_tests.rs"]
mod tests;
