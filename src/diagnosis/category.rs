//! The closed taxonomy. Strings are a public contract (JSON output, CRD, LLM schema).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ImagePull,
    ConfigMissing,
    CrashLoop,
    OomKilled,
    ProbeFailure,
    Unschedulable,
    MetricRegression,
    DependencyFailure,
    AnalysisError,
    ProgressDeadline,
    ManualAbort,
    InvalidSpec,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::ImagePull,
        Category::ConfigMissing,
        Category::CrashLoop,
        Category::OomKilled,
        Category::ProbeFailure,
        Category::Unschedulable,
        Category::MetricRegression,
        Category::DependencyFailure,
        Category::AnalysisError,
        Category::ProgressDeadline,
        Category::ManualAbort,
        Category::InvalidSpec,
        Category::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::ImagePull => "image_pull",
            Category::ConfigMissing => "config_missing",
            Category::CrashLoop => "crash_loop",
            Category::OomKilled => "oom_killed",
            Category::ProbeFailure => "probe_failure",
            Category::Unschedulable => "unschedulable",
            Category::MetricRegression => "metric_regression",
            Category::DependencyFailure => "dependency_failure",
            Category::AnalysisError => "analysis_error",
            Category::ProgressDeadline => "progress_deadline",
            Category::ManualAbort => "manual_abort",
            Category::InvalidSpec => "invalid_spec",
            Category::Unknown => "unknown",
        }
    }

    /// One line a person can read at a glance.
    pub fn describe(self) -> &'static str {
        match self {
            Category::ImagePull => "the canary image cannot be pulled",
            Category::ConfigMissing => "the canary is missing configuration",
            Category::CrashLoop => "the canary crashes",
            Category::OomKilled => "the canary exceeds its memory limit",
            Category::ProbeFailure => "the canary's probes fail while it runs",
            Category::Unschedulable => "canary pods cannot be created or scheduled",
            Category::MetricRegression => "analysis measured a real regression in the canary",
            Category::DependencyFailure => {
                "the canary cannot reach a dependency the stable reaches"
            }
            Category::AnalysisError => "the analysis itself could not measure",
            Category::ProgressDeadline => "the rollout exceeded its progress deadline",
            Category::ManualAbort => "an operator aborted the rollout",
            Category::InvalidSpec => "the Rollout spec is invalid",
            Category::Unknown => "no evidence supports a cause",
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_serde_and_from_str() {
        for c in Category::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(c.as_str().parse::<Category>().unwrap(), c);
        }
        assert!("oom".parse::<Category>().is_err());
    }
}
