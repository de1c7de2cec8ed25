//! The evidence model: everything a diagnosis may rest on, for one Rollout. A snapshot and a
//! live cluster fill the same model; rules, the LLM and every sink read only this.
//!
//! Every citable fact carries an `id` (stable across runs for the same input) so a diagnosis
//! can point at it and a reader can find it: `rollout/condition/Progressing`,
//! `pod/<pod>/<container>`, `event/<n>`, `analysis/<run>/<metric>`, `log/<n>`, `spec/<path>`.

use crate::model::Phase;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    pub rollout: RolloutRef,
    pub incident: Incident,
    pub analysis: Vec<AnalysisRunFacts>,
    pub spec_diff: SpecDiff,
    pub pods: Vec<PodFacts>,
    pub events: Vec<EventFact>,
    pub logs: LogEvidence,
    /// Sources that could not be read (missing logs, RBAC 403, object gone): the diagnosis
    /// goes on without them and says so.
    pub gaps: Vec<Gap>,
    /// What the evidence budget removed, by kind; empty when nothing was cut.
    #[serde(default, skip_serializing_if = "Truncation::is_empty")]
    pub truncation: Truncation,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RolloutRef {
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl std::fmt::Display for RolloutRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Canary,
    BlueGreen,
    Unknown,
}

