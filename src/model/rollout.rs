//! The Argo Rollouts `Rollout`, read-only and tolerant: every status field is optional and
//! unknown fields are ignored, so statuses from v0.x controllers decode as well as today's.

use super::lenient;
use super::meta::{Condition, LabelSelector, ObjectMeta};
use super::pod_template::PodTemplateSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rollout {
    pub metadata: ObjectMeta,
    pub spec: RolloutSpec,
    pub status: RolloutStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolloutSpec {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub replicas: Option<i64>,
    pub selector: Option<LabelSelector>,
    pub template: Option<PodTemplateSpec>,
    /// `workloadRef` Rollouts take their template from a Deployment; we report it, not follow it.
    pub workload_ref: Option<Value>,
    pub strategy: Strategy,
    #[serde(deserialize_with = "lenient::bool")]
    pub paused: bool,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub progress_deadline_seconds: Option<i64>,
    #[serde(deserialize_with = "lenient::bool")]
    pub progress_deadline_abort: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Strategy {
    pub canary: Option<CanaryStrategy>,
    pub blue_green: Option<BlueGreenStrategy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CanaryStrategy {
    /// Steps are kept as written (setWeight, pause, analysis, experiment, plugin, ...).
    pub steps: Vec<Value>,
    pub analysis: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub canary_service: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub stable_service: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BlueGreenStrategy {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub active_service: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub preview_service: Option<String>,
    pub pre_promotion_analysis: Option<Value>,
    pub post_promotion_analysis: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolloutStatus {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub abort: bool,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub aborted_at: Option<String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub pause_conditions: Vec<PauseCondition>,
    #[serde(deserialize_with = "lenient::bool")]
    pub controller_pause: bool,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub current_pod_hash: Option<String>,
    #[serde(rename = "stableRS", deserialize_with = "lenient::opt_string")]
    pub stable_rs: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub current_step_index: Option<i64>,
    #[serde(deserialize_with = "lenient::vec")]
    pub conditions: Vec<Condition>,
    pub canary: CanaryStatus,
    pub blue_green: BlueGreenStatus,
    /// Argo prints observedGeneration as a string; older controllers printed a hash.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub observed_generation: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub replicas: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub updated_replicas: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub ready_replicas: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub available_replicas: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PauseCondition {
    #[serde(deserialize_with = "lenient::string")]
    pub reason: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub start_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CanaryStatus {
    pub current_step_analysis_run_status: Option<AnalysisRunRef>,
    pub current_background_analysis_run_status: Option<AnalysisRunRef>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub current_experiment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BlueGreenStatus {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub active_selector: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub preview_selector: Option<String>,
    pub pre_promotion_analysis_run_status: Option<AnalysisRunRef>,
    pub post_promotion_analysis_run_status: Option<AnalysisRunRef>,
}

/// The Rollout's pointer to an AnalysisRun it started, with that run's phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisRunRef {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Canary,
    BlueGreen,
    Unknown,
}

impl Rollout {
    pub fn strategy_kind(&self) -> StrategyKind {
        match (&self.spec.strategy.canary, &self.spec.strategy.blue_green) {
            (Some(_), _) => StrategyKind::Canary,
            (None, Some(_)) => StrategyKind::BlueGreen,
            _ => StrategyKind::Unknown,
        }
    }

    /// The pod-template hash of the version being rolled out (canary, or blue-green preview).
    pub fn canary_hash(&self) -> Option<&str> {
        match self.strategy_kind() {
            StrategyKind::BlueGreen => self
                .status
                .blue_green
                .preview_selector
                .as_deref()
                .or(self.status.current_pod_hash.as_deref()),
            _ => self.status.current_pod_hash.as_deref(),
        }
    }

    /// The pod-template hash of the version serving traffic (stable, or blue-green active).
    pub fn stable_hash(&self) -> Option<&str> {
        match self.strategy_kind() {
            StrategyKind::BlueGreen => self
                .status
                .blue_green
                .active_selector
                .as_deref()
                .or(self.status.stable_rs.as_deref()),
            _ => self.status.stable_rs.as_deref(),
        }
    }

    /// Every AnalysisRun the status points at, newest concern first.
    pub fn analysis_run_refs(&self) -> impl Iterator<Item = &AnalysisRunRef> {
        let c = &self.status.canary;
        let b = &self.status.blue_green;
        [
            c.current_step_analysis_run_status.as_ref(),
            c.current_background_analysis_run_status.as_ref(),
            b.pre_promotion_analysis_run_status.as_ref(),
            b.post_promotion_analysis_run_status.as_ref(),
        ]
        .into_iter()
        .flatten()
    }

    /// A short text for the current canary step, e.g. `setWeight: 20`.
    pub fn current_step(&self) -> Option<String> {
        let steps = &self.spec.strategy.canary.as_ref()?.steps;
        let idx = usize::try_from(self.status.current_step_index?).ok()?;
        let step = steps.get(idx)?.as_object()?;
        let (kind, value) = step.iter().next()?;
        Some(match value {
            Value::Object(o) if o.is_empty() => kind.clone(),
            Value::Object(_) | Value::Array(_) => format!("{kind}: {value}"),
            Value::String(s) => format!("{kind}: {s}"),
            other => format!("{kind}: {other}"),
        })
    }
}
