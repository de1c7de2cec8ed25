//! The agent's main loop: watches feed the dispatcher; the leader starts workers that
//! collect, diagnose, record and deliver; SIGTERM stops new work and lets in-flight
//! incidents finish within the grace period.

use super::collect::{CollectError, Collector};
use super::dispatch::{Dispatcher, Outcome, RecordRef, Work};
use super::incident::{Incident, IncidentKey};
use super::metrics::Metrics;
use super::record::{RolloutDiagnosis, SinkStatus};
use super::recorder::{Created, Recorder};
use super::sink::{Delivery, Sink};
use super::watch::Msg;
use crate::diagnosis::Diagnosis;
use crate::evidence::{Evidence, EvidenceConfig, build_evidence};
use crate::redact::Redactor;
use futures::future::BoxFuture;
use kube::api::Api;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Turns evidence into a diagnosis: the rules, or the rules with an LLM.
pub trait Decide: Send + Sync {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis>;
}

pub struct RulesOnly;

/// The rules' outcome goes to the LLM as hints; every failure there ends in the rules.
impl Decide for crate::llm::LlmClassifier {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis> {
        Box::pin(async move {
            self.decide(evidence, crate::analysis::rules::classify(evidence))
                .await
        })
    }
}

impl Decide for RulesOnly {
    fn decide<'a>(&'a self, evidence: &'a Evidence) -> BoxFuture<'a, Diagnosis> {
        Box::pin(async move { crate::pipeline::diagnose(evidence) })
    }
}

/// What every worker shares.
pub struct Context {
    pub client: kube::Client,
    pub collector: Collector,
    pub recorder: Recorder,
    pub decide: Arc<dyn Decide>,
    pub sinks: Vec<Arc<dyn Sink>>,
    pub metrics: Arc<Metrics>,
    pub redactor: Redactor,
    pub evidence: EvidenceConfig,
}

pub struct Loop {
    pub ctx: Arc<Context>,
    pub concurrency: usize,
    pub shutdown_grace: Duration,
}

