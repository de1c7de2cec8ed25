//! ReplicaSets, Pods and Events: the core objects around a Rollout.

use super::lenient;
use super::meta::{Condition, LabelSelector, ObjectMeta};
use super::pod_template::{PodSpec, PodTemplateSpec};
use serde::{Deserialize, Serialize};

/// The label Argo Rollouts puts on every ReplicaSet and pod it manages.
pub const POD_TEMPLATE_HASH: &str = "rollouts-pod-template-hash";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicaSet {
    pub metadata: ObjectMeta,
    pub spec: ReplicaSetSpec,
    pub status: ReplicaSetStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicaSetSpec {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub replicas: Option<i64>,
    pub selector: Option<LabelSelector>,
    pub template: Option<PodTemplateSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ReplicaSetStatus {
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub replicas: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub ready_replicas: i64,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub available_replicas: i64,
    #[serde(deserialize_with = "lenient::vec")]
    pub conditions: Vec<Condition>,
}

impl ReplicaSet {
    pub fn pod_template_hash(&self) -> Option<&str> {
        self.metadata
            .labels
            .get(POD_TEMPLATE_HASH)
            .or_else(|| {
                self.spec
                    .template
                    .as_ref()
                    .and_then(|t| t.metadata.labels.get(POD_TEMPLATE_HASH))
            })
            .map(String::as_str)
    }

    pub fn revision(&self) -> Option<&str> {
        self.metadata
            .annotations
            .get("rollout.argoproj.io/revision")
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
    pub status: PodStatus,
}

impl Pod {
    pub fn pod_template_hash(&self) -> Option<&str> {
        self.metadata
            .labels
            .get(POD_TEMPLATE_HASH)
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phase: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "lenient::vec")]
    pub container_statuses: Vec<ContainerStatus>,
    #[serde(deserialize_with = "lenient::vec")]
    pub init_container_statuses: Vec<ContainerStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub image: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub ready: bool,
    #[serde(deserialize_with = "lenient::i64_or_zero")]
    pub restart_count: i64,
    pub state: ContainerState,
    pub last_state: ContainerState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerState {
    pub waiting: Option<StateDetail>,
    pub running: Option<StateDetail>,
    pub terminated: Option<StateDetail>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StateDetail {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reason: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub exit_code: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub signal: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub started_at: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub finished_at: Option<String>,
}

/// Core v1 and events.k8s.io/v1 Events decode into this one view: the field names differ
/// (`involvedObject`/`regarding`, `message`/`note`, `count`/`deprecatedCount`/`series.count`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Event {
    pub metadata: ObjectMeta,
    #[serde(alias = "regarding")]
    pub involved_object: InvolvedObject,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reason: Option<String>,
    #[serde(alias = "note", deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub type_: Option<String>,
    #[serde(alias = "deprecatedCount", deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    pub series: Option<EventSeries>,
    #[serde(
        alias = "deprecatedFirstTimestamp",
        deserialize_with = "lenient::opt_string"
    )]
    pub first_timestamp: Option<String>,
    #[serde(
        alias = "deprecatedLastTimestamp",
        deserialize_with = "lenient::opt_string"
    )]
    pub last_timestamp: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub event_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventSeries {
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub last_observed_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvolvedObject {
    #[serde(deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub namespace: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
}

impl Event {
    pub fn is_warning(&self) -> bool {
        self.type_.as_deref() == Some("Warning")
    }

    pub fn occurrences(&self) -> i64 {
        self.series
            .as_ref()
            .and_then(|s| s.count)
            .or(self.count)
            .unwrap_or(1)
            .max(1)
    }

    pub fn last_seen(&self) -> Option<&str> {
        self.series
            .as_ref()
            .and_then(|s| s.last_observed_time.as_deref())
            .or(self.last_timestamp.as_deref())
            .or(self.event_time.as_deref())
            .or(self.first_timestamp.as_deref())
    }
}