/// Which version a pod (or log, or ReplicaSet) belongs to. Blue-green preview counts as
/// canary and active as stable: the comparison is the same.
#[derive(
    Debug,
    Clone,
    Copy,
    Serialize,
    Deserialize,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Canary,
    Stable,
    Other,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Incident {
    pub strategy: Strategy,
    pub phase: Phase,
    /// True when `status.phase` was absent or stale and the phase was derived from conditions.
    pub phase_derived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_phase: Option<String>,
    pub message: Option<String>,
    pub aborted: bool,
    pub aborted_at: Option<String>,
    pub spec_paused: bool,
    /// `rollout.argoproj.io/revision` of the canary ReplicaSet.
    pub revision: Option<String>,
    pub step_index: Option<i64>,
    pub step_count: Option<usize>,
    pub current_step: Option<String>,
    pub stable_hash: Option<String>,
    pub canary_hash: Option<String>,
    pub stable_image: Vec<String>,
    pub canary_image: Vec<String>,
    pub conditions: Vec<ConditionFact>,
    pub pause_reasons: Vec<String>,
    /// AnalysisRuns the Rollout status points at, with the status it recorded for them.
    pub analysis_refs: Vec<AnalysisRef>,
    pub progress_deadline_seconds: Option<i64>,
    /// `spec.progressDeadlineAbort`: the controller itself aborts when the deadline passes, so
    /// an abort is not necessarily an operator's.
    #[serde(default)]
    pub progress_deadline_abort: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConditionFact {
    pub id: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

impl ConditionFact {
    pub fn new(id: String, c: &crate::model::Condition) -> Self {
        ConditionFact {
            id,
            type_: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnalysisRef {
    pub name: String,
    pub status: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnalysisRunFacts {
    pub id: String,
    pub name: String,
    pub phase: String,
    pub message: Option<String>,
    /// Only metrics that did not succeed, plus successful ones when nothing failed.
    pub metrics: Vec<MetricFacts>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricFacts {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub query: Option<String>,
    pub phase: String,
    pub message: Option<String>,
    pub success_condition: Option<String>,
    pub failure_condition: Option<String>,
    pub failure_limit: Option<String>,
    pub inconclusive_limit: Option<String>,
    pub consecutive_error_limit: Option<String>,
    pub count: i64,
    pub successful: i64,
    pub failed: i64,
    pub inconclusive: i64,
    pub error: i64,
    pub consecutive_error: i64,
    pub dry_run: bool,
    /// The most recent measurements, oldest first.
    pub measurements: Vec<MeasurementFact>,
    pub dropped_measurements: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MeasurementFact {
    pub phase: String,
    pub value: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<String>,
}

/// Structured stable-vs-canary pod template difference.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SpecDiff {
    /// False when either template was not found; `note` says which.
    pub compared: bool,
    pub note: Option<String>,
    pub changes: Vec<SpecChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpecChange {
    pub id: String,
    /// `None` for pod-level fields (volumes, serviceAccountName, ...).
    pub container: Option<String>,
    /// Field path inside the container or pod spec: `image`, `env.DB_URL`,
    /// `resources.limits.memory`, `readinessProbe`, `volumes.config`, ...
    pub field: String,
    pub kind: ChangeKind,
    /// Values as JSON so a fix can restore the stable one exactly; literal env values that
    /// look secret are already redacted, and Secret-sourced values are only references.
    pub stable: Option<Value>,
    pub canary: Option<Value>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PodFacts {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub hash: Option<String>,
    pub phase: Option<String>,
    pub ready: bool,
    pub node: Option<String>,
    /// Conditions that are not True (PodScheduled=False Unschedulable, Ready=False, ...).
    pub conditions: Vec<ConditionFact>,
    pub containers: Vec<ContainerFacts>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainerFacts {
    pub id: String,
    pub name: String,
    pub init: bool,
    pub image: Option<String>,
    pub ready: bool,
    pub restart_count: i64,
    pub state: ContainerStateFact,
    pub last_state: Option<ContainerStateFact>,
    pub memory_limit: Option<String>,
    /// A mesh proxy or agent beside the app container: its log lines describe the app's
    /// reachability, not a cause of their own.
    #[serde(default)]
    pub sidecar: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContainerStateFact {
    Waiting {
        reason: Option<String>,
        message: Option<String>,
    },
    Running {
        started_at: Option<String>,
    },
    Terminated {
        reason: Option<String>,
        exit_code: Option<i64>,
        signal: Option<i64>,
        message: Option<String>,
    },
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventFact {
    pub id: String,
    pub object_kind: String,
    pub object_name: String,
    /// Which version the object belongs to, when it is a pod or ReplicaSet of the Rollout.
    pub role: Option<Role>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub count: i64,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LogEvidence {
    pub streams: Vec<LogStream>,
    /// Ranked: new-in-canary first, then much more frequent in canary, then errors, then noise.
    pub findings: Vec<LogFinding>,
    /// Per version, how much of it the comparison read: a thin side makes "new in canary" weak.
    #[serde(default)]
    pub coverage: Vec<LogCoverage>,
}

/// How many of a version's pods had logs read, and how many lines they gave.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct LogCoverage {
    pub role: Role,
    /// Pods of this version in the evidence.
    pub pods: usize,
    /// Of those, pods with at least one log read.
    pub pods_read: usize,
    pub lines: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogStream {
    pub pod: String,
    pub container: String,
    pub role: Role,
    pub previous: bool,
    pub lines: u64,
    pub bytes: u64,
    /// Lines longer than the per-line cap, kept cut.
    pub truncated_lines: u64,
    pub invalid_utf8_lines: u64,
    /// Mostly non-text content: mined no further.
    pub binary: bool,
    /// Not every line was mined: the middle past the head cap was skipped (only the last
    /// lines were kept), or the read bound stopped reading before the end.
    pub capped: bool,
    /// Lines read past between the head and the tail.
    #[serde(default)]
    pub skipped_lines: u64,
    /// Of `lines`, how many are the stream's last lines.
    #[serde(default)]
    pub tail_lines: u64,
    #[serde(default)]
    pub rest_unread: bool,
}

impl LogStream {
    /// "log cut: kept the first … lines, skipped …, kept the last …"; `None` when whole.
    pub fn cut_note(&self) -> Option<String> {
        self.capped.then(|| {
            crate::analysis::logs::cut_note(
                self.lines,
                self.tail_lines,
                self.skipped_lines,
                self.rest_unread,
            )
        })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum LogClass {
    NewInCanary,
    MoreFrequentInCanary,
    Error,
    Noise,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogFinding {
    pub id: String,
    pub class: LogClass,
    pub level: LogLevel,
    /// The mined template, variable tokens masked as `<*>`.
    pub template: String,
    /// One real line of this template, redacted.
    pub example: String,
    pub canary_count: u64,
    pub stable_count: u64,
    /// Where it was seen, as `pod/container`, with ` (previous)` for a crashed instance.
    pub streams: Vec<String>,
    /// Seen in the log of a previous (crashed) container instance.
    pub previous: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Gap {
    pub source: String,
    #[serde(rename = "ref")]
    pub ref_: String,
    pub reason: String,
}

impl Gap {
    pub fn new(source: &str, ref_: &str, reason: &str) -> Gap {
        Gap {
            source: source.into(),
            ref_: ref_.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Truncation {
    pub budget_tokens: usize,
    pub used_tokens: usize,
    /// Count of items removed, by kind (`log_findings`, `events`, `measurements`, ...).
    pub dropped: std::collections::BTreeMap<String, usize>,
}

impl Truncation {
    pub fn is_empty(&self) -> bool {
        self.dropped.values().all(|n| *n == 0)
    }
}