impl Loop {
    /// Runs until `shutdown` is set. `leader` publishes leadership; `on_ready` is called
    /// once the first full list of Rollouts arrived.
    pub async fn run(
        self,
        mut rx: mpsc::Receiver<Msg>,
        mut leader: watch::Receiver<bool>,
        mut shutdown: watch::Receiver<bool>,
        on_ready: impl Fn(),
    ) {
        let mut d = Dispatcher::default();
        d.set_leading(*leader.borrow());
        self.ctx.metrics.set_leader(d.is_leading());
        let mut workers: JoinSet<(IncidentKey, Outcome)> = JoinSet::new();
        loop {
            let retry_at = d.next_retry().map(tokio::time::Instant::from_std);
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => self.handle(&mut d, msg, &on_ready),
                    None => break,
                },
                changed = leader.changed() => {
                    if changed.is_err() { break; }
                    let leading = *leader.borrow();
                    d.set_leading(leading);
                    self.ctx.metrics.set_leader(leading);
                }
                Some(done) = workers.join_next(), if !workers.is_empty() => {
                    if let Ok((key, outcome)) = done {
                        d.finished(&key, outcome, Instant::now());
                    }
                }
                _ = sleep_until(retry_at) => {}
                _ = shutdown.changed() => break,
            }
            for work in d.next(self.concurrency, Instant::now()) {
                let ctx = self.ctx.clone();
                workers.spawn(async move { run_work(ctx, work).await });
            }
        }
        tracing::info!(
            inflight = workers.len(),
            "stopping; finishing in-flight incidents"
        );
        let drain = async { while workers.join_next().await.is_some() {} };
        if tokio::time::timeout(self.shutdown_grace, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                "grace period over; abandoning unfinished incidents (the next leader resumes them)"
            );
        }
    }

    fn handle(&self, d: &mut Dispatcher, msg: Msg, on_ready: &impl Fn()) {
        match msg {
            Msg::Detected(incident) => {
                let key = incident.key.clone();
                if d.detected(incident) {
                    tracing::info!(?key, "incident detected");
                }
            }
            Msg::RolloutGone(name) => d.rollout_gone(&name),
            Msg::Recorded(key, record, delivered) => d.recorded(key, record, delivered),
            Msg::RecordsSynced => d.records_synced(),
            Msg::RolloutsSynced => on_ready(),
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn run_work(ctx: Arc<Context>, work: Work) -> (IncidentKey, Outcome) {
    match work {
        Work::Diagnose(incident) => {
            let key = incident.key.clone();
            (key, diagnose(&ctx, incident).await)
        }
        Work::Resume(key, record) => {
            let outcome = resume(&ctx, &record).await;
            (key, outcome)
        }
    }
}

async fn diagnose(ctx: &Context, incident: Incident) -> Outcome {
    let started = Instant::now();
    let (ns, name) = (&incident.rollout.namespace, &incident.rollout.name);
    let collection = match ctx.collector.collect(ns, name).await {
        Ok(c) => c,
        Err(CollectError::RolloutGone(_)) => return Outcome::Dropped,
        Err(e) => {
            ctx.metrics.collection_error("rollout");
            tracing::warn!(rollout = %incident.rollout, error = %e, "collection failed; will retry");
            return Outcome::Retry;
        }
    };
    // A Rollout that moved on to another version is another incident's business.
    if collection
        .rollout
        .canary_hash()
        .is_some_and(|h| h != incident.key.canary_hash)
        && incident.key.canary_hash != "none"
    {
        tracing::info!(rollout = %incident.rollout, "rollout moved on before diagnosis; dropping incident");
        return Outcome::Dropped;
    }
    for g in &collection.gaps {
        ctx.metrics.collection_error(&g.source);
    }
    let mut evidence = build_evidence(
        &collection.rollout,
        &collection.objects,
        &collection.logs,
        &ctx.redactor,
        &ctx.evidence,
    );
    for g in evidence
        .gaps
        .iter()
        .filter(|g| g.reason.starts_with("forbidden"))
    {
        ctx.metrics.collection_error(&g.source);
    }
    evidence.gaps.extend(collection.gaps);
    let diagnosis = ctx.decide.decide(&evidence).await;
    let record = match ctx.recorder.create(&incident.key, &diagnosis).await {
        Ok((Created::New, record)) => record,
        Ok((Created::AlreadyRecorded, _)) => {
            ctx.metrics.duplicate_suppressed();
            return Outcome::Dropped;
        }
        Err(e) => {
            tracing::warn!(rollout = %incident.rollout, error = %e, "could not record diagnosis; will retry");
            return Outcome::Retry;
        }
    };
    ctx.metrics.incident(diagnosis.category.as_str());
    ctx.metrics
        .diagnosis_duration(started.elapsed().as_secs_f64());
    let meta = RolloutMeta {
        labels: collection.rollout.metadata.labels.clone(),
        annotations: collection.rollout.metadata.annotations.clone(),
    };
    deliver(ctx, &record, &diagnosis, &[], meta).await
}

/// Finishes delivery of a record a previous leader left half-done.
async fn resume(ctx: &Context, record: &RecordRef) -> Outcome {
    let api: Api<RolloutDiagnosis> = Api::namespaced(ctx.client.clone(), &record.namespace);
    let found = match api.get_opt(&record.name).await {
        Ok(Some(r)) => r,
        Ok(None) => return Outcome::Dropped,
        Err(e) => {
            tracing::warn!(record = %record.name, error = %e, "cannot read record; will retry");
            return Outcome::Retry;
        }
    };
    if found.delivered() {
        return Outcome::Delivered;
    }
    let Ok(diagnosis) = serde_json::from_value::<Diagnosis>(found.spec.diagnosis.clone()) else {
        tracing::error!(record = %record.name, "record holds no readable diagnosis; not resuming");
        return Outcome::Dropped;
    };
    let done: Vec<SinkStatus> = found
        .status
        .as_ref()
        .map(|s| s.sinks.clone())
        .unwrap_or_default();
    deliver(
        ctx,
        &found,
        &diagnosis,
        &done,
        rollout_meta(ctx, &diagnosis).await,
    )
    .await
}

/// The Rollout's labels and annotations, for routing and GitOps lookup.
#[derive(Debug, Default)]
struct RolloutMeta {
    labels: std::collections::BTreeMap<String, String>,
    annotations: std::collections::BTreeMap<String, String>,
}

/// For a resumed delivery; a Rollout gone since routes on namespace only.
async fn rollout_meta(ctx: &Context, d: &Diagnosis) -> RolloutMeta {
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(
        ctx.client.clone(),
        &d.rollout.namespace,
        &super::collect::rollouts(),
    );
    match api.get_opt(&d.rollout.name).await {
        Ok(Some(ro)) => RolloutMeta {
            labels: ro.metadata.labels.unwrap_or_default(),
            annotations: ro.metadata.annotations.unwrap_or_default(),
        },
        _ => RolloutMeta::default(),
    }
}

/// Event, then every sink not yet delivered, then the status that says so. A failure leaves
/// the record undelivered; the record watch brings it back as resume work.
async fn deliver(
    ctx: &Context,
    record: &RolloutDiagnosis,
    diagnosis: &Diagnosis,
    already: &[SinkStatus],
    rollout: RolloutMeta,
) -> Outcome {
    let event_ok = match ctx.recorder.event(record, diagnosis).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "could not write the RolloutDiagnosed event");
            false
        }
    };
    let mut delivery = Delivery::new(
        record.metadata.name.clone().unwrap_or_default(),
        diagnosis.clone(),
    );
    delivery.rollout_labels = rollout.labels;
    delivery.rollout_annotations = rollout.annotations;
    delivery.references = already
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.reference.clone()?)))
        .collect();
    // Sinks run in order, so a pull request opened by an earlier one reaches later messages.
    delivery.links = already
        .iter()
        .filter(|s| s.delivered)
        .filter_map(|s| s.link.clone())
        .collect();
    let mut statuses = Vec::new();
    for sink in &ctx.sinks {
        if let Some(done) = already
            .iter()
            .find(|s| s.name == sink.name() && s.delivered)
        {
            statuses.push(done.clone());
            continue;
        }
        let result = sink.deliver(&delivery).await;
        ctx.metrics.sink_delivery(sink.name(), result.is_ok());
        let status = match result {
            Ok(receipt) => {
                if let Some(link) = &receipt.link {
                    delivery.links.push(link.clone());
                }
                SinkStatus {
                    name: sink.name().into(),
                    delivered: true,
                    message: receipt.note,
                    link: receipt.link,
                    reference: receipt.reference,
                }
            }
            Err(e) => SinkStatus {
                name: sink.name().into(),
                delivered: false,
                message: Some(e.0),
                // A failed retry keeps what an earlier try stored (the thread to post into).
                reference: delivery.references.get(sink.name()).cloned(),
                ..SinkStatus::default()
            },
        };
        statuses.push(status);
    }
    let complete = event_ok && statuses.iter().all(|s| s.delivered);
    if let Err(e) = ctx
        .recorder
        .mark_delivered(record, event_ok, statuses)
        .await
    {
        tracing::warn!(error = %e, "could not update the record's delivery status");
        return Outcome::Retry;
    }
    if complete {
        Outcome::Delivered
    } else {
        Outcome::Retry
    }
}
