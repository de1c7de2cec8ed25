//! The parts of a pod template that a diagnosis compares: containers and volumes.
//! Values from Secrets are never in a template (only references), so nothing here is secret
//! except literal env values, which the spec diff redacts.

use super::lenient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    pub metadata: TemplateMeta,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateMeta {
    #[serde(deserialize_with = "lenient::string_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::string_map")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(deserialize_with = "lenient::vec")]
    pub containers: Vec<Container>,
    #[serde(deserialize_with = "lenient::vec")]
    pub init_containers: Vec<Container>,
    #[serde(deserialize_with = "lenient::vec")]
    pub volumes: Vec<Volume>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub service_account_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub node_name: Option<String>,
    #[serde(deserialize_with = "lenient::string_map")]
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<Value>,
    pub tolerations: Vec<Value>,
    pub image_pull_secrets: Vec<Value>,
}

impl PodSpec {
    /// Init containers first, in the order the kubelet runs them.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers.iter().chain(&self.containers)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub image: Option<String>,
    #[serde(deserialize_with = "lenient::string_vec")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "lenient::string_vec")]
    pub args: Vec<String>,
    #[serde(deserialize_with = "lenient::vec")]
    pub env: Vec<EnvVar>,
    pub env_from: Vec<Value>,
    pub resources: Resources,
    pub liveness_probe: Option<Value>,
    pub readiness_probe: Option<Value>,
    pub startup_probe: Option<Value>,
    pub volume_mounts: Vec<Value>,
    pub ports: Vec<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
    pub value_from: Option<EnvVarSource>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVarSource {
    pub secret_key_ref: Option<KeyRef>,
    pub config_map_key_ref: Option<KeyRef>,
    pub field_ref: Option<Value>,
    pub resource_field_ref: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyRef {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub key: String,
    #[serde(deserialize_with = "lenient::bool")]
    pub optional: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    #[serde(deserialize_with = "lenient::string_map")]
    pub requests: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::string_map")]
    pub limits: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Volume {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// The volume source (`configMap`, `secret`, `persistentVolumeClaim`, ...) as written.
    #[serde(flatten)]
    pub source: BTreeMap<String, Value>,
}
