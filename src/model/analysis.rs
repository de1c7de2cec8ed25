//! AnalysisRun, AnalysisTemplate and ClusterAnalysisTemplate, read-only and tolerant.

use super::lenient;
use super::meta::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisRun {
    pub metadata: ObjectMeta,
    pub spec: AnalysisSpec,
    pub status: AnalysisRunStatus,
}

/// Templates share the spec shape with runs; a ClusterAnalysisTemplate is the same object
/// without a namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisTemplate {
    pub metadata: ObjectMeta,
    pub spec: AnalysisSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisSpec {
    #[serde(deserialize_with = "lenient::vec")]
    pub metrics: Vec<Metric>,
    #[serde(deserialize_with = "lenient::vec")]
    pub args: Vec<Argument>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Argument {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
    pub value_from: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metric {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub interval: Option<String>,
    /// IntOrString: may still hold an `{{args.x}}` placeholder in templates.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub count: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub success_condition: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub failure_condition: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub failure_limit: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub inconclusive_limit: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub consecutive_error_limit: Option<String>,
    /// One key naming the provider (`prometheus`, `web`, `job`, `datadog`, `plugin`, ...).
    pub provider: BTreeMap<String, Value>,
}

impl Metric {
    pub fn provider_kind(&self) -> &str {
        self.provider
            .keys()
            .next()
            .map(String::as_str)
            .unwrap_or("unknown")
    }

    /// What the provider is asked: a query, a URL, a job's command. Kept short for evidence.
    pub fn provider_query(&self) -> Option<String> {
        let (_, cfg) = self.provider.iter().next()?;
        for key in ["query", "url", "address"] {
            if let Some(Value::String(s)) = cfg.get(key) {
                return Some(s.clone());
            }
        }
        let containers = cfg.pointer("/spec/template/spec/containers/0")?;
        let cmd: Vec<String> = ["command", "args"]
            .iter()
            .filter_map(|k| containers.get(*k)?.as_array().cloned())
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        (!cmd.is_empty()).then(|| cmd.join(" "))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AnalysisRunStatus {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub metric_results: Vec<MetricResult>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub started_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MetricResult {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub measurements: Vec<Measurement>,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub count: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub successful: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub failed: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub inconclusive: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub error: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub consecutive_error: i64,
    #[serde(deserialize_with = "lenient::bool")]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Measurement {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub started_at: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub finished_at: Option<String>,
}

impl AnalysisRun {
    pub fn phase(&self) -> &str {
        self.status.phase.as_deref().unwrap_or("Pending")
    }

    pub fn is_unsuccessful(&self) -> bool {
        matches!(self.phase(), "Failed" | "Error" | "Inconclusive")
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.spec.metrics.iter().find(|m| m.name == name)
    }
}
