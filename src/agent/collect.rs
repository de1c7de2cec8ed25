//! Live evidence collection: the same [`ObjectSet`] and [`LogSource`] a snapshot gives,
//! fetched from the API for one Rollout. Nothing is cached between incidents (memory stays
//! flat however many pods the cluster runs); every call has a timeout; a 403 or 404 on any
//! source becomes a gap and collection goes on. Secrets are never read.

use crate::evidence::{EvidenceConfig, Gap, LogRequest, log_plan_for, pods_still_wanted};
use crate::model::Rollout;
use crate::model::workload::POD_TEMPLATE_HASH;
use crate::source::{LogError, LogSource, ObjectSet};
use futures::{AsyncBufReadExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, LogParams};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub api_timeout: Duration,
    pub tail_lines: i64,
    pub limit_bytes: i64,
    /// Calls in flight at once for one incident.
    pub concurrency: usize,
    /// Events read per namespace at most (newest pages first are not guaranteed by the API).
    pub max_events: usize,
}

impl Default for CollectConfig {
    fn default() -> Self {
        CollectConfig {
            api_timeout: Duration::from_secs(10),
            tail_lines: 5000,
            limit_bytes: 2 << 20,
            concurrency: 8,
            max_events: 5000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("Rollout {0} no longer exists")]
    RolloutGone(String),
    #[error("cannot read Rollout {name}: {reason}")]
    Rollout { name: String, reason: String },
}

pub struct Collection {
    pub rollout: Rollout,
    pub objects: ObjectSet,
    /// The objects as the API returned them (with apiVersion/kind), for support bundles.
    pub raw: Vec<Value>,
    pub logs: MemoryLogs,
    pub gaps: Vec<Gap>,
}

/// Logs fetched for one incident, served to the evidence builder like snapshot files.
#[derive(Default)]
pub struct MemoryLogs {
    pub logs: HashMap<(String, String, bool), Vec<u8>>,
    pub denied: HashMap<(String, String, bool), String>,
}

impl LogSource for MemoryLogs {
    fn open(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<Box<dyn std::io::Read + '_>>, LogError> {
        let key = (pod.to_owned(), container.to_owned(), previous);
        if let Some(reason) = self.denied.get(&key) {
            return Err(LogError::Forbidden(reason.clone()));
        }
        Ok(self
            .logs
            .get(&key)
            .map(|b| Box::new(b.as_slice()) as Box<dyn std::io::Read>))
    }
}

pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

pub fn rollouts() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "Rollout", "rollouts")
}

pub fn analysis_runs() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "AnalysisRun", "analysisruns")
}

pub struct Collector {
    client: kube::Client,
    cfg: CollectConfig,
    evidence: EvidenceConfig,
}

impl Collector {
    pub fn new(client: kube::Client, cfg: CollectConfig, evidence: EvidenceConfig) -> Self {
        Collector {
            client,
            cfg,
            evidence,
        }
    }

