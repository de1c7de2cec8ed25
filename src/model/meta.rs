//! Object metadata and the small shared shapes of Kubernetes objects.

use super::lenient;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub namespace: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub generation: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub resource_version: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub creation_timestamp: Option<String>,
    #[serde(deserialize_with = "lenient::string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::string_map")]
    pub annotations: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub owner_references: Vec<OwnerReference>,
}

impl ObjectMeta {
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    pub fn is_owned_by(&self, kind: &str, name: &str, uid: Option<&str>) -> bool {
        self.owner_references.iter().any(|o| {
            o.kind == kind
                && o.name == name
                && match (uid, o.uid.as_deref()) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OwnerReference {
    #[serde(deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub controller: bool,
}

/// A status condition as Rollouts, ReplicaSets, Pods and AnalysisRuns print it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub type_: String,
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub last_transition_time: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub last_update_time: Option<String>,
}

impl Condition {
    pub fn is_true(&self) -> bool {
        self.status.eq_ignore_ascii_case("true")
    }
    pub fn is_false(&self) -> bool {
        self.status.eq_ignore_ascii_case("false")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(deserialize_with = "lenient::string_map")]
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<serde_json::Value>,
}

impl LabelSelector {
    /// matchLabels only: matchExpressions are reported, not evaluated, because the selectors
    /// we resolve (ReplicaSet → pods) are always hash-label based.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
    }
}
