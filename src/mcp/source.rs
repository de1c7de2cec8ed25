//! Where the MCP tools read from: a snapshot directory, or a cluster through the same
//! collector the agent uses. Both end in the one evidence model and the rules' diagnosis.

use crate::agent::collect::{CollectConfig, Collector, rollouts};
use crate::diagnosis::Diagnosis;
use crate::evidence::{Evidence, EvidenceConfig, build_evidence};
use crate::model::Rollout;
use crate::model::phase::{Phase, rollout_phase};
use crate::pipeline::{DiagnoseOptions, diagnose, run_snapshot_all};
use crate::redact::Redactor;
use kube::api::{Api, DynamicObject, ListParams};
use std::path::PathBuf;

pub enum Source {
    Snapshot(PathBuf),
    Cluster(kube::Client),
}

/// One Rollout as a list shows it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RolloutRow {
    pub namespace: String,
    pub name: String,
    pub phase: String,
    pub message: Option<String>,
    pub aborted: bool,
    pub strategy: String,
}

fn row(ro: &Rollout, redactor: &Redactor) -> RolloutRow {
    let phase = rollout_phase(ro);
    let strategy = if ro.spec.strategy.blue_green.is_some() {
        "blueGreen"
    } else {
        "canary"
    };
    RolloutRow {
        namespace: ro.metadata.namespace_or_default().to_owned(),
        name: ro.metadata.name.clone(),
        phase: format!("{:?}", phase.phase),
        message: phase.message.map(|m| redactor.line(&m).into_owned()),
        aborted: ro.status.abort,
        strategy: strategy.into(),
    }
}

/// Degraded or aborted: what an SRE would call failed.
fn failed(r: &RolloutRow) -> bool {
    r.aborted || r.phase == format!("{:?}", Phase::Degraded)
}

impl Source {
    pub async fn failed_rollouts(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<RolloutRow>, String> {
        let redactor = Redactor::default();
        let all: Vec<RolloutRow> = match self {
            Source::Snapshot(dir) => {
                let snap = crate::source::Snapshot::load(dir).map_err(|e| e.to_string())?;
                snap.objects
                    .rollouts
                    .iter()
                    .map(|r| row(r, &redactor))
                    .collect()
            }
            Source::Cluster(client) => {
                let api: Api<DynamicObject> = match namespace {
                    Some(ns) => Api::namespaced_with(client.clone(), ns, &rollouts()),
                    None => Api::all_with(client.clone(), &rollouts()),
                };
                let list = api
                    .list(&ListParams::default().limit(500))
                    .await
                    .map_err(|e| format!("listing Rollouts: {e}"))?;
                list.items
                    .into_iter()
                    .filter_map(|o| serde_json::to_value(o).ok())
                    .filter_map(|v| serde_json::from_value::<Rollout>(v).ok())
                    .map(|r| row(&r, &redactor))
                    .collect()
            }
        };
        Ok(all
            .into_iter()
            .filter(|r| namespace.is_none_or(|ns| r.namespace == ns))
            .filter(failed)
            .collect())
    }

    /// The evidence and the rules' diagnosis of one Rollout.
    pub async fn explain(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<(Evidence, Diagnosis), String> {
        let redactor = Redactor::default();
        match self {
            Source::Snapshot(dir) => {
                let reports = run_snapshot_all(dir, &DiagnoseOptions::default(), &redactor)
                    .map_err(|e| e.to_string())?;
                reports
                    .into_iter()
                    .find(|r| {
                        r.evidence.rollout.namespace == namespace && r.evidence.rollout.name == name
                    })
                    .map(|r| (r.evidence, r.diagnosis))
                    .ok_or_else(|| format!("no Rollout {namespace}/{name} in the snapshot"))
            }
            Source::Cluster(client) => {
                let collector = Collector::new(
                    client.clone(),
                    CollectConfig::default(),
                    EvidenceConfig::default(),
                );
                let c = collector
                    .collect(namespace, name)
                    .await
                    .map_err(|e| e.to_string())?;
                let mut ev = build_evidence(
                    &c.rollout,
                    &c.objects,
                    &c.logs,
                    &redactor,
                    &EvidenceConfig::default(),
                );
                ev.gaps.extend(c.gaps);
                let d = diagnose(&ev);
                Ok((ev, d))
            }
        }
    }
}