    async fn timed<T>(
        &self,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.cfg.api_timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(kube::Error::Api(s))) => Err(format!("{} ({})", s.message, s.code)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("timed out after {:?}", self.cfg.api_timeout)),
        }
    }

    fn dynamic(&self, ar: &ApiResource, ns: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), ns, ar)
    }

    /// Every page of a list, up to `cap` items; what a failure cost is a gap.
    async fn list_all(
        &self,
        ar: &ApiResource,
        ns: &str,
        selector: Option<String>,
        cap: usize,
        gaps: &mut Vec<Gap>,
    ) -> Vec<Value> {
        let api = self.dynamic(ar, ns);
        let mut params = ListParams::default().limit(500);
        params.label_selector = selector;
        let mut items = Vec::new();
        loop {
            match self.timed(api.list(&params)).await {
                Ok(page) => {
                    let token = page.metadata.continue_.clone().filter(|t| !t.is_empty());
                    items.extend(page.items.into_iter().filter_map(|o| typed(o, ar)));
                    match token {
                        Some(t) if items.len() < cap => params.continue_token = Some(t),
                        Some(_) => {
                            gaps.push(Gap::new(
                                &ar.plural,
                                ns,
                                &format!("stopped after {cap} items"),
                            ));
                            break;
                        }
                        None => break,
                    }
                }
                Err(reason) => {
                    gaps.push(Gap::new(&ar.plural, ns, &reason));
                    break;
                }
            }
        }
        items
    }

    pub async fn collect(&self, ns: &str, name: &str) -> Result<Collection, CollectError> {
        let ro_api = self.dynamic(&rollouts(), ns);
        let ro_value = match self.timed(ro_api.get_opt(name)).await {
            Ok(Some(obj)) => typed(obj, &rollouts()).unwrap_or(Value::Null),
            Ok(None) => return Err(CollectError::RolloutGone(format!("{ns}/{name}"))),
            Err(reason) => {
                return Err(CollectError::Rollout {
                    name: format!("{ns}/{name}"),
                    reason,
                });
            }
        };
        let rollout: Rollout =
            serde_json::from_value(ro_value.clone()).map_err(|e| CollectError::Rollout {
                name: format!("{ns}/{name}"),
                reason: e.to_string(),
            })?;
        let mut gaps = Vec::new();
        let mut objects = ObjectSet::default();
        let mut raw = Vec::new();
        let mut keep = |objects: &mut ObjectSet, v: Value| {
            raw.push(v.clone());
            objects.add_value("api", v);
        };
        keep(&mut objects, ro_value);

        let hashes: BTreeSet<&str> = [rollout.canary_hash(), rollout.stable_hash()]
            .into_iter()
            .flatten()
            .collect();
        let app_selector = rollout
            .spec
            .selector
            .as_ref()
            .filter(|s| !s.match_labels.is_empty())
            .map(|s| {
                s.match_labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            });
        // The Rollout's own labels narrow the hash match, so a namespace of many Rollouts is
        // never listed whole.
        let by_hash = (!hashes.is_empty()).then(|| {
            let hash = format!(
                "{POD_TEMPLATE_HASH} in ({})",
                hashes.iter().copied().collect::<Vec<_>>().join(",")
            );
            match &app_selector {
                Some(app) => format!("{app},{hash}"),
                None => hash,
            }
        });
        let rs = resource("apps", "v1", "ReplicaSet", "replicasets");
        let pods = resource("", "v1", "Pod", "pods");
        let runs = analysis_runs();
        let core_ev = resource("", "v1", "Event", "events");
        let new_ev = resource("events.k8s.io", "v1", "Event", "events");
        let mut g = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        let [g0, g1, g2, g3, g4] = &mut g;
        let (rs_items, pod_items, run_items, core_events, new_events) = tokio::join!(
            self.list_all(&rs, ns, app_selector.clone(), 2000, g0),
            self.list_all(&pods, ns, by_hash.clone().or(app_selector), 2000, g1),
            self.list_all(&runs, ns, by_hash, 500, g2),
            self.list_all(&core_ev, ns, None, self.cfg.max_events, g3),
            self.list_all(&new_ev, ns, None, self.cfg.max_events, g4),
        );
        gaps.extend(g.into_iter().flatten());
        let mut seen_events = BTreeSet::new();
        for v in rs_items.into_iter().chain(pod_items).chain(run_items) {
            keep(&mut objects, v);
        }
        // One Event is served by both APIs in a real cluster: keep the first view of a uid.
        for v in core_events.into_iter().chain(new_events) {
            let uid = v
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if uid.is_none_or(|u| seen_events.insert(u)) {
                keep(&mut objects, v);
            }
        }
        for v in self
            .fetch_missing_runs(&rollout, ns, &objects, &mut gaps)
            .await
        {
            keep(&mut objects, v);
        }
        let logs = self.fetch_logs(&rollout, ns, &objects, &mut gaps).await;
        Ok(Collection {
            rollout,
            objects,
            raw,
            logs,
            gaps,
        })
    }

    /// Runs the status names that the hash-label list did not return.
    async fn fetch_missing_runs(
        &self,
        ro: &Rollout,
        ns: &str,
        objects: &ObjectSet,
        gaps: &mut Vec<Gap>,
    ) -> Vec<Value> {
        let api = self.dynamic(&analysis_runs(), ns);
        let mut found = Vec::new();
        for r in ro.analysis_run_refs() {
            if objects
                .analysis_runs
                .iter()
                .any(|a| a.metadata.name == r.name)
            {
                continue;
            }
            match self.timed(api.get_opt(&r.name)).await {
                Ok(Some(obj)) => found.extend(typed(obj, &analysis_runs())),
                Ok(None) => {}
                Err(reason) => gaps.push(Gap::new("analysisruns", &r.name, &reason)),
            }
        }
        found
    }

    /// Fetches the plan a rank at a time: a pod whose logs are gone (or were never written)
    /// gives its turn to the next candidate of its version, as the snapshot reader does.
    async fn fetch_logs(
        &self,
        ro: &Rollout,
        ns: &str,
        objects: &ObjectSet,
        gaps: &mut Vec<Gap>,
    ) -> MemoryLogs {
        let plan = log_plan_for(ro, objects, &self.evidence);
        let per_role = self.evidence.log_pods_per_role.max(1);
        let mut logs = MemoryLogs::default();
        let mut read = BTreeSet::new();
        let waves = plan
            .iter()
            .map(|r| r.rank / per_role)
            .max()
            .map_or(0, |w| w + 1);
        for wave in 0..waves {
            let batch: Vec<LogRequest> = plan
                .iter()
                .filter(|r| r.rank / per_role == wave)
                .filter(|r| pods_still_wanted(per_role, &read, r.role) > 0)
                .cloned()
                .collect();
            if batch.is_empty() {
                break;
            }
            for (req, result) in self.fetch_batch(ns, batch).await {
                let key = (req.pod.clone(), req.container.clone(), req.previous);
                match result {
                    Ok(bytes) => {
                        // An empty log compares nothing: the pod's turn goes to the next one.
                        if !bytes.is_empty() {
                            read.insert((req.role, req.pod.clone()));
                        }
                        logs.logs.insert(key, bytes);
                    }
                    // 403: RBAC withholds logs; record it so the diagnosis says why they are missing.
                    Err(reason) if reason.ends_with("(403)") => {
                        logs.denied.insert(key, reason);
                    }
                    // A previous instance that does not exist, or a pod gone since: not a gap.
                    Err(reason)
                        if req.previous
                            || reason.ends_with("(404)")
                            || reason.ends_with("(400)") =>
                    {
                        if req.expected {
                            gaps.push(Gap::new(
                                "log",
                                &format!("{}/{}", req.pod, req.container),
                                &reason,
                            ));
                        }
                    }
                    Err(reason) => {
                        logs.denied.insert(key, reason);
                    }
                }
            }
        }
        logs
    }

    async fn fetch_batch(
        &self,
        ns: &str,
        batch: Vec<LogRequest>,
    ) -> Vec<(LogRequest, Result<Vec<u8>, String>)> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        futures::stream::iter(batch)
            .map(|req| {
                let api = api.clone();
                async move {
                    let params = LogParams {
                        container: Some(req.container.clone()),
                        previous: req.previous,
                        tail_lines: Some(self.cfg.tail_lines),
                        limit_bytes: Some(self.cfg.limit_bytes),
                        ..Default::default()
                    };
                    let result = self
                        .timed(read_log(&api, &req.pod, &params, self.cfg.limit_bytes))
                        .await;
                    (req, result)
                }
            })
            .buffer_unordered(self.cfg.concurrency.max(1))
            .collect()
            .await
    }
}

/// Reads a log as raw bytes (kube's `logs()` would force UTF-8), never past `limit`.
async fn read_log(
    api: &Api<Pod>,
    pod: &str,
    params: &LogParams,
    limit: i64,
) -> Result<Vec<u8>, kube::Error> {
    let mut stream = api.log_stream(pod, params).await?;
    let mut out = Vec::new();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    loop {
        let chunk = stream.fill_buf().await.map_err(kube::Error::ReadEvents)?;
        if chunk.is_empty() {
            break;
        }
        let take = chunk.len().min(limit.saturating_sub(out.len()));
        out.extend_from_slice(&chunk[..take]);
        let n = chunk.len();
        stream.consume_unpin(n);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// List items come without apiVersion/kind; the decoder needs them.
fn typed(obj: DynamicObject, ar: &ApiResource) -> Option<Value> {
    let mut v = serde_json::to_value(obj).ok()?;
    let map = v.as_object_mut()?;
    map.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
    map.insert("kind".into(), Value::String(ar.kind.clone()));
    Some(v)
}
