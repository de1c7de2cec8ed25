//! The citable index: every fact with an id, rendered as the exact text a reader checks.

use super::model::*;
use crate::diagnosis::{EvidenceItem, EvidenceSource};

/// The spec flag that lets the controller abort on its own at the deadline.
pub const DEADLINE_ABORT_ID: &str = "rollout/spec/progressDeadlineAbort";

impl Evidence {
    /// Every citable fact, in evidence order.
    pub fn items(&self) -> Vec<EvidenceItem> {
        let mut out = Vec::new();
        let ro = format!("Rollout/{}", self.rollout.name);
        for c in &self.incident.conditions {
            out.push(item(
                &c.id,
                EvidenceSource::Rollout,
                &format!("{ro} condition {}", c.type_),
                condition_text(c),
            ));
        }
        if self.incident.progress_deadline_abort {
            let deadline = self.incident.progress_deadline_seconds.map_or_else(
                || " (default 600s)".to_owned(),
                |s| format!(", progressDeadlineSeconds: {s}"),
            );
            out.push(item(
                DEADLINE_ABORT_ID,
                EvidenceSource::Rollout,
                &format!("{ro} spec"),
                format!("progressDeadlineAbort: true{deadline}"),
            ));
        }
        out.extend(super::partial::status_items(self));
        for run in &self.analysis {
            let ref_ = format!("AnalysisRun/{}", run.name);
            let text = match &run.message {
                Some(m) => format!("{}: {m}", run.phase),
                None => run.phase.clone(),
            };
            out.push(item(&run.id, EvidenceSource::Analysis, &ref_, text));
            for m in &run.metrics {
                out.push(item(
                    &m.id,
                    EvidenceSource::Analysis,
                    &format!("{ref_} metric {} ({})", m.name, m.provider),
                    metric_text(m),
                ));
            }
        }
        for p in &self.pods {
            let ref_ = format!("Pod/{} ({})", p.name, role_name(p.role));
            let phase = p.phase.as_deref().unwrap_or("phase unknown");
            let ready = if p.ready { "ready" } else { "not ready" };
            out.push(item(
                &p.id,
                EvidenceSource::Pod,
                &ref_,
                format!("{phase}, {ready}"),
            ));
            for c in &p.conditions {
                out.push(item(&c.id, EvidenceSource::Pod, &ref_, condition_text(c)));
            }
            for c in &p.containers {
                out.push(item(
                    &c.id,
                    EvidenceSource::Pod,
                    &format!("{ref_} container {}", c.name),
                    container_text(c),
                ));
            }
        }
        for e in &self.events {
            let ref_ = format!(
                "Event {} on {}/{}{}",
                e.reason.as_deref().unwrap_or("?"),
                e.object_kind,
                e.object_name,
                if e.count > 1 {
                    format!(" (x{})", e.count)
                } else {
                    String::new()
                }
            );
            out.push(item(
                &e.id,
                EvidenceSource::Event,
                &ref_,
                e.message.clone().unwrap_or_default(),
            ));
        }
        for f in &self.logs.findings {
            let ref_ = format!(
                "log {} ({} in canary, {} in stable)",
                f.streams.first().map(String::as_str).unwrap_or("?"),
                f.canary_count,
                f.stable_count
            );
            out.push(item(&f.id, EvidenceSource::Log, &ref_, f.example.clone()));
        }
        for c in &self.spec_diff.changes {
            let ref_ = match &c.container {
                Some(name) => format!("pod template, container {name}"),
                None => "pod template".to_owned(),
            };
            out.push(item(&c.id, EvidenceSource::Spec, &ref_, spec_text(c)));
        }
        out
    }

    pub fn item(&self, id: &str) -> Option<EvidenceItem> {
        self.items().into_iter().find(|i| i.id == id)
    }
}

fn item(id: &str, source: EvidenceSource, ref_: &str, text: String) -> EvidenceItem {
    EvidenceItem {
        id: id.to_owned(),
        source,
        ref_: ref_.to_owned(),
        text,
    }
}

pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Canary => "canary",
        Role::Stable => "stable",
        Role::Other => "older revision",
    }
}

fn condition_text(c: &ConditionFact) -> String {
    let mut s = format!("{}={}", c.type_, c.status);
    if let Some(r) = &c.reason {
        s.push_str(&format!(" {r}"));
    }
    if let Some(m) = c.message.as_deref().filter(|m| !m.is_empty()) {
        s.push_str(&format!(": {m}"));
    }
    s
}

fn metric_text(m: &MetricFacts) -> String {
    let mut s = format!("{} {}", m.name, m.phase);
    if let Some(msg) = &m.message {
        s.push_str(&format!(": {msg}"));
    }
    let values: Vec<&str> = m
        .measurements
        .iter()
        .filter_map(|x| x.value.as_deref())
        .collect();
    if !values.is_empty() {
        s.push_str(&format!("; values {}", values.join(", ")));
    }
    if let Some(last) = m
        .measurements
        .iter()
        .rev()
        .find_map(|x| x.message.as_deref())
    {
        s.push_str(&format!("; last error: {last}"));
    }
    for (label, cond) in [
        ("successCondition", &m.success_condition),
        ("failureCondition", &m.failure_condition),
    ] {
        if let Some(c) = cond {
            s.push_str(&format!("; {label} {c}"));
        }
    }
    s
}

pub fn state_text(s: &ContainerStateFact) -> String {
    let with = |kind: &str, reason: &Option<String>, message: &Option<String>| {
        let mut t = kind.to_owned();
        if let Some(r) = reason {
            t.push_str(&format!(" {r}"));
        }
        if let Some(m) = message.as_deref().filter(|m| !m.is_empty()) {
            t.push_str(&format!(": {}", m.trim()));
        }
        t
    };
    match s {
        ContainerStateFact::Waiting { reason, message } => with("Waiting", reason, message),
        ContainerStateFact::Running { .. } => "Running".into(),
        ContainerStateFact::Terminated {
            reason,
            exit_code,
            message,
            ..
        } => {
            let mut t = with("Terminated", reason, &None);
            if let Some(code) = exit_code {
                t.push_str(&format!(" (exit code {code})"));
            }
            if let Some(m) = message.as_deref().filter(|m| !m.is_empty()) {
                t.push_str(&format!(": {}", m.trim()));
            }
            t
        }
        ContainerStateFact::Unknown => "no status".into(),
    }
}

fn container_text(c: &ContainerFacts) -> String {
    let mut s = state_text(&c.state);
    if let Some(last) = &c.last_state {
        s.push_str(&format!("; last state {}", state_text(last)));
    }
    if c.restart_count > 0 {
        s.push_str(&format!("; {} restarts", c.restart_count));
    }
    s
}

fn spec_text(c: &SpecChange) -> String {
    let show = |v: &Option<serde_json::Value>| match v {
        None => "(none)".to_owned(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match c.kind {
        ChangeKind::Added => format!("{} added in canary: {}", c.field, show(&c.canary)),
        ChangeKind::Removed => format!(
            "{} removed in canary (stable: {})",
            c.field,
            show(&c.stable)
        ),
        ChangeKind::Changed => format!("{}: {} -> {}", c.field, show(&c.stable), show(&c.canary)),
    }
}
