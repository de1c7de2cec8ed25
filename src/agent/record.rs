//! The durable record of an incident: a `RolloutDiagnosis` custom resource owned by the
//! Rollout (garbage-collected with it), and a `RolloutDiagnosed` Event on the Rollout.
//!
//! The record's name is derived from the incident key, so creating it is the dedupe: a 409
//! means another replica, or this one before a restart, already diagnosed the incident.
//! Its status says how far delivery got, so a new leader can finish a half-delivered one.

use super::incident::IncidentKey;
use crate::diagnosis::Diagnosis;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "rolloutdoctor.io",
    version = "v1alpha1",
    kind = "RolloutDiagnosis",
    plural = "rolloutdiagnoses",
    shortname = "rdiag",
    namespaced,
    status = "RolloutDiagnosisStatus",
    derive = "PartialEq",
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".spec.rollout"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".spec.revision"}"#,
    printcolumn = r#"{"name":"Category","type":"string","jsonPath":".spec.category"}"#,
    printcolumn = r#"{"name":"Confidence","type":"number","jsonPath":".spec.confidence"}"#,
    printcolumn = r#"{"name":"Engine","type":"string","jsonPath":".spec.engine","priority":1}"#,
    printcolumn = r#"{"name":"Summary","type":"string","jsonPath":".spec.summary","priority":1}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct RolloutDiagnosisSpec {
    /// Name of the diagnosed Rollout (same namespace).
    pub rollout: String,
    pub rollout_uid: String,
    pub revision: String,
    pub canary_hash: String,
    /// One category of the rollout-doctor taxonomy.
    pub category: String,
    pub confidence: f64,
    pub engine: String,
    pub summary: String,
    /// The full diagnosis (JSON contract `schema_version` 1).
    #[schemars(schema_with = "preserve_unknown_fields")]
    pub diagnosis: serde_json::Value,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutDiagnosisStatus {
    /// `Recorded` once created; `Delivered` once the Event and every sink got it.
    pub phase: String,
    #[serde(default)]
    pub event_recorded: bool,
    #[serde(default)]
    pub sinks: Vec<SinkStatus>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkStatus {
    pub name: String,
    pub delivered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the sink produced for people, e.g. the fix pull request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<crate::agent::sink::Link>,
    /// What the sink needs to continue this incident later: a Slack thread, a PR number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

pub const PHASE_RECORDED: &str = "Recorded";
pub const PHASE_DELIVERED: &str = "Delivered";

fn preserve_unknown_fields(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}

impl RolloutDiagnosis {
    pub fn for_incident(key: &IncidentKey, d: &Diagnosis) -> RolloutDiagnosis {
        let name = key.record_name(&d.rollout.name);
        let mut record = RolloutDiagnosis::new(
            &name,
            RolloutDiagnosisSpec {
                rollout: d.rollout.name.clone(),
                rollout_uid: key.rollout_uid.clone(),
                revision: key.revision.clone(),
                canary_hash: key.canary_hash.clone(),
                category: d.category.to_string(),
                confidence: d.confidence,
                engine: serde_json::to_value(d.engine)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                summary: d.summary.clone(),
                diagnosis: serde_json::to_value(d).unwrap_or_default(),
            },
        );
        record.metadata.namespace = Some(d.rollout.namespace.clone());
        record.metadata.labels = Some(
            [
                (
                    "app.kubernetes.io/managed-by".to_owned(),
                    "rollout-doctor".to_owned(),
                ),
                (
                    "rolloutdoctor.io/rollout".to_owned(),
                    label_value(&d.rollout.name),
                ),
                (
                    "rolloutdoctor.io/category".to_owned(),
                    d.category.to_string(),
                ),
            ]
            .into(),
        );
        if !key.rollout_uid.is_empty() {
            record.metadata.owner_references = Some(vec![
                k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                    api_version: "argoproj.io/v1alpha1".into(),
                    kind: "Rollout".into(),
                    name: d.rollout.name.clone(),
                    uid: key.rollout_uid.clone(),
                    controller: Some(false),
                    block_owner_deletion: Some(false),
                },
            ]);
        }
        record
    }

    pub fn key(&self) -> IncidentKey {
        IncidentKey {
            rollout_uid: self.spec.rollout_uid.clone(),
            canary_hash: self.spec.canary_hash.clone(),
            revision: self.spec.revision.clone(),
        }
    }

    pub fn delivered(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.phase == PHASE_DELIVERED)
    }
}

/// Label values are at most 63 characters.
fn label_value(s: &str) -> String {
    s.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches(['-', '_', '.'])
        .to_owned()
}

/// The CRD as YAML, for `rollout-doctor crd` and deploy/crd.yaml.
pub fn crd_yaml() -> Result<String, serde_yaml_ng::Error> {
    use kube::CustomResourceExt;
    serde_yaml_ng::to_string(&RolloutDiagnosis::crd())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_is_structural_with_printer_columns() {
        let yaml = crd_yaml().unwrap();
        for needle in [
            "name: rolloutdiagnoses.rolloutdoctor.io",
            "x-kubernetes-preserve-unknown-fields: true",
            "jsonPath: .spec.category",
            "- rdiag",
            "status: {}",
        ] {
            assert!(yaml.contains(needle), "{needle} missing in\n{yaml}");
        }
    }
}
