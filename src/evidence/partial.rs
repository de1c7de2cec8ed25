//! Snapshots that hold part of the picture (a Rollout alone, or with one AnalysisRun, a
//! ReplicaSet or a few events): the status fields that speak for missing objects become
//! citable, events on gone objects keep their version, and what is missing is a gap that
//! says how to get it.

use super::model::*;
use super::resolve::Versions;
use super::stated::{MESSAGE_ID, analysis_ref_id, pause_id};
use crate::diagnosis::{EvidenceItem, EvidenceSource};
use crate::redact::Redactor;

/// Status texts are written from untrusted input (provider errors, admission messages):
/// redacted before anything reads or renders them.
pub fn redact_statuses(incident: &mut Incident, events: &mut [EventFact], redactor: &Redactor) {
    let clean = |s: &mut Option<String>| {
        if let Some(t) = s.as_mut() {
            let r = redactor.text(t).into_owned();
            *t = r;
        }
    };
    clean(&mut incident.message);
    for c in &mut incident.conditions {
        clean(&mut c.message);
    }
    for r in &mut incident.analysis_refs {
        clean(&mut r.message);
    }
    for e in events {
        clean(&mut e.message);
    }
}

/// The version of a Pod, ReplicaSet or AnalysisRun that is not in the snapshot, from its
/// name: the controller names ReplicaSets `<rollout>-<hash>`, pods `<rollout>-<hash>-<suffix>`
/// and AnalysisRuns `<rollout>-<hash>-<revision>[-<step>|-pre|-post]`.
pub fn role_by_name(rollout: &str, v: &Versions, kind: &str, name: &str) -> Option<Role> {
    let rest = name.strip_prefix(rollout)?.strip_prefix('-')?;
    let hash = match kind {
        "ReplicaSet" => rest,
        "Pod" => rest.rsplit_once('-').map(|(h, _)| h)?,
        "AnalysisRun" => rest.split_once('-').map(|(h, _)| h)?,
        _ => return None,
    };
    let role = v.role_of_hash(Some(hash));
    (role != Role::Other).then_some(role)
}

/// Gaps a thin snapshot leaves, each with the command that fills it. Only for a Rollout that
/// is not healthy: a healthy one needs no more evidence.
pub fn thin_snapshot_gaps(ev: &Evidence) -> Vec<Gap> {
    if ev.incident.phase == crate::model::Phase::Healthy {
        return Vec::new();
    }
    let collect = format!(
        "run `rollout-doctor collect {}/{} --out <dir>`",
        ev.rollout.namespace, ev.rollout.name
    );
    let mut gaps = Vec::new();
    if !ev.pods.iter().any(|p| p.role == Role::Canary) {
        let what = if ev.pods.is_empty() {
            "no pods in the snapshot"
        } else {
            "no canary pods in the snapshot"
        };
        gaps.push(Gap::new(
            "pod",
            "canary pods",
            &format!("{what}: {collect}"),
        ));
    }
    if ev.events.is_empty() {
        gaps.push(Gap::new(
            "event",
            "events",
            &format!("no events in the snapshot: {collect}"),
        ));
    }
    gaps
}

/// The reason for an AnalysisRun the status names but the snapshot lacks.
pub fn missing_run_reason(ev_ns: &str, rollout: &str, run: &str) -> String {
    format!(
        "AnalysisRun {run} not in the snapshot: run `rollout-doctor collect {ev_ns}/{rollout} --out <dir>`"
    )
}

/// Citable items for the status fields that are not conditions.
pub fn status_items(ev: &Evidence) -> Vec<EvidenceItem> {
    let ro = format!("Rollout/{}", ev.rollout.name);
    let inc = &ev.incident;
    let item = |id: String, ref_: String, text: String| EvidenceItem {
        id,
        source: EvidenceSource::Rollout,
        ref_,
        text,
    };
    let mut out = Vec::new();
    if let Some(m) = inc.message.as_deref().filter(|m| !m.is_empty()) {
        let field = if inc.phase_derived {
            "phase message (derived from conditions)"
        } else {
            "status.message"
        };
        out.push(item(
            MESSAGE_ID.into(),
            format!("{ro} {field}"),
            m.to_owned(),
        ));
    }
    for r in &inc.analysis_refs {
        let status = r.status.as_deref().unwrap_or("no status");
        let text = match r.message.as_deref().filter(|m| !m.is_empty()) {
            Some(m) => format!("AnalysisRun {} {status}: {m}", r.name),
            None => format!("AnalysisRun {} {status}", r.name),
        };
        out.push(item(
            analysis_ref_id(&r.name),
            format!("{ro} status analysis run summary"),
            text,
        ));
    }
    for reason in &inc.pause_reasons {
        out.push(item(
            pause_id(reason),
            format!("{ro} status.pauseConditions"),
            format!("paused: {reason}"),
        ));
    }
    out
}
