//! Watch streams turned into dispatcher messages. kube's watcher relists after 410 Gone and
//! the default backoff (backon-based) paces reconnects; every restart is counted.

use super::collect::{analysis_runs, rollouts};
use super::dispatch::RecordRef;
use super::incident::{self, Incident, IncidentKey, RolloutName};
use super::metrics::Metrics;
use super::record::RolloutDiagnosis;
use crate::model::{AnalysisRun, Rollout};
use futures::{Stream, StreamExt};
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug)]
pub enum Msg {
    Detected(Incident),
    RolloutGone(RolloutName),
    Recorded(IncidentKey, RecordRef, bool),
    RecordsSynced,
    /// The first complete list of Rollouts arrived: the agent is ready.
    RolloutsSynced,
}

pub struct Scope {
    pub namespaces: Vec<String>,
    pub selector: Option<String>,
}

fn config(scope: &Scope) -> watcher::Config {
    let c = watcher::Config::default();
    match &scope.selector {
        Some(s) => c.labels(s),
        None => c,
    }
}

fn apis<K>(
    client: &kube::Client,
    scope: &Scope,
    make: impl Fn(&kube::Client, Option<&str>) -> Api<K>,
) -> Vec<Api<K>> {
    if scope.namespaces.is_empty() {
        vec![make(client, None)]
    } else {
        scope
            .namespaces
            .iter()
            .map(|ns| make(client, Some(ns)))
            .collect()
    }
}

fn dynamic(
    ar: kube::api::ApiResource,
) -> impl Fn(&kube::Client, Option<&str>) -> Api<DynamicObject> {
    move |c, ns| match ns {
        Some(ns) => Api::namespaced_with(c.clone(), ns, &ar),
        None => Api::all_with(c.clone(), &ar),
    }
}

/// Forwards one watch stream into the dispatcher until the receiver closes.
async fn forward<K, S>(
    stream: S,
    tx: mpsc::Sender<Msg>,
    metrics: Arc<Metrics>,
    what: &'static str,
    on: impl Fn(watcher::Event<K>) -> Vec<Msg>,
) where
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                for msg in on(event) {
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                metrics.watch_restart();
                tracing::warn!(watch = what, error = %e, "watch interrupted; resuming with backoff");
            }
        }
    }
}

/// An object the model cannot read is skipped, loudly: a Rollout dropped here would otherwise
/// be an incident nobody hears of.
fn decode<T: serde::de::DeserializeOwned>(
    obj: &DynamicObject,
    what: &'static str,
    metrics: &Metrics,
) -> Option<T> {
    let read = serde_json::to_value(obj)
        .map_err(|e| e.to_string())
        .and_then(|v| serde_path_to_error::deserialize::<_, T>(v).map_err(|e| e.to_string()));
    match read {
        Ok(t) => Some(t),
        Err(error) => {
            metrics.dropped("unreadable_object");
            tracing::warn!(
                kind = what,
                namespace = obj.metadata.namespace.as_deref().unwrap_or(""),
                name = obj.metadata.name.as_deref().unwrap_or(""),
                %error,
                "watched object cannot be read; skipped"
            );
            None
        }
    }
}

pub fn spawn_all(
    client: &kube::Client,
    scope: &Scope,
    tx: mpsc::Sender<Msg>,
    metrics: Arc<Metrics>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let cfg = config(scope);
    for api in apis(client, scope, dynamic(rollouts())) {
        let stream = watcher(api, cfg.clone()).default_backoff();
        let m = metrics.clone();
        tasks.push(tokio::spawn(forward(
            stream,
            tx.clone(),
            metrics.clone(),
            "rollouts",
            move |e| match e {
                watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                    decode::<Rollout>(&o, "Rollout", &m)
                        .and_then(|ro| incident::from_rollout(&ro))
                        .map(Msg::Detected)
                        .into_iter()
                        .collect()
                }
                watcher::Event::Delete(o) => decode::<Rollout>(&o, "Rollout", &m)
                    .map(|ro| {
                        Msg::RolloutGone(RolloutName {
                            namespace: ro.metadata.namespace_or_default().to_owned(),
                            name: ro.metadata.name,
                        })
                    })
                    .into_iter()
                    .collect(),
                watcher::Event::InitDone => vec![Msg::RolloutsSynced],
                watcher::Event::Init => Vec::new(),
            },
        )));
    }
    // AnalysisRuns carry no user selector: they are filtered by their owning Rollout's fate.
    for api in apis(
        client,
        &Scope {
            namespaces: scope.namespaces.clone(),
            selector: None,
        },
        dynamic(analysis_runs()),
    ) {
        let stream = watcher(api, watcher::Config::default()).default_backoff();
        let m = metrics.clone();
        tasks.push(tokio::spawn(forward(
            stream,
            tx.clone(),
            metrics.clone(),
            "analysisruns",
            move |e| match e {
                watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                    decode::<AnalysisRun>(&o, "AnalysisRun", &m)
                        .and_then(|run| incident::from_analysis_run(&run))
                        .map(Msg::Detected)
                        .into_iter()
                        .collect()
                }
                _ => Vec::new(),
            },
        )));
    }
    let records = |c: &kube::Client, ns: Option<&str>| match ns {
        Some(ns) => Api::<RolloutDiagnosis>::namespaced(c.clone(), ns),
        None => Api::<RolloutDiagnosis>::all(c.clone()),
    };
    let record_apis = apis(
        client,
        &Scope {
            namespaces: scope.namespaces.clone(),
            selector: None,
        },
        records,
    );
    let synced_needed = record_apis.len();
    let synced = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for api in record_apis {
        let stream = watcher(api, watcher::Config::default()).default_backoff();
        let synced = synced.clone();
        tasks.push(tokio::spawn(forward(
            stream,
            tx.clone(),
            metrics.clone(),
            "rolloutdiagnoses",
            move |e| match e {
                watcher::Event::Apply(r) | watcher::Event::InitApply(r) => {
                    let record = RecordRef {
                        namespace: r.metadata.namespace.clone().unwrap_or_default(),
                        name: r.metadata.name.clone().unwrap_or_default(),
                    };
                    vec![Msg::Recorded(r.key(), record, r.delivered())]
                }
                // Index complete once every namespace's first list is in (relists re-send it).
                watcher::Event::InitDone => {
                    let n = synced.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if n >= synced_needed {
                        vec![Msg::RecordsSynced]
                    } else {
                        Vec::new()
                    }
                }
                _ => Vec::new(),
            },
        )));
    }
    tasks
}
