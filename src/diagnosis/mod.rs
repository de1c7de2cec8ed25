//! The diagnosis: one category of the closed taxonomy, the evidence that supports it and a
//! structured remediation. Its JSON form is a public contract (`schema_version`).

mod assemble;
mod category;
pub mod render;

pub use assemble::{describe, from_rules};

pub use category::Category;

use crate::evidence::{Gap, RolloutRef};
use crate::model::Phase;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Diagnosis {
    pub schema_version: u32,
    pub rollout: RolloutRef,
    pub category: Category,
    /// 0–1: how strongly the cited evidence supports the category.
    pub confidence: f64,
    pub summary: String,
    pub evidence: Vec<EvidenceItem>,
    pub remediation: Remediation,
    pub engine: Engine,
    /// The rule that decided, for the rules engine.
    pub rule: Option<String>,
    pub incident: IncidentSummary,
    /// Other categories the rules saw support for, strongest first.
    pub alternatives: Vec<Alternative>,
    pub gaps: Vec<Gap>,
    /// What the LLM said and what became of it; absent when it was not configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::llm::LlmOpinion>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Rules,
    Llm,
    Hybrid,
}

/// One cited piece of evidence: the exact text (log line, event message, status reason,
/// metric message) and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
pub struct EvidenceItem {
    pub id: String,
    pub source: EvidenceSource,
    /// The object it came from, e.g. `Pod/checkout-7d9f-abcde container app`.
    #[serde(rename = "ref")]
    pub ref_: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    Rollout,
    Analysis,
    Pod,
    Event,
    Log,
    Spec,
}

impl EvidenceSource {
    /// The JSON name, for renderings.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceSource::Rollout => "rollout",
            EvidenceSource::Analysis => "analysis",
            EvidenceSource::Pod => "pod",
            EvidenceSource::Event => "event",
            EvidenceSource::Log => "log",
            EvidenceSource::Spec => "spec",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncidentSummary {
    pub phase: Phase,
    pub strategy: crate::evidence::Strategy,
    pub message: Option<String>,
    pub revision: Option<String>,
    pub step_index: Option<i64>,
    pub current_step: Option<String>,
    pub canary_hash: Option<String>,
    pub stable_hash: Option<String>,
    pub canary_image: Vec<String>,
    pub stable_image: Vec<String>,
    /// Pods and lines whose logs were read, per version: a comparison of 1 stable pod's 12
    /// lines is thin, and a reader must be able to see that.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<crate::evidence::LogCoverage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Alternative {
    pub category: Category,
    pub confidence: f64,
    pub rule: String,
}

/// A suggested action. The variants a fix can be derived from carry the stable values needed
/// to derive it; none carries free text a fix would apply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Remediation {
    #[serde(flatten)]
    pub action: Action,
    /// One sentence for a person.
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    RevertImage {
        container: String,
        canary_image: Option<String>,
        stable_image: Option<String>,
    },
    RestoreEnv {
        container: String,
        /// Env var name, or the ConfigMap/Secret name for envFrom and volumes.
        name: String,
        /// The stable definition to restore (a reference for Secret-sourced values).
        stable: Option<Value>,
        /// The canary's definition when it changed rather than dropped the entry, so a fix
        /// can confirm the repository still holds the faulty one before replacing it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        canary: Option<Value>,
    },
    RaiseMemoryLimit {
        container: String,
        current: Option<String>,
        suggested: Option<String>,
    },
    FixProbe {
        container: String,
        probe: String,
        stable: Option<Value>,
        canary: Option<Value>,
    },
    FixAnalysisQuery {
        analysis_run: String,
        metric: String,
        provider: String,
        query: Option<String>,
    },
    FixScheduling {
        reason: String,
    },
    CheckDependency {
        target: Option<String>,
    },
    InvestigateRegression {
        analysis_run: String,
        metric: String,
    },
    FixSpec {
        message: String,
    },
    Investigate {
        hint: String,
    },
    None,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::RevertImage { .. } => "revert_image",
            Action::RestoreEnv { .. } => "restore_env",
            Action::RaiseMemoryLimit { .. } => "raise_memory_limit",
            Action::FixProbe { .. } => "fix_probe",
            Action::FixAnalysisQuery { .. } => "fix_analysis_query",
            Action::FixScheduling { .. } => "fix_scheduling",
            Action::CheckDependency { .. } => "check_dependency",
            Action::InvestigateRegression { .. } => "investigate_regression",
            Action::FixSpec { .. } => "fix_spec",
            Action::Investigate { .. } => "investigate",
            Action::None => "none",
        }
    }
}
