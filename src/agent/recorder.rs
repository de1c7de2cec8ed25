//! Writes the durable record (a RolloutDiagnosis) and the `RolloutDiagnosed` Event, and
//! advances the record's delivery status. Every write is idempotent by name.

use super::incident::IncidentKey;
use super::record::{
    PHASE_DELIVERED, PHASE_RECORDED, RolloutDiagnosis, RolloutDiagnosisStatus, SinkStatus,
};
use crate::diagnosis::Diagnosis;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};

pub const EVENT_REASON: &str = "RolloutDiagnosed";
const COMPONENT: &str = "rollout-doctor";

#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    New,
    /// Another replica, or this one before a restart, recorded this incident already.
    AlreadyRecorded,
}

pub struct Recorder {
    client: kube::Client,
}

impl Recorder {
    pub fn new(client: kube::Client) -> Self {
        Recorder { client }
    }

    pub async fn create(
        &self,
        key: &IncidentKey,
        d: &Diagnosis,
    ) -> Result<(Created, RolloutDiagnosis), kube::Error> {
        let api: Api<RolloutDiagnosis> = Api::namespaced(self.client.clone(), &d.rollout.namespace);
        let record = RolloutDiagnosis::for_incident(key, d);
        match api.create(&PostParams::default(), &record).await {
            Ok(created) => {
                let status = RolloutDiagnosisStatus {
                    phase: PHASE_RECORDED.into(),
                    ..Default::default()
                };
                let name = created.metadata.name.clone().unwrap_or_default();
                let patch = serde_json::json!({ "status": status });
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                Ok((Created::New, created))
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let existing = api
                    .get(&record.metadata.name.clone().unwrap_or_default())
                    .await?;
                Ok((Created::AlreadyRecorded, existing))
            }
            Err(e) => Err(e),
        }
    }

    /// The Event is named after the record, so a retry after a crash finds it instead of
    /// writing a second one.
    pub async fn event(&self, record: &RolloutDiagnosis, d: &Diagnosis) -> Result<(), kube::Error> {
        let ns = &d.rollout.namespace;
        let api: Api<Event> = Api::namespaced(self.client.clone(), ns);
        let record_name = record.metadata.name.clone().unwrap_or_default();
        let now = Timestamp::now();
        let message = event_note(format!(
            "{}: {} (see rolloutdiagnosis/{record_name})",
            d.category, d.summary
        ));
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{record_name}.diagnosed")),
                namespace: Some(ns.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("argoproj.io/v1alpha1".into()),
                kind: Some("Rollout".into()),
                name: Some(d.rollout.name.clone()),
                namespace: Some(ns.clone()),
                uid: d.rollout.uid.clone(),
                ..Default::default()
            },
            reason: Some(EVENT_REASON.into()),
            message: Some(message),
            type_: Some("Warning".into()),
            count: Some(1),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            event_time: Some(MicroTime(now)),
            action: Some("Diagnose".into()),
            reporting_component: Some(COMPONENT.into()),
            reporting_instance: Some(
                std::env::var("POD_NAME").unwrap_or_else(|_| COMPONENT.into()),
            ),
            source: Some(EventSource {
                component: Some(COMPONENT.into()),
                host: None,
            }),
            ..Default::default()
        };
        match api.create(&PostParams::default(), &event).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn mark_delivered(
        &self,
        record: &RolloutDiagnosis,
        event_recorded: bool,
        sinks: Vec<SinkStatus>,
    ) -> Result<(), kube::Error> {
        let ns = record.metadata.namespace.clone().unwrap_or_default();
        let api: Api<RolloutDiagnosis> = Api::namespaced(self.client.clone(), &ns);
        let complete = event_recorded && sinks.iter().all(|s| s.delivered);
        let status = RolloutDiagnosisStatus {
            phase: if complete {
                PHASE_DELIVERED
            } else {
                PHASE_RECORDED
            }
            .into(),
            event_recorded,
            sinks,
        };
        let patch = serde_json::json!({ "status": status });
        let name = record.metadata.name.clone().unwrap_or_default();
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
    }
}

/// The API server refuses an Event whose note exceeds 1 KiB (bytes, not characters).
fn event_note(mut s: String) -> String {
    const NOTE_LIMIT: usize = 1024;
    if s.len() > NOTE_LIMIT {
        let mut end = NOTE_LIMIT - '…'.len_utf8();
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn event_notes_fit_the_api_limit_in_bytes() {
        let wide = "é".repeat(900);
        let note = super::event_note(wide);
        assert!(note.len() <= 1024 && note.ends_with('…'), "{}", note.len());
        assert_eq!(super::event_note("short".into()), "short");
    }
}
